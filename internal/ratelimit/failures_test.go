package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestFailures(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	f := NewFailures(3, 15*time.Minute)
	for i := range 3 {
		if w := f.Wait("a", t0); w != 0 {
			t.Fatalf("attempt %d: wait %v, want 0", i, w)
		}
		f.Fail("a", t0)
	}
	w := f.Wait("a", t0)
	if w <= 0 || w > 5*time.Minute {
		t.Fatalf("after 3 failures: wait %v, want (0, 5m]", w)
	}
	if f.Wait("b", t0) != 0 {
		t.Fatal("one key's failures blocked another")
	}
	if got := f.Wait("a", t0.Add(w)); got != 0 {
		t.Fatalf("after waiting %v: still %v", w, got)
	}
}

func TestFailuresForgetsQuietKeys(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	f := NewFailures(2, time.Minute)
	for i := range maxKeys {
		f.Fail(fmt.Sprint(i), t0)
	}
	f.Fail("late", t0.Add(time.Hour))
	if n := len(f.buckets); n > 2 {
		t.Fatalf("map kept %d keys after they refilled", n)
	}
}
