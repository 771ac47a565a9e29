package bridge

import (
	"context"
	"errors"
	"time"

	"github.com/hotline10000/hotline/acd"
)

// Restored tells the Bridge which contacts the engine holds after a
// restore. Channels hold theirs again (Hold) now or within the grace
// period; a restored contact accepted but never connected is connected if
// its channel has no ring step. Contacts left without a channel when the
// grace period ends leave as system_lost (acd.LeaveTeardown).
func (b *Bridge) Restored(ctx context.Context, contacts []acd.ContactSnapshot) {
	deadline := b.o.Clock.Now().Add(b.o.Grace)
	var connect []string
	b.mu.Lock()
	for _, c := range contacts {
		h := b.held[c.ID]
		if h == nil {
			b.orphans[c.ID] = deadline
			continue
		}
		h.queue = c.Queue
		if c.State == "connected" {
			h.connected = true
		}
		if c.State == "accepted" && h.holder.Ring == nil {
			connect = append(connect, c.ID)
		}
		b.dirty[c.Queue] = true
	}
	b.mu.Unlock()
	for _, id := range connect {
		if err := b.o.Engine.Connected(ctx, id); err != nil {
			b.log.Warn("connect restored contact", "contact_id", id, "err", err)
		}
	}
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// nextOrphan is the earliest end of a grace period. Call with b.mu held.
func (b *Bridge) nextOrphan() (time.Time, bool) {
	var next time.Time
	for _, at := range b.orphans {
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next, !next.IsZero()
}

// settleOrphans ends the restored contacts whose grace period is over and
// that no channel holds.
func (b *Bridge) settleOrphans(ctx context.Context) {
	now := b.o.Clock.Now()
	var due []string
	b.mu.Lock()
	for id, at := range b.orphans {
		if !at.After(now) {
			due = append(due, id)
			delete(b.orphans, id)
		}
	}
	b.mu.Unlock()
	for _, id := range due {
		left, err := b.o.Engine.Leave(ctx, id, acd.LeaveTeardown)
		switch {
		case err != nil && !errors.Is(err, acd.ErrStopped):
			b.log.Warn("restored contact not settled", "contact_id", id, "err", err)
		case left != acd.LeftNothing:
			b.log.Info("restored contact had no channel; lost", "contact_id", id)
		}
	}
}
