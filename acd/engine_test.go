package acd

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// manualClock is a Clock moved by the test.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer
}

type manualTimer struct {
	c     *manualClock
	at    time.Time
	ch    chan time.Time
	fired bool
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &manualTimer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.fired = true
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

func (t *manualTimer) C() <-chan time.Time { return t.ch }

func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.fired
	t.fired = true
	return was
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.fired:
		case !t.at.After(c.now):
			t.fired = true
			t.ch <- c.now
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
}

// collector is a Sink that lets a test wait for events.
type collector struct {
	mu  sync.Mutex
	evs []Event
	ch  chan struct{}
}

func newCollector() *collector { return &collector{ch: make(chan struct{}, 1)} }

func (c *collector) Deliver(evs []Event) {
	c.mu.Lock()
	c.evs = append(c.evs, evs...)
	c.mu.Unlock()
	select {
	case c.ch <- struct{}{}:
	default:
	}
}

func (c *collector) wait(t *testing.T, kind EventKind, contact string) Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		for _, e := range c.evs {
			if e.Kind == kind && e.Contact == contact {
				c.mu.Unlock()
				return e
			}
		}
		c.mu.Unlock()
		select {
		case <-c.ch:
		case <-deadline:
			t.Fatalf("no %s event for %s", kind, contact)
		}
	}
}

func startEngine(t *testing.T, clock Clock, sink Sink) (*Engine, func()) {
	t.Helper()
	r, err := NewRouter(propertyConfig(), propertyQueues())
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(r, clock, sink)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return e, func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v", err)
		}
	}
}

// noLeak fails if goroutines started during the test outlive it.
func noLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Fatalf("goroutines: got %d, want %d\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestEngineTimersRunOnTheInjectedClock(t *testing.T) {
	noLeak(t)
	clock := &manualClock{now: epoch}
	sink := newCollector()
	e, stop := startEngine(t, clock, sink)
	defer stop()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.Login(ctx, AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}))
	must(e.SetReady(ctx, "A"))
	must(e.Enqueue(ctx, ContactSpec{ID: "c1", Queue: "Q1"}))
	sink.wait(t, EventOffered, "c1")
	clock.Advance(10 * time.Second) // the offer timeout
	ev := sink.wait(t, EventOfferTimeout, "c1")
	if got, want := ev.At, epoch.Add(10*time.Second); !got.Equal(want) {
		t.Errorf("offer_timeout at %v, want %v", got, want)
	}
	if err := e.Accept(ctx, "A", "c1"); !errors.Is(err, ErrNoOffer) {
		t.Errorf("late accept: got %v, want ErrNoOffer", err)
	}
	st, err := e.Agent(ctx, "A")
	must(err)
	if st.State != NotReady || st.Reason != "missed" {
		t.Errorf("agent: got %s(%s), want not_ready(missed)", st.State, st.Reason)
	}
	qs, err := e.QueueStats(ctx, "Q1")
	must(err)
	if qs.Waiting != 1 || qs.LongestWait != 10*time.Second {
		t.Errorf("queue: got waiting=%d longest=%v, want 1, 10s", qs.Waiting, qs.LongestWait)
	}
	snap, err := e.Snapshot(ctx)
	must(err)
	if len(snap.Contacts) != 1 || snap.Contacts[0].ID != "c1" {
		t.Errorf("snapshot contacts: got %+v", snap.Contacts)
	}
}

// TestEngineManyCallers drives the Engine from many goroutines at once (run
// with -race) and checks the delivered stream with the outcome ledger.
func TestEngineManyCallers(t *testing.T) {
	noLeak(t)
	clock := &manualClock{now: epoch}
	var mu sync.Mutex
	var all []Event
	e, stop := startEngine(t, clock, SinkFunc(func(evs []Event) {
		mu.Lock()
		all = append(all, evs...)
		mu.Unlock()
	}))
	ctx := context.Background()
	const workers = 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := fmt.Sprintf("w%d", w)
			if err := e.Login(ctx, AgentSpec{ID: agent, Skills: map[string]int{"x": 5, "y": 5}}); err != nil {
				t.Error(err)
				return
			}
			_ = e.SetReady(ctx, agent)
			for i := range 50 {
				id := fmt.Sprintf("c%d-%d", w, i)
				if err := e.Enqueue(ctx, ContactSpec{ID: id, Queue: "Q1"}); err != nil {
					t.Error(err)
				}
				if st, err := e.Agent(ctx, agent); err == nil && st.Offer != "" {
					offer := st.Offer
					if e.Accept(ctx, agent, offer) == nil {
						_ = e.Connected(ctx, offer)
						_ = e.End(ctx, offer)
						if st, err := e.Agent(ctx, agent); err == nil && len(st.WrapUps) > 0 {
							_ = e.EndWrapUp(ctx, agent, st.WrapUps[0])
						}
					}
				}
				if i%10 == 0 {
					clock.Advance(time.Second)
				}
			}
		}()
	}
	wg.Wait()
	// Drain: abandon whatever is left, then stop.
	snap, err := e.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range snap.Contacts {
		if c.State == "connected" {
			_ = e.End(ctx, c.ID)
		} else if err := e.Abandon(ctx, c.ID); err != nil {
			t.Errorf("abandon %s: %v", c.ID, err)
		}
	}
	stop()
	if err := e.Enqueue(ctx, ContactSpec{ID: "late", Queue: "Q1"}); !errors.Is(err, ErrStopped) {
		t.Errorf("after stop: got %v, want ErrStopped", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	final, err := e.Snapshot(cancelled) // works after Run, whatever the context

	if err != nil || len(final.Contacts) != 0 || len(final.Agents) != workers {
		t.Errorf("final snapshot: got %d contacts, %d agents, err %v; want 0, %d", len(final.Contacts), len(final.Agents), err, workers)
	}
	mu.Lock()
	defer mu.Unlock()
	led := newLedger()
	if err := led.add(all); err != nil {
		t.Fatal(err)
	}
	if got, want := len(led.requests), workers*50; got != want {
		t.Fatalf("requests: got %d, want %d", got, want)
	}
	for id := range led.requests {
		if led.outcomes[id] != 1 {
			t.Fatalf("contact %s: %d outcomes", id, led.outcomes[id])
		}
	}
}

func TestEngineSkills(t *testing.T) {
	r, err := NewRouter(DefaultConfig(), []Queue{
		{ID: "q1", Channel: Voice, Skills: []Requirement{{Skill: "billing", Min: 1}}},
		{ID: "q2", Channel: Chat, Skills: []Requirement{{Skill: "general", Min: 1}},
			Steps: []Step{{After: time.Minute, AddSkills: []Requirement{{Skill: "english", Min: 3}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Skills(), ","); got != "billing,english,general" {
		t.Fatalf("skills: got %s, want billing,english,general", got)
	}
}
