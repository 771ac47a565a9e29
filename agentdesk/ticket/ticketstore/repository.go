package ticketstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/store"
)

// Repository is a ticket.Repository on the SQL store.
type Repository struct {
	st    *store.Store
	block int64

	mu     sync.Mutex
	blocks map[string]*block // day → numbers reserved by this node
}

type block struct{ next, end int64 } // [next, end)

// New returns a repository on st (migrated). Ticket numbers are reserved
// from the shared counter in blocks of blockSize per node (0: 20), so
// creators never wait on the counter; a restart skips the rest of a block.
func New(st *store.Store, blockSize int) *Repository {
	if blockSize <= 0 {
		blockSize = 20
	}
	return &Repository{st: st, block: int64(blockSize), blocks: map[string]*block{}}
}

// NextSequence implements ticket.Repository.
func (r *Repository) NextSequence(ctx context.Context, day string) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.blocks[day]
	if b == nil || b.next >= b.end {
		first, err := r.st.ReserveTicketSequence(ctx, day, r.block)
		if err != nil {
			return 0, mapErr(err)
		}
		b = &block{next: first, end: first + r.block}
		clear(r.blocks) // older days are done with
		r.blocks[day] = b
	}
	n := b.next
	b.next++
	return n, nil
}

// InTx implements ticket.Repository. A PostgreSQL deadlock or SQLite busy
// timeout surfaces as ticket.ErrConflict, which the desk retries.
func (r *Repository) InTx(ctx context.Context, fn func(ticket.Tx) error) error {
	// Errors of the transaction itself (begin, commit) are mapped too; fn's
	// own errors pass unchanged.
	return mapErr(r.st.WithTx(ctx, func(tx *store.Store) error { return fn(txn{tx}) }))
}

func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w (%v)", ticket.ErrNotFound, err)
	case errors.Is(err, store.ErrStale), errors.Is(err, store.ErrBusy):
		return fmt.Errorf("%w (%v)", ticket.ErrConflict, err)
	}
	return err
}

type txn struct{ s *store.Store }

func toRow(t *ticket.Ticket) (store.TicketRow, error) {
	doc, err := json.Marshal(t)
	if err != nil {
		return store.TicketRow{}, fmt.Errorf("encode ticket %s: %w", t.Number, err)
	}
	return store.TicketRow{
		ID: t.ID, Number: t.Number, IdempotencyKey: t.IdempotencyKey, Type: string(t.Type), Category: t.Category,
		Priority: string(t.Priority), PriorityRank: t.Priority.Rank(), Status: string(t.Status), Open: t.Open(),
		Group: t.Group, Assignee: t.Assignee, Region: t.Region, Phone: t.Customer.Phone, Subject: t.Subject,
		Description: t.Body, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, NextDue: t.SLA.NextDue,
		Deadline: t.SLA.Deadline, VisitDue: t.VisitDue(), Version: t.Version, Doc: string(doc),
	}, nil
}

func fromRow(r store.TicketRow) (*ticket.Ticket, error) {
	var t ticket.Ticket
	if err := json.Unmarshal([]byte(r.Doc), &t); err != nil {
		return nil, fmt.Errorf("decode ticket %d: %w", r.ID, err)
	}
	t.ID, t.Version, t.IdempotencyKey = r.ID, r.Version, r.IdempotencyKey
	t.SLA.NextDue, t.SLA.Deadline = r.NextDue, r.Deadline
	return &t, nil
}

func one(r store.TicketRow, err error) (*ticket.Ticket, error) {
	if err != nil {
		return nil, mapErr(err)
	}
	return fromRow(r)
}

func (x txn) Create(ctx context.Context, t *ticket.Ticket) error {
	row, err := toRow(t)
	if err != nil {
		return err
	}
	if err := x.s.CreateTicket(ctx, &row); err != nil {
		if errors.Is(err, store.ErrConflict) && t.IdempotencyKey != "" {
			// On PostgreSQL the failed insert aborted the transaction, so no
			// check can run; numbers are unique by allocation, which leaves
			// the key.
			if x.s.Dialect() == store.Postgres {
				return ticket.ErrDuplicateKey
			}
			if _, e := x.s.TicketByKey(ctx, t.IdempotencyKey); e == nil {
				return ticket.ErrDuplicateKey
			}
		}
		return mapErr(err)
	}
	t.ID = row.ID
	return nil
}

func (x txn) Get(ctx context.Context, id int64) (*ticket.Ticket, error) {
	return one(x.s.Ticket(ctx, id))
}

func (x txn) Lock(ctx context.Context, id int64) (*ticket.Ticket, error) {
	return one(x.s.LockTicket(ctx, id))
}

func (x txn) ByNumber(ctx context.Context, number string) (*ticket.Ticket, error) {
	return one(x.s.TicketByNumber(ctx, number))
}

func (x txn) ByKey(ctx context.Context, key string) (*ticket.Ticket, error) {
	return one(x.s.TicketByKey(ctx, key))
}

func (x txn) Update(ctx context.Context, t *ticket.Ticket, prev int64) error {
	row, err := toRow(t)
	if err != nil {
		return err
	}
	return mapErr(x.s.UpdateTicket(ctx, row, prev))
}

func (x txn) Search(ctx context.Context, f ticket.Filter) ([]*ticket.Ticket, error) {
	q := store.TicketQuery{Type: string(f.Type), Category: f.Category, Priority: string(f.Priority), Group: f.Group,
		Assignee: f.Assignee, Region: f.Region, Phone: f.Phone, Text: f.Text, OpenOnly: f.Open, From: f.From, To: f.To, VisitDue: f.VisitDue,
		Sort: string(f.Sort), Limit: f.Limit, Offset: f.Offset}
	for _, s := range f.Statuses {
		q.Statuses = append(q.Statuses, string(s))
	}
	rows, err := x.s.SearchTickets(ctx, q)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]*ticket.Ticket, 0, len(rows))
	for _, r := range rows {
		t, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (x txn) Due(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	ids, err := x.s.DueTickets(ctx, now, limit)
	return ids, mapErr(err)
}

func (x txn) AddHistory(ctx context.Context, es []ticket.Entry) error {
	rows := make([]store.TicketEntry, len(es))
	for i, e := range es {
		ch, err := json.Marshal(e.Changes)
		if err != nil {
			return err
		}
		rows[i] = store.TicketEntry{Ticket: e.Ticket, At: e.At, Actor: e.Actor, Role: string(e.Role),
			Action: e.Action, Changes: string(ch), Note: e.Note}
	}
	return mapErr(x.s.AddTicketHistory(ctx, rows))
}

func (x txn) History(ctx context.Context, id int64) ([]ticket.Entry, error) {
	rows, err := x.s.TicketHistory(ctx, id)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]ticket.Entry, len(rows))
	for i, r := range rows {
		out[i] = ticket.Entry{ID: r.ID, Ticket: r.Ticket, At: r.At, Actor: r.Actor, Role: ticket.Role(r.Role),
			Action: r.Action, Note: r.Note}
		if err := json.Unmarshal([]byte(r.Changes), &out[i].Changes); err != nil {
			return nil, fmt.Errorf("decode history %d: %w", r.ID, err)
		}
	}
	return out, nil
}

func (x txn) AddNote(ctx context.Context, a *ticket.Annotation) error {
	n := store.TicketNote{Ticket: a.Ticket, Kind: string(a.Kind), Author: a.Author, Body: a.Body, At: a.At}
	if err := x.s.AddTicketNote(ctx, &n); err != nil {
		return mapErr(err)
	}
	a.ID = n.ID
	return nil
}

func (x txn) Notes(ctx context.Context, id int64) ([]ticket.Annotation, error) {
	rows, err := x.s.TicketNotes(ctx, id)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]ticket.Annotation, len(rows))
	for i, r := range rows {
		out[i] = ticket.Annotation{ID: r.ID, Ticket: r.Ticket, Kind: ticket.NoteKind(r.Kind), Author: r.Author, Body: r.Body, At: r.At}
	}
	return out, nil
}

func toMsg(m ticket.Message) store.OutboxMessage {
	return store.OutboxMessage{ID: m.ID, Key: m.Key, Ticket: m.Ticket, Medium: string(m.Medium), To: m.To,
		Subject: m.Subject, Body: m.Body, State: m.State, Attempts: m.Attempts, NextTry: m.NextTry,
		Outcome: m.Outcome, CreatedAt: m.CreatedAt, SentAt: m.SentAt}
}

func fromMsgs(ms []store.OutboxMessage) []ticket.Message {
	out := make([]ticket.Message, len(ms))
	for i, m := range ms {
		out[i] = ticket.Message{ID: m.ID, Key: m.Key, Ticket: m.Ticket, Medium: ticket.Medium(m.Medium), To: m.To,
			Subject: m.Subject, Body: m.Body, State: m.State, Attempts: m.Attempts, NextTry: m.NextTry,
			Outcome: m.Outcome, CreatedAt: m.CreatedAt, SentAt: m.SentAt}
	}
	return out
}

func (x txn) Enqueue(ctx context.Context, ms []ticket.Message) error {
	rows := make([]store.OutboxMessage, len(ms))
	for i, m := range ms {
		rows[i] = toMsg(m)
	}
	return mapErr(x.s.EnqueueOutbox(ctx, rows))
}

func (x txn) ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]ticket.Message, error) {
	ms, err := x.s.ClaimOutbox(ctx, now, lease, limit)
	return fromMsgs(ms), mapErr(err)
}

func (x txn) SaveMessage(ctx context.Context, m ticket.Message) error {
	return mapErr(x.s.SaveOutbox(ctx, toMsg(m)))
}

func (x txn) Messages(ctx context.Context, id int64) ([]ticket.Message, error) {
	ms, err := x.s.TicketOutbox(ctx, id)
	return fromMsgs(ms), mapErr(err)
}

var _ ticket.Repository = (*Repository)(nil)
