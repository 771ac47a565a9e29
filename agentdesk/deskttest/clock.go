package deskttest

import (
	"sync"
	"time"

	"github.com/hotline10000/hotline/acd"
)

// Clock is a virtual clock for the gateway, the ACD and the IVR at once:
// time moves only by Advance.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*waiter
}

type waiter struct {
	at      time.Time
	ch      chan time.Time
	stopped bool
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After fires once the clock has advanced d.
func (c *Clock) After(d time.Duration) <-chan time.Time { return c.add(d).ch }

// NewTimer is After with Stop, for the ACD.
func (c *Clock) NewTimer(d time.Duration) acd.Timer { return &timer{c: c, w: c.add(d)} }

func (c *Clock) add(d time.Duration) *waiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &waiter{at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		w.ch <- c.now
		return w
	}
	c.waiters = append(c.waiters, w)
	return w
}

// Advance moves time forward and fires what fell due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		switch {
		case w.stopped:
		case !w.at.After(c.now):
			w.ch <- c.now
		default:
			keep = append(keep, w)
		}
	}
	c.waiters = keep
}

type timer struct {
	c *Clock
	w *waiter
}

func (t *timer) C() <-chan time.Time { return t.w.ch }

func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.w.stopped && len(t.w.ch) == 0
	t.w.stopped = true
	return was
}
