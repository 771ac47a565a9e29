package ticket_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
)

func outbox(t *testing.T, d *desk, id int64) []ticket.Message {
	t.Helper()
	return d.detail(t, id).Messages
}

func TestCourierRetriesWithBackoff(t *testing.T) {
	cfg := baseConfig()
	cfg.Webhooks = nil
	d := newDesk(t, cfg)
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	far := &tickettest.Notifier{}
	far.Fail(errors.New("gateway 503"), errors.New("gateway timeout"))
	c := ticket.NewCourier(d.repo, d.clock, far, ticket.CourierConfig{})
	steps := []struct {
		advance time.Duration
		want    string // state and attempts after the delivery round
	}{
		{0, "queued/1"},
		{9 * time.Second, "queued/1"}, // backoff 10s not over
		{time.Second, "queued/2"},     // second failure: next in 20s
		{19 * time.Second, "queued/2"},
		{time.Second, "sent/3"},
		{time.Hour, "sent/3"},
	}
	for i, st := range steps {
		d.clock.Advance(st.advance)
		if _, err := c.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		m := outbox(t, d, tk.ID)[0]
		if got := fmt.Sprintf("%s/%d", m.State, m.Attempts); got != st.want {
			t.Fatalf("step %d: got %s, want %s (outcome %q)", i, got, st.want, m.Outcome)
		}
	}
	if m := outbox(t, d, tk.ID)[0]; m.Outcome != "r1" || !m.SentAt.Equal(t0.Add(30*time.Second)) {
		t.Errorf("sent: got receipt %q at %v", m.Outcome, m.SentAt)
	}
	if far.Attempts != 3 || len(far.Sent()) != 1 {
		t.Errorf("far end: got %d attempts, %d delivered", far.Attempts, len(far.Sent()))
	}
}

func TestCourierGivesUp(t *testing.T) {
	cfg := baseConfig()
	cfg.Webhooks = nil
	d := newDesk(t, cfg)
	a, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	b, _, _ := d.Create(ctx, alice, fault("13900000002"), "")
	far := &tickettest.Notifier{}
	far.Fail(fmt.Errorf("number barred: %w", ticket.ErrUndeliverable), errors.New("down"), errors.New("down"))
	c := ticket.NewCourier(d.repo, d.clock, far, ticket.CourierConfig{MaxAttempts: 2, Backoff: func(int) time.Duration { return time.Second }})
	for range 3 {
		if _, err := c.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		d.clock.Advance(time.Second)
	}
	ma, mb := outbox(t, d, a.ID)[0], outbox(t, d, b.ID)[0]
	if ma.State != ticket.Dead || ma.Attempts != 1 || ma.Outcome != "number barred: message cannot be delivered" {
		t.Errorf("permanent failure: got %+v", ma)
	}
	if mb.State != ticket.Dead || mb.Attempts != 2 {
		t.Errorf("exhausted retries: got %+v", mb)
	}
}

// TestCourierCrashAfterSend: the courier sends, then dies before recording
// it. After the lease another courier retries with the same key and the far
// end, which honours idempotency keys, delivers once.
func TestCourierCrashAfterSend(t *testing.T) {
	cfg := baseConfig()
	cfg.Webhooks = nil
	d := newDesk(t, cfg)
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	far := &tickettest.Notifier{}
	d.repo.FailSave = errors.New("power cut")
	c1 := ticket.NewCourier(d.repo, d.clock, far, ticket.CourierConfig{Lease: time.Minute})
	if _, err := c1.Deliver(ctx); err == nil {
		t.Fatal("want the recording to fail")
	}
	d.repo.FailSave = nil
	c2 := ticket.NewCourier(d.repo, d.clock, far, ticket.CourierConfig{Lease: time.Minute})
	if n, _ := c2.Deliver(ctx); n != 0 {
		t.Fatalf("within the lease: got %d claimed, want 0", n)
	}
	d.clock.Advance(time.Minute)
	if n, err := c2.Deliver(ctx); n != 1 || err != nil {
		t.Fatalf("after the lease: got %d, %v", n, err)
	}
	m := outbox(t, d, tk.ID)[0]
	if m.State != ticket.Sent || m.Attempts != 2 || far.Attempts != 2 || len(far.Sent()) != 1 {
		t.Errorf("got %s after %d attempts, far end %d attempts %d delivered", m.State, m.Attempts, far.Attempts, len(far.Sent()))
	}
}

func TestLoopsStopWithContext(t *testing.T) {
	defer goleak.VerifyNone(t)
	d := newDesk(t, slaConfig())
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	far := &tickettest.Notifier{}
	c := ticket.NewCourier(d.repo, d.clock, far, ticket.CourierConfig{})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 2)
	go func() { done <- c.Run(runCtx, time.Second) }()
	go func() { done <- d.RunTimers(runCtx, time.Second, 100) }()
	// Both loops wait on the clock between rounds: each step waits for
	// both to be waiting again, so the round the step caused is over.
	waiting, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	idle := func() {
		t.Helper()
		if err := d.clock.AwaitWaiters(waiting, 2); err != nil {
			t.Fatalf("the courier and the timers did not come back to the clock: %v", err)
		}
	}
	idle()
	d.clock.Advance(time.Hour) // first_warn_75 and first_warn_90 due
	idle()
	if got := d.fired(t, tk.ID); len(got) < 2 {
		t.Fatalf("fired %v after an hour, want the two first-response warnings", got)
	}
	d.clock.Advance(time.Second) // the courier delivers what the timers queued
	idle()
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// created SMS, eoms webhook, two warnings to the lead, a breach at 1h.
	if got := len(far.Sent()); got < 4 {
		t.Errorf("delivered %d, want at least 4", got)
	}
}
