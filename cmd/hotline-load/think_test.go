package main

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

func TestThinkDraws(t *testing.T) {
	th := newThink(10*time.Second, 1)
	for range 1000 {
		if d := th.next(); d < 5*time.Second || d > 15*time.Second {
			t.Fatalf("pause %v outside [5s, 15s]", d)
		}
		if d := th.first(); d < 0 || d > 10*time.Second {
			t.Fatalf("first pause %v outside [0, 10s]", d)
		}
	}
	var none *think
	if none.next() != 0 || none.first() != 0 || newThink(0, 1).next() != 0 {
		t.Fatal("no think time paused")
	}
}

// TestThinkTime runs the tool with think times on a clock of the test's:
// every customer message and every agent reply waits its pause (an hour
// on average, which the clock lets pass at once).
func TestThinkTime(t *testing.T) {
	inProcess := func(ctx context.Context, agents int) (*target, error) {
		s, err := deskttest.Start(ctx, t.TempDir(), deskttest.Options{Agents: agents, OfferTimeout: offerTimeout,
			WrapUp: time.Minute, RatePerSec: 200, RateBurst: 400, ChatStarts: 5000})
		if err != nil {
			return nil, err
		}
		return &target{base: s.URL, mem: func() (memory, error) { return measure(), nil }, stop: s.Stop}, nil
	}
	var (
		mu     sync.Mutex
		pauses []time.Duration
	)
	after := func(d time.Duration) <-chan time.Time {
		mu.Lock()
		pauses = append(pauses, d)
		mu.Unlock()
		ready := make(chan time.Time, 1)
		ready <- time.Time{}
		return ready
	}
	cfg := config{agents: 6, customers: 3, messages: 2, duration: 2 * time.Second, think: time.Hour, agentThink: time.Hour, after: after}
	rep, err := run(context.Background(), cfg, inProcess)
	if err != nil {
		t.Fatal(err)
	}
	if rep.chats == 0 {
		t.Fatalf("no chat completed (%d errors)", rep.errors)
	}
	mu.Lock()
	defer mu.Unlock()
	// Per chat: two customer messages and two agent replies; per
	// customer one pause before its first chat (which may be 0 and then
	// not waited).
	if want := 4 * int(rep.chats); len(pauses) < want {
		t.Fatalf("%d pauses for %d chats, want at least %d", len(pauses), rep.chats, want)
	}
	long := 0
	for _, d := range pauses {
		if d >= 30*time.Minute && d <= 90*time.Minute {
			long++
		}
	}
	if long < 4*int(rep.chats) {
		t.Fatalf("%d of %d pauses within [30m, 90m], want one per message (%d chats)", long, len(pauses), rep.chats)
	}
}
