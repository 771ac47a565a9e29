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

// Run applies events until the bus closes.
func (c *Projection) Run(ctx context.Context) {
	ctx = context.WithoutCancel(ctx) // drain what the bus holds at shutdown
	for e := range c.sub.C() {
		if err := c.apply(ctx, e); err != nil {
			c.log.Warn("contact record not updated", "contact_id", e.ContactID, "event", string(e.Type), "err", err)
		}
	}
}

func (c *Projection) apply(ctx context.Context, e event.Event) error {
	switch d := e.Data.(type) {
	case ivr.Started:
		return c.create(ctx, d.ContactID, channelOf(string(d.Channel)), d.ANI, d.Entry, d.Time)
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
		return c.end(ctx, d.ContactID, outcome, d.Time)
	case acd.Event:
		return c.applyACD(ctx, d)
	}
	return nil
}

func (c *Projection) applyACD(ctx context.Context, d acd.Event) error {
	switch d.Kind {
	case acd.EventQueued:
		if !d.FirstEntry {
			return nil
		}
		err := c.store.MarkQueued(ctx, d.Contact, d.RequestQueue, d.At)
		if errors.Is(err, store.ErrNotFound) {
			// Straight to a queue without the IVR (a chat asking for a
			// human at once, a transfer in from another system).
			if err = c.create(ctx, d.Contact, channelOf(d.Channel.String()), d.Customer, "", d.At); err == nil {
				err = c.store.MarkQueued(ctx, d.Contact, d.RequestQueue, d.At)
			}
		}
		return err
	case acd.EventAnswered:
		if d.Outcome != acd.Answered {
			return nil // a second answer after a transfer: the first agent stands
		}
		return c.store.MarkAnswered(ctx, d.Contact, d.Agent, d.At)
	case acd.EventHoldEnded:
		return c.store.AddHold(ctx, d.Contact, d.Wait)
	case acd.EventEnded:
		return c.end(ctx, d.Contact, store.OutcomeAnswered, d.At)
	case acd.EventAbandoned, acd.EventLost:
		// The request's outcome is carried by the first final event only;
		// one without it ends a contact that an agent already answered.
		switch {
		case d.Outcome == acd.NoOutcome:
			return c.end(ctx, d.Contact, store.OutcomeAnswered, d.At)
		case d.Outcome == acd.Abandoned:
			return c.end(ctx, d.Contact, store.OutcomeAbandoned, d.At)
		case d.Action == acd.Ticket || d.Action == acd.Voicemail:
			return c.end(ctx, d.Contact, store.OutcomeMessage, d.At)
		default:
			return c.end(ctx, d.Contact, store.OutcomeSystemLost, d.At)
		}
	}
	return nil
}

func (c *Projection) create(ctx context.Context, id string, ch store.Channel, ani, entry string, at time.Time) error {
	ct := store.Contact{ID: id, Channel: ch, ANI: ani, EntryPoint: entry, StartedAt: at}
	if ani != "" {
		if cust, err := c.store.CustomerByANI(ctx, ani); err == nil {
			ct.CustomerID = cust.ID
		}
	}
	_, err := c.store.CreateContact(ctx, ct)
	if errors.Is(err, store.ErrConflict) {
		return nil // already recorded
	}
	return err
}

func (c *Projection) end(ctx context.Context, id string, o store.Outcome, at time.Time) error {
	err := c.store.EndContact(ctx, id, o, at)
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
