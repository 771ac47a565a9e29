package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// think is how long a person pauses before each chat message: a customer
// typing the next question, an agent reading and answering. With none
// (the default) the load is churn: each customer starts a new chat the
// moment the last one ends and sends its messages back to back, which at
// 200 customers is some 200 chats a second, far more than any center sees
// (docs/desk-protocol.md, "Think time"). A pause is drawn uniformly from
// [mean/2, 3·mean/2] so that the customers do not move in step.
type think struct {
	mean time.Duration
	// after is time.After; tests put a clock of their own.
	after func(time.Duration) <-chan time.Time

	mu  sync.Mutex
	rng *rand.Rand
}

func newThink(mean time.Duration, seed uint64) *think {
	return &think{mean: mean, after: time.After, rng: rand.New(rand.NewPCG(seed, 0x686f746c696e65))}
}

// next draws one pause (0 without think time).
func (t *think) next() time.Duration {
	if t == nil || t.mean <= 0 {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mean/2 + time.Duration(t.rng.Int64N(int64(t.mean)+1))
}

// first draws a customer's pause before its first chat, within one mean
// pause, so that the customers arrive spread out instead of all at once.
func (t *think) first() time.Duration {
	if t == nil || t.mean <= 0 {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return time.Duration(t.rng.Int64N(int64(t.mean) + 1))
}

// wait returns a channel ready after d (at once for 0).
func (t *think) wait(d time.Duration) <-chan time.Time {
	if d <= 0 {
		ready := make(chan time.Time, 1)
		ready <- time.Time{}
		return ready
	}
	return t.after(d)
}

// sleep waits d on t's clock or until ctx ends.
func (t *think) sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-t.wait(d):
	case <-ctx.Done():
	}
}
