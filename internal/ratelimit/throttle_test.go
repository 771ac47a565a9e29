package ratelimit

import (
	"testing"
	"time"
)

func TestThrottleCancelAndSuccess(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	th := NewThrottle(ThrottleOptions{Free: 2, Delay: time.Second, MaxDelay: time.Minute, AccountCeiling: 3, AddressCeiling: 100, Window: 15 * time.Minute})
	// Attempts that could not be checked count as nothing.
	for range 10 {
		a, w := th.Reserve("a", "x", t0)
		if a == nil {
			t.Fatalf("cancelled attempts counted: wait %v", w)
		}
		a.Cancel(t0)
	}
	// Two failures are free; the third attempt waits a second.
	for range 2 {
		if a, _ := th.Reserve("a", "x", t0); a == nil {
			t.Fatal("free failure refused")
		}
	}
	if a, w := th.Reserve("a", "x", t0); a != nil || w != time.Second {
		t.Fatalf("third attempt: wait %v, want 1s", w)
	}
	// The account ceiling (3) holds for a new address...
	if a, _ := th.Reserve("a", "y", t0); a == nil {
		t.Fatal("other address refused before the ceiling")
	}
	if a, w := th.Reserve("a", "z", t0); a != nil || w <= 0 {
		t.Fatalf("past the account ceiling: wait %v, want > 0", w)
	}
	// ...but not for an address the account succeeded from.
	later := t0.Add(time.Hour)
	a, _ := th.Reserve("a", "home", later)
	a.Succeeded(later)
	for _, addr := range []string{"p", "q", "r", "s"} {
		th.Reserve("a", addr, later) // exhausts the account ceiling
	}
	if a, _ := th.Reserve("a", "t", later); a != nil {
		t.Fatal("account ceiling not reached")
	}
	for i := range 10 {
		a, w := th.Reserve("a", "home", later.Add(time.Duration(i)*time.Hour))
		if a == nil {
			t.Fatalf("trusted pair refused: wait %v", w)
		}
		a.Succeeded(later)
	}
}
