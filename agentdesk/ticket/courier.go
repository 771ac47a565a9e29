package ticket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Courier delivers the outbox: it claims due messages under a lease, hands
// them to the Notifier and records each outcome. Failures are retried with
// exponential backoff; permanent failures and exhausted retries end Dead.
//
// Exactly once: a message is claimed by one courier at a time (the claim
// moves its next try past the lease, inside a transaction that skips rows
// others hold) and is marked Sent right after delivery. A crash between the
// commit of a change and the send leaves the message queued: it goes out
// after restart. A crash between send and mark lets the message be retried
// once the lease expires; the Notifier passes the message Key as idempotency
// key so the far end drops the repeat.
type Courier struct {
	repo        Repository
	clock       Clock
	notifier    Notifier
	log         *slog.Logger
	lease       time.Duration
	batch       int
	maxAttempts int
	backoff     func(attempt int) time.Duration
}

// CourierConfig tunes a Courier. Zero values take the defaults.
type CourierConfig struct {
	Lease       time.Duration // how long a claimed message is held; default 1m
	Batch       int           // messages per claim; default 50
	MaxAttempts int           // attempts before Dead; default 10
	// Backoff is the wait after failed attempt n (from 1); default
	// 10s·2^(n-1) capped at 1h.
	Backoff func(attempt int) time.Duration
	Logger  *slog.Logger
}

// NewCourier returns a Courier delivering repo's outbox through n.
func NewCourier(repo Repository, clock Clock, n Notifier, cfg CourierConfig) *Courier {
	c := &Courier{repo: repo, clock: clock, notifier: n, log: cfg.Logger,
		lease: cfg.Lease, batch: cfg.Batch, maxAttempts: cfg.MaxAttempts, backoff: cfg.Backoff}
	if c.lease <= 0 {
		c.lease = time.Minute
	}
	if c.batch <= 0 {
		c.batch = 50
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = 10
	}
	if c.backoff == nil {
		c.backoff = Backoff
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c
}

// Backoff is the default retry delay: 10 s doubling per attempt, at most 1 h.
func Backoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Deliver claims one batch of due messages and attempts each. It returns how
// many it attempted.
func (c *Courier) Deliver(ctx context.Context) (int, error) {
	var batch []Message
	err := c.repo.InTx(ctx, func(tx Tx) (err error) {
		batch, err = tx.ClaimMessages(ctx, c.clock.Now(), c.lease, c.batch)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("claim outbox: %w", err)
	}
	for _, m := range batch {
		receipt, err := c.notifier.Notify(ctx, m)
		now := c.clock.Now()
		switch {
		case err == nil:
			m.State, m.Outcome, m.SentAt = Sent, receipt, now
		case errors.Is(err, ErrUndeliverable) || m.Attempts >= c.maxAttempts:
			m.State, m.Outcome = Dead, err.Error()
			c.log.WarnContext(ctx, "notification dead", "ticket", m.Ticket, "medium", m.Medium, "attempts", m.Attempts, "err", err)
		default:
			m.State, m.Outcome, m.NextTry = Queued, err.Error(), now.Add(c.backoff(m.Attempts))
		}
		if err := c.repo.InTx(ctx, func(tx Tx) error { return tx.SaveMessage(ctx, m) }); err != nil {
			return 0, fmt.Errorf("record delivery of message %d: %w", m.ID, err)
		}
	}
	return len(batch), nil
}

// Run delivers until ctx ends, waking every interval and draining backlogs
// batch after batch.
func (c *Courier) Run(ctx context.Context, every time.Duration) error {
	for {
		n, err := c.Deliver(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.log.ErrorContext(ctx, "outbox", "err", err)
		}
		if n == c.batch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.clock.After(every):
		}
	}
}
