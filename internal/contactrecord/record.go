// Package contactrecord keeps the contact records (the store's contacts
// table) as a projection of the IVR's and the ACD's events on the bus: a
// contact is created at ivr.started (or at its first acd.queued when it
// skipped the IVR), keeps the queue it first entered, the agent who
// answered, and exactly one outcome.
package contactrecord

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
)

// Projection keeps the contacts table — one row per customer interaction,
// the desk's customer history and the input of the batch KPIs (SQ01
// first-contact resolution, SQ02 repeat contacts) — as a projection of the
// IVR's and the ACD's events. It is their only writer.
type Projection struct {
	store *store.Store
	sub   *event.Subscription
	log   *slog.Logger
}

// New subscribes now, so no event published after it returns is missed;
// Run consumes them.
func New(bus *event.Bus, st *store.Store, log *slog.Logger) *Projection {
	sub := bus.Subscribe("contact-records", 16384, event.WaitUpTo(2*time.Second), func(e *event.Event) bool {
		return strings.HasPrefix(string(e.Type), "ivr.") || strings.HasPrefix(string(e.Type), "acd.")
	})
	return &Projection{store: st, sub: sub, log: log}
}

// maxBatch bounds the events applied in one transaction.
const maxBatch = 256

// linger is how long a batch waits for more events after its first. A
// contact record lags its event by at most this (plus the write).
const linger = 20 * time.Millisecond

// Run applies events until the bus closes. The events that come within
// linger of a batch's first are applied together in one transaction: one
// commit per batch instead of two or three per contact. With SQLite a
// commit (WAL frames, the write lock) was the larger half of the
// projection's cost, and the projection a third of the server's CPU time
// per call at a few hundred calls per second (cmd/hotline-voicebench,
// docs/voice.md). Taking only what already waited, a busy node still
// committed every event or two (at 400 calls/s begin and commit were 60 %
// of the projection's CPU); lingering makes the batches fill.
func (c *Projection) Run(ctx context.Context) {
	ctx = context.WithoutCancel(ctx) // drain what the bus holds at shutdown
	batch := make([]event.Event, 0, maxBatch)
	wait := time.NewTimer(linger)
	defer wait.Stop()
	for e := range c.sub.C() {
		batch = append(batch[:0], e)
		wait.Reset(linger)
	more:
		for len(batch) < maxBatch {
			select {
			case e, ok := <-c.sub.C():
				if !ok {
					break more
				}
				batch = append(batch, e)
			case <-wait.C:
				break more
			}
		}
		c.applyBatch(ctx, batch)
	}
}

// applyBatch applies batch in one transaction. When an event fails, the
// transaction rolls back (PostgreSQL refuses any statement after an error
// in it anyway) and the events are applied one by one, so only the
// failing one is lost, as without batching.
func (c *Projection) applyBatch(ctx context.Context, batch []event.Event) {
	if len(batch) > 1 {
		err := c.store.WithTx(ctx, func(tx *store.Store) error {
			for _, e := range batch {
				if err := c.apply(ctx, tx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			return
		}
	}
	for _, e := range batch {
		if err := c.apply(ctx, c.store, e); err != nil {
			c.log.Warn("contact record not updated", "contact_id", e.ContactID, "event", string(e.Type), "err", err)
		}
	}
}

func (c *Projection) apply(ctx context.Context, st *store.Store, e event.Event) error {
	switch d := e.Data.(type) {
	case ivr.Started:
		return c.create(ctx, st, d.ContactID, channelOf(string(d.Channel)), d.ANI, d.Entry, d.Time)
	case ivr.Ended:
		if d.AgentRequested {
			return nil // the ACD's events decide the outcome
		}
		outcome := map[ivr.Outcome]store.Outcome{
			ivr.OutcomeSelfService: store.OutcomeSelfService,
			ivr.OutcomeAbandoned:   store.OutcomeIVRAbandoned,
		}[d.Outcome]
		if outcome == "" {
			outcome = store.OutcomeSystemLost
		}
		return c.end(ctx, st, d.ContactID, outcome, d.Time)
	case acd.Event:
		return c.applyACD(ctx, st, d)
	}
	return nil
}

func (c *Projection) applyACD(ctx context.Context, st *store.Store, d acd.Event) error {
	switch d.Kind {
	case acd.EventQueued:
		if !d.FirstEntry {
			return nil
		}
		err := st.MarkQueued(ctx, d.Contact, d.RequestQueue, d.At)
		if errors.Is(err, store.ErrNotFound) {
			// Straight to a queue without the IVR (a chat asking for a
			// human at once, a transfer in from another system).
			if err = c.create(ctx, st, d.Contact, channelOf(d.Channel.String()), d.Customer, "", d.At); err == nil {
				err = st.MarkQueued(ctx, d.Contact, d.RequestQueue, d.At)
			}
		}
		return err
	case acd.EventAnswered:
		if d.Outcome != acd.Answered {
			return nil // a second answer after a transfer: the first agent stands
		}
		return st.MarkAnswered(ctx, d.Contact, d.Agent, d.At)
	case acd.EventHoldEnded:
		return st.AddHold(ctx, d.Contact, d.Wait)
	case acd.EventEnded:
		return c.end(ctx, st, d.Contact, store.OutcomeAnswered, d.At)
	case acd.EventAbandoned, acd.EventLost:
		// The request's outcome is carried by the first final event only;
		// one without it ends a contact that an agent already answered.
		switch {
		case d.Outcome == acd.NoOutcome:
			return c.end(ctx, st, d.Contact, store.OutcomeAnswered, d.At)
		case d.Outcome == acd.Abandoned:
			return c.end(ctx, st, d.Contact, store.OutcomeAbandoned, d.At)
		case d.Action == acd.Ticket || d.Action == acd.Voicemail:
			return c.end(ctx, st, d.Contact, store.OutcomeMessage, d.At)
		default:
			return c.end(ctx, st, d.Contact, store.OutcomeSystemLost, d.At)
		}
	}
	return nil
}

func (c *Projection) create(ctx context.Context, st *store.Store, id string, ch store.Channel, ani, entry string, at time.Time) error {
	ct := store.Contact{ID: id, Channel: ch, ANI: ani, EntryPoint: entry, StartedAt: at}
	if ani != "" {
		if cust, err := st.CustomerByANI(ctx, ani); err == nil {
			ct.CustomerID = cust.ID
		}
	}
	_, err := st.CreateContact(ctx, ct)
	if errors.Is(err, store.ErrConflict) {
		return nil // already recorded
	}
	return err
}

func (c *Projection) end(ctx context.Context, st *store.Store, id string, o store.Outcome, at time.Time) error {
	err := st.EndContact(ctx, id, o, at)
	if errors.Is(err, store.ErrConflict) {
		return nil // one outcome per contact: the first stands
	}
	return err
}

func channelOf(s string) store.Channel {
	if s == string(store.Chat) {
		return store.Chat
	}
	return store.Voice
}
