package store

import (
	"context"
	"fmt"
	"time"
)

// TicketEntry is one line of a ticket's audit trail.
type TicketEntry struct {
	ID      int64
	Ticket  int64
	At      time.Time
	Actor   string
	Role    string
	Action  string
	Changes string // JSON, the owner's before/after list
	Note    string
}

// AddTicketHistory appends entries, setting their IDs.
func (s *Store) AddTicketHistory(ctx context.Context, es []TicketEntry) error {
	for i := range es {
		e := &es[i]
		err := s.q.queryRow(ctx, `INSERT INTO ticket_history (ticket_id, at, actor, role, action, changes, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			e.Ticket, ts(e.At), e.Actor, e.Role, e.Action, e.Changes, e.Note).Scan(&e.ID)
		if err != nil {
			return wrap("add ticket history", err)
		}
	}
	return nil
}

// TicketHistory returns a ticket's trail, oldest first.
func (s *Store) TicketHistory(ctx context.Context, ticket int64) ([]TicketEntry, error) {
	r, err := s.q.query(ctx, `SELECT id, ticket_id, at, actor, role, action, changes, note
		FROM ticket_history WHERE ticket_id = $1 ORDER BY id`, ticket)
	out, err := collect(r, err, func(r rows) (TicketEntry, error) {
		var e TicketEntry
		err := r.Scan(&e.ID, &e.Ticket, &e.At, &e.Actor, &e.Role, &e.Action, &e.Changes, &e.Note)
		e.At = e.At.UTC()
		return e, err
	})
	return out, wrap(fmt.Sprintf("ticket %d history", ticket), err)
}

// TicketNote is an annotation on a ticket.
type TicketNote struct {
	ID     int64
	Ticket int64
	Kind   string
	Author string
	Body   string
	At     time.Time
}

// AddTicketNote inserts n and sets n.ID.
func (s *Store) AddTicketNote(ctx context.Context, n *TicketNote) error {
	err := s.q.queryRow(ctx, `INSERT INTO ticket_notes (ticket_id, kind, author, body, at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, n.Ticket, n.Kind, n.Author, n.Body, ts(n.At)).Scan(&n.ID)
	return wrap("add ticket note", err)
}

// TicketNotes returns a ticket's notes, oldest first.
func (s *Store) TicketNotes(ctx context.Context, ticket int64) ([]TicketNote, error) {
	r, err := s.q.query(ctx, `SELECT id, ticket_id, kind, author, body, at
		FROM ticket_notes WHERE ticket_id = $1 ORDER BY id`, ticket)
	out, err := collect(r, err, func(r rows) (TicketNote, error) {
		var n TicketNote
		err := r.Scan(&n.ID, &n.Ticket, &n.Kind, &n.Author, &n.Body, &n.At)
		n.At = n.At.UTC()
		return n, err
	})
	return out, wrap(fmt.Sprintf("ticket %d notes", ticket), err)
}
