package ticket

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// effects collects what one transaction must write besides the ticket row
// (history, outbox) and what to publish once it committed (events).
type effects struct {
	s        *Service
	now      time.Time
	actor    Actor
	history  []Entry
	messages []Message
	events   []Event
}

func (s *Service) effects(actor Actor) *effects {
	return &effects{s: s, now: s.now(), actor: actor}
}

// record appends a history entry for the change from before to after.
func (e *effects) record(before, after *Ticket, action, note string) {
	var changes []Change
	if before != nil {
		changes = diff(before, after)
	}
	e.history = append(e.history, Entry{
		Ticket: after.ID, At: e.now, Actor: e.actor.ID, Role: e.actor.Role,
		Action: action, Changes: changes, Note: note,
	})
}

// event queues ev for publishing and writes it to every subscribed webhook.
func (e *effects) event(ev Event) error {
	ev.Actor = e.actor.ID
	e.events = append(e.events, ev)
	for _, w := range e.s.cfg.Webhooks {
		if len(w.Events) > 0 && !slices.Contains(w.Events, ev.Kind) {
			continue
		}
		body, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("webhook payload: %w", err)
		}
		e.enqueue(ev.Ticket, ev.Kind, Message{Medium: ByWebhook, To: w.Name, Subject: ev.Kind, Body: string(body)})
	}
	return nil
}

func (e *effects) enqueue(ticket int64, why string, m Message) {
	// The key is unique per message (a time-ordered UUID): it is what the far
	// end deduplicates on when a send is retried.
	m.Key = fmt.Sprintf("%d-%s-%s", ticket, why, uuid.Must(uuid.NewV7()))
	m.Ticket, m.State, m.NextTry, m.CreatedAt = ticket, Queued, e.now, e.now
	e.messages = append(e.messages, m)
}

// customer notifies the ticket's customer by SMS (and e-mail when known).
func (e *effects) customer(t *Ticket, tmpl string, n note) error {
	subject, body, err := render(e.s.policy().tmpl, t.Customer.Language, tmpl, t, n, e.s.loc)
	if err != nil {
		return err
	}
	e.enqueue(t.ID, tmpl, Message{Medium: BySMS, To: t.Customer.Phone, Subject: subject, Body: body})
	if t.Customer.Email != "" {
		e.enqueue(t.ID, tmpl, Message{Medium: ByEmail, To: t.Customer.Email, Subject: subject, Body: body})
	}
	return nil
}

// staff notifies a member of staff by every address the directory knows.
// Unknown people are skipped: the event still records what happened.
func (e *effects) staff(t *Ticket, who, tmpl string, n note) error {
	if who == "" || e.s.cfg.Directory == nil {
		return nil
	}
	a, ok := e.s.cfg.Directory.Staff(who)
	if !ok {
		return nil
	}
	subject, body, err := render(e.s.policy().tmpl, a.Language, tmpl, t, n, e.s.loc)
	if err != nil {
		return err
	}
	if a.Phone != "" {
		e.enqueue(t.ID, tmpl, Message{Medium: BySMS, To: a.Phone, Subject: subject, Body: body})
	}
	if a.Email != "" {
		e.enqueue(t.ID, tmpl, Message{Medium: ByEmail, To: a.Email, Subject: subject, Body: body})
	}
	return nil
}

// lead notifies the lead of group.
func (e *effects) lead(t *Ticket, group, tmpl string, n note) error {
	if e.s.cfg.Directory == nil {
		return nil
	}
	id, ok := e.s.cfg.Directory.Lead(group)
	if !ok {
		return nil
	}
	return e.staff(t, id, tmpl, n)
}

// flush writes the history and outbox of the transaction.
func (e *effects) flush(ctx context.Context, tx Tx) error {
	if len(e.history) > 0 {
		if err := tx.AddHistory(ctx, e.history); err != nil {
			return fmt.Errorf("add history: %w", err)
		}
	}
	if len(e.messages) > 0 {
		if err := tx.Enqueue(ctx, e.messages); err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
	}
	return nil
}
