package tickettest

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// Memory is an in-memory ticket.Repository for tests. Transactions are
// serialised by one mutex and their writes staged until commit, so a failed
// transaction leaves nothing behind.
type Memory struct {
	mu       sync.Mutex
	tickets  map[int64]*ticket.Ticket
	keys     map[string]int64
	numbers  map[string]int64
	seq      map[string]int64
	history  map[int64][]ticket.Entry
	notes    map[int64][]ticket.Annotation
	messages map[int64]ticket.Message
	msgKeys  map[string]bool
	lastID   int64
	lastTk   int64

	// FailSave, when set, fails SaveMessage with this error (a crash between
	// sending and recording).
	FailSave error
	// FailLock fails Lock of the tickets it names (a damaged row).
	FailLock map[int64]error
}

// NewMemory returns an empty repository.
func NewMemory() *Memory {
	return &Memory{
		tickets: map[int64]*ticket.Ticket{}, keys: map[string]int64{}, numbers: map[string]int64{},
		seq: map[string]int64{}, history: map[int64][]ticket.Entry{}, notes: map[int64][]ticket.Annotation{},
		messages: map[int64]ticket.Message{}, msgKeys: map[string]bool{},
	}
}

// InTx implements ticket.Repository.
func (m *Memory) InTx(ctx context.Context, fn func(ticket.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	tx := &memTx{m: m, tickets: map[int64]*ticket.Ticket{}, msgs: map[int64]ticket.Message{}}
	if err := fn(tx); err != nil {
		return err
	}
	for id, t := range tx.tickets {
		m.tickets[id] = t
		if t.IdempotencyKey != "" {
			m.keys[t.IdempotencyKey] = id
		}
		m.numbers[t.Number] = id
	}
	for _, e := range tx.history {
		m.history[e.Ticket] = append(m.history[e.Ticket], e)
	}
	for _, a := range tx.notes {
		m.notes[a.Ticket] = append(m.notes[a.Ticket], a)
	}
	for id, msg := range tx.msgs {
		m.messages[id] = msg
		m.msgKeys[msg.Key] = true
	}
	return nil
}

// Len reports how many tickets are stored.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tickets)
}

func (m *Memory) id() int64 { m.lastID++; return m.lastID }

type memTx struct {
	m       *Memory
	tickets map[int64]*ticket.Ticket
	history []ticket.Entry
	notes   []ticket.Annotation
	msgs    map[int64]ticket.Message
}

// NextSequence implements ticket.Repository.
func (m *Memory) NextSequence(_ context.Context, day string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq[day]++
	return m.seq[day], nil
}

func (tx *memTx) Create(_ context.Context, t *ticket.Ticket) error {
	if t.IdempotencyKey != "" {
		if _, ok := tx.m.keys[t.IdempotencyKey]; ok {
			return ticket.ErrDuplicateKey
		}
		for _, s := range tx.tickets {
			if s.IdempotencyKey == t.IdempotencyKey {
				return ticket.ErrDuplicateKey
			}
		}
	}
	tx.m.lastTk++
	t.ID = tx.m.lastTk
	tx.tickets[t.ID] = t.Clone()
	return nil
}

func (tx *memTx) get(id int64) (*ticket.Ticket, error) {
	if t, ok := tx.tickets[id]; ok {
		return t.Clone(), nil
	}
	if t, ok := tx.m.tickets[id]; ok {
		return t.Clone(), nil
	}
	return nil, ticket.ErrNotFound
}

func (tx *memTx) Get(_ context.Context, id int64) (*ticket.Ticket, error) { return tx.get(id) }
func (tx *memTx) Lock(_ context.Context, id int64) (*ticket.Ticket, error) {
	if err := tx.m.FailLock[id]; err != nil {
		return nil, err
	}
	return tx.get(id)
}

func (tx *memTx) ByNumber(_ context.Context, number string) (*ticket.Ticket, error) {
	for _, t := range tx.tickets {
		if t.Number == number {
			return t.Clone(), nil
		}
	}
	if id, ok := tx.m.numbers[number]; ok {
		return tx.get(id)
	}
	return nil, ticket.ErrNotFound
}

func (tx *memTx) ByKey(_ context.Context, key string) (*ticket.Ticket, error) {
	for _, t := range tx.tickets {
		if t.IdempotencyKey == key {
			return t.Clone(), nil
		}
	}
	if id, ok := tx.m.keys[key]; ok {
		return tx.get(id)
	}
	return nil, ticket.ErrNotFound
}

func (tx *memTx) Update(_ context.Context, t *ticket.Ticket, prev int64) error {
	cur, err := tx.get(t.ID)
	if err != nil {
		return err
	}
	if cur.Version != prev || t.Version != prev+1 {
		return ticket.ErrConflict
	}
	tx.tickets[t.ID] = t.Clone()
	return nil
}

func (tx *memTx) all() []*ticket.Ticket {
	var out []*ticket.Ticket
	for id, t := range tx.m.tickets {
		if _, ok := tx.tickets[id]; !ok {
			out = append(out, t)
		}
	}
	for _, t := range tx.tickets {
		out = append(out, t)
	}
	return out
}

// Match reports whether t passes f, as every Repository must filter.
func Match(f ticket.Filter, t *ticket.Ticket) bool {
	q := strings.ToLower(f.Text)
	return (len(f.Statuses) == 0 || slices.Contains(f.Statuses, t.Status)) &&
		(f.Type == "" || f.Type == t.Type) &&
		(f.Category == "" || f.Category == t.Category) &&
		(f.Priority == "" || f.Priority == t.Priority) &&
		(f.Group == "" || f.Group == t.Group) &&
		(f.Assignee == "" || f.Assignee == t.Assignee) &&
		(f.Region == "" || f.Region == t.Region) &&
		(f.Phone == "" || f.Phone == t.Customer.Phone) &&
		(!f.Open || t.Open()) &&
		(f.From.IsZero() || !t.CreatedAt.Before(f.From)) &&
		(f.To.IsZero() || t.CreatedAt.Before(f.To)) &&
		(f.VisitDue.IsZero() || (!t.VisitDue().IsZero() && !t.VisitDue().After(f.VisitDue))) &&
		(q == "" || strings.Contains(strings.ToLower(t.Subject), q) || strings.Contains(strings.ToLower(t.Body), q))
}

// Order compares two tickets in sort order s, as every Repository must sort.
func Order(s ticket.Sort) func(a, b *ticket.Ticket) int {
	switch s {
	case ticket.Oldest:
		return func(a, b *ticket.Ticket) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		}
	case ticket.Visits:
		return func(a, b *ticket.Ticket) int {
			da, db := a.VisitDue(), b.VisitDue()
			switch {
			case da.IsZero() && !db.IsZero():
				return 1
			case !da.IsZero() && db.IsZero():
				return -1
			}
			return cmp.Or(da.Compare(db), cmp.Compare(a.ID, b.ID))
		}
	case ticket.Urgency:
		return func(a, b *ticket.Ticket) int {
			da, db := a.SLA.Deadline, b.SLA.Deadline
			var c int
			switch {
			case da.IsZero() && !db.IsZero():
				c = 1
			case !da.IsZero() && db.IsZero():
				c = -1
			default:
				c = da.Compare(db)
			}
			return cmp.Or(c, cmp.Compare(b.Priority.Rank(), a.Priority.Rank()),
				a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		}
	default:
		return func(a, b *ticket.Ticket) int {
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
		}
	}
}

func (tx *memTx) Search(_ context.Context, f ticket.Filter) ([]*ticket.Ticket, error) {
	var out []*ticket.Ticket
	for _, t := range tx.all() {
		if Match(f, t) {
			out = append(out, t.Clone())
		}
	}
	slices.SortFunc(out, Order(f.Sort))
	if f.Offset >= len(out) {
		return nil, nil
	}
	out = out[f.Offset:]
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (tx *memTx) Due(_ context.Context, now time.Time, limit int) ([]int64, error) {
	var due []*ticket.Ticket
	for _, t := range tx.all() {
		if t.Open() && !t.SLA.NextDue.IsZero() && !t.SLA.NextDue.After(now) {
			due = append(due, t)
		}
	}
	slices.SortFunc(due, func(a, b *ticket.Ticket) int {
		return cmp.Or(a.SLA.NextDue.Compare(b.SLA.NextDue), cmp.Compare(a.ID, b.ID))
	})
	var ids []int64
	for _, t := range due {
		if len(ids) == limit {
			break
		}
		ids = append(ids, t.ID)
	}
	return ids, nil
}

func (tx *memTx) AddHistory(_ context.Context, es []ticket.Entry) error {
	for _, e := range es {
		e.ID = tx.m.id()
		e.Changes = slices.Clone(e.Changes)
		tx.history = append(tx.history, e)
	}
	return nil
}

func (tx *memTx) History(_ context.Context, id int64) ([]ticket.Entry, error) {
	out := slices.Clone(tx.m.history[id])
	for _, e := range tx.history {
		if e.Ticket == id {
			out = append(out, e)
		}
	}
	return out, nil
}

func (tx *memTx) AddNote(_ context.Context, a *ticket.Annotation) error {
	a.ID = tx.m.id()
	tx.notes = append(tx.notes, *a)
	return nil
}

func (tx *memTx) Notes(_ context.Context, id int64) ([]ticket.Annotation, error) {
	out := slices.Clone(tx.m.notes[id])
	for _, a := range tx.notes {
		if a.Ticket == id {
			out = append(out, a)
		}
	}
	return out, nil
}

func (tx *memTx) Enqueue(_ context.Context, ms []ticket.Message) error {
	for _, msg := range ms {
		dup := tx.m.msgKeys[msg.Key]
		for _, s := range tx.msgs {
			dup = dup || s.Key == msg.Key
		}
		if dup {
			continue
		}
		msg.ID = tx.m.id()
		tx.msgs[msg.ID] = msg
	}
	return nil
}

func (tx *memTx) message(id int64) (ticket.Message, bool) {
	if msg, ok := tx.msgs[id]; ok {
		return msg, true
	}
	msg, ok := tx.m.messages[id]
	return msg, ok
}

func (tx *memTx) allMessages() []ticket.Message {
	var out []ticket.Message
	for id, msg := range tx.m.messages {
		if _, ok := tx.msgs[id]; !ok {
			out = append(out, msg)
		}
	}
	for _, msg := range tx.msgs {
		out = append(out, msg)
	}
	slices.SortFunc(out, func(a, b ticket.Message) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (tx *memTx) ClaimMessages(_ context.Context, now time.Time, lease time.Duration, limit int) ([]ticket.Message, error) {
	var due []ticket.Message
	for _, msg := range tx.allMessages() {
		if msg.State == ticket.Queued && !msg.NextTry.After(now) {
			due = append(due, msg)
		}
	}
	slices.SortStableFunc(due, func(a, b ticket.Message) int { return a.NextTry.Compare(b.NextTry) })
	if len(due) > limit {
		due = due[:limit]
	}
	for i := range due {
		due[i].Attempts++
		due[i].NextTry = now.Add(lease)
		tx.msgs[due[i].ID] = due[i]
	}
	return due, nil
}

func (tx *memTx) SaveMessage(_ context.Context, msg ticket.Message) error {
	if tx.m.FailSave != nil {
		return tx.m.FailSave
	}
	cur, ok := tx.message(msg.ID)
	if !ok {
		return ticket.ErrNotFound
	}
	cur.State, cur.Outcome, cur.NextTry, cur.SentAt = msg.State, msg.Outcome, msg.NextTry, msg.SentAt
	tx.msgs[msg.ID] = cur
	return nil
}

func (tx *memTx) Messages(_ context.Context, id int64) ([]ticket.Message, error) {
	var out []ticket.Message
	for _, msg := range tx.allMessages() {
		if msg.Ticket == id {
			out = append(out, msg)
		}
	}
	return out, nil
}

var _ ticket.Repository = (*Memory)(nil)

// errRollback is returned by contract tests to abort a transaction.
var errRollback = errors.New("rollback")
