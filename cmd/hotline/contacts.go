package main

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
)

// ivrSink publishes every IVR event on the bus as "ivr.<snake_case type>"
// (ivr.Started → "ivr.started", ivr.AgentRequested → "ivr.agent_requested").
func ivrSink(bus *event.Bus) ivr.Sink {
	return ivr.SinkFunc(func(e ivr.Event) {
		h := e.Head()
		_, _ = bus.Publish(context.Background(), event.Event{
			Type: ivrEventType(e), At: h.Time, ContactID: h.ContactID, Actor: "ivr", Data: e,
		})
	})
}

func ivrEventType(e ivr.Event) event.Type {
	t := reflect.TypeOf(e)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var b strings.Builder
	b.WriteString("ivr.")
	name := []rune(t.Name())
	for i, r := range name {
		// A word starts at an upper-case letter after a lower-case one, or
		// at the last capital of an acronym: AbandonedInIVR → abandoned_in_ivr.
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(name[i-1]) ||
			(i+1 < len(name) && unicode.IsLower(name[i+1]))) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return event.Type(b.String())
}

// contactRecorder keeps the contacts table — one row per customer
// interaction, the desk's customer history and the input of the batch KPIs
// (SQ01 first-contact resolution, SQ02 repeat contacts) — as a projection
// of the IVR's and the ACD's events. It is their only writer.
type contactRecorder struct {
	store *store.Store
	sub   *event.Subscription
	log   *slog.Logger
}

// newContactRecorder subscribes now, so no event published after it
// returns is missed; run consumes them.
func newContactRecorder(bus *event.Bus, st *store.Store, log *slog.Logger) *contactRecorder {
	sub := bus.Subscribe("contact-records", 16384, event.WaitUpTo(2*time.Second), func(e *event.Event) bool {
		return strings.HasPrefix(string(e.Type), "ivr.") || strings.HasPrefix(string(e.Type), "acd.")
	})
	return &contactRecorder{store: st, sub: sub, log: log}
}

// run applies events until the bus closes.
func (c *contactRecorder) run(ctx context.Context) {
	ctx = context.WithoutCancel(ctx) // drain what the bus holds at shutdown
	for e := range c.sub.C() {
		if err := c.apply(ctx, e); err != nil {
			c.log.Warn("contact record not updated", "contact_id", e.ContactID, "event", string(e.Type), "err", err)
		}
	}
}

func (c *contactRecorder) apply(ctx context.Context, e event.Event) error {
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

func (c *contactRecorder) applyACD(ctx context.Context, d acd.Event) error {
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

func (c *contactRecorder) create(ctx context.Context, id string, ch store.Channel, ani, entry string, at time.Time) error {
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

func (c *contactRecorder) end(ctx context.Context, id string, o store.Outcome, at time.Time) error {
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
