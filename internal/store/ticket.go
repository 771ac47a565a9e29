package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// TicketRow is a ticket as the store keeps it for agentdesk/ticket: the
// columns the store indexes, filters and sorts on, and Doc, the owner's full
// JSON document. The store knows nothing of ticket rules.
type TicketRow struct {
	ID             int64
	Number         string
	IdempotencyKey string // empty: none
	Type           string
	Category       string
	Priority       string
	PriorityRank   int // higher is more urgent
	Status         string
	Open           bool
	Group          string
	Assignee       string
	Region         string
	Phone          string
	Subject        string
	Description    string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	NextDue        time.Time // zero: no SLA timer armed
	Deadline       time.Time // zero: no running deadline
	VisitDue       time.Time // zero: no return visit waiting
	Version        int64
	Doc            string
}

const ticketCols = `id, number, idempotency_key, type, category, priority, priority_rank, status, is_open,
	group_name, assignee, region, phone, subject, description, created_at, updated_at, next_due, deadline, visit_due, version, doc`

func scanTicket(r row) (TicketRow, error) {
	var t TicketRow
	var key *string
	var due, deadline, visit *time.Time
	err := r.Scan(&t.ID, &t.Number, &key, &t.Type, &t.Category, &t.Priority, &t.PriorityRank, &t.Status, &t.Open,
		&t.Group, &t.Assignee, &t.Region, &t.Phone, &t.Subject, &t.Description, &t.CreatedAt, &t.UpdatedAt,
		&due, &deadline, &visit, &t.Version, &t.Doc)
	t.IdempotencyKey = deref(key)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	if due != nil {
		t.NextDue = due.UTC()
	}
	if deadline != nil {
		t.Deadline = deadline.UTC()
	}
	if visit != nil {
		t.VisitDue = visit.UTC()
	}
	return t, err
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// CreateTicket inserts t and sets t.ID. A used idempotency key or number
// gives ErrConflict.
func (s *Store) CreateTicket(ctx context.Context, t *TicketRow) error {
	err := s.q.queryRow(ctx, `INSERT INTO tickets (number, idempotency_key, type, category, priority, priority_rank,
		status, is_open, group_name, assignee, region, phone, subject, description, created_at, updated_at,
		next_due, deadline, visit_due, version, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
		RETURNING id`,
		t.Number, nullable(t.IdempotencyKey), t.Type, t.Category, t.Priority, t.PriorityRank, t.Status, t.Open,
		t.Group, t.Assignee, t.Region, t.Phone, t.Subject, t.Description, ts(t.CreatedAt), ts(t.UpdatedAt),
		nullTime(t.NextDue), nullTime(t.Deadline), nullTime(t.VisitDue), t.Version, t.Doc).Scan(&t.ID)
	return wrap("create ticket", err)
}

// Ticket returns the ticket with id.
func (s *Store) Ticket(ctx context.Context, id int64) (TicketRow, error) {
	t, err := scanTicket(s.q.queryRow(ctx, `SELECT `+ticketCols+` FROM tickets WHERE id = $1`, id))
	return t, wrap(fmt.Sprintf("ticket %d", id), err)
}

// LockTicket returns the ticket with id and holds it until the transaction
// ends: SELECT … FOR UPDATE on PostgreSQL; on SQLite the write transaction
// (BEGIN IMMEDIATE) already excludes every other writer.
func (s *Store) LockTicket(ctx context.Context, id int64) (TicketRow, error) {
	q := `SELECT ` + ticketCols + ` FROM tickets WHERE id = $1`
	if s.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	t, err := scanTicket(s.q.queryRow(ctx, q, id))
	return t, wrap(fmt.Sprintf("lock ticket %d", id), err)
}

// TicketByNumber returns the ticket with a number.
func (s *Store) TicketByNumber(ctx context.Context, number string) (TicketRow, error) {
	t, err := scanTicket(s.q.queryRow(ctx, `SELECT `+ticketCols+` FROM tickets WHERE number = $1`, number))
	return t, wrap("ticket by number", err)
}

// TicketByKey returns the ticket created with an idempotency key.
func (s *Store) TicketByKey(ctx context.Context, key string) (TicketRow, error) {
	t, err := scanTicket(s.q.queryRow(ctx, `SELECT `+ticketCols+` FROM tickets WHERE idempotency_key = $1`, key))
	return t, wrap("ticket by key", err)
}

// UpdateTicket writes t if the stored version is prev: ErrStale when another
// writer got there first, ErrNotFound when there is no such ticket. The
// number, key and creation time never change.
func (s *Store) UpdateTicket(ctx context.Context, t TicketRow, prev int64) error {
	n, err := s.q.exec(ctx, `UPDATE tickets SET type = $1, category = $2, priority = $3, priority_rank = $4,
		status = $5, is_open = $6, group_name = $7, assignee = $8, region = $9, phone = $10, subject = $11,
		description = $12, updated_at = $13, next_due = $14, deadline = $15, visit_due = $16, version = $17, doc = $18
		WHERE id = $19 AND version = $20`,
		t.Type, t.Category, t.Priority, t.PriorityRank, t.Status, t.Open, t.Group, t.Assignee, t.Region, t.Phone,
		t.Subject, t.Description, ts(t.UpdatedAt), nullTime(t.NextDue), nullTime(t.Deadline), nullTime(t.VisitDue),
		t.Version, t.Doc, t.ID, prev)
	if err != nil {
		return wrap("update ticket", err)
	}
	if n == 1 {
		return nil
	}
	var v int64
	if err := s.q.queryRow(ctx, `SELECT version FROM tickets WHERE id = $1`, t.ID).Scan(&v); err != nil {
		return wrap(fmt.Sprintf("update ticket %d", t.ID), err)
	}
	return fmt.Errorf("update ticket %d: version %d, not %d: %w", t.ID, v, prev, ErrStale)
}

// TicketQuery selects tickets for SearchTickets. Empty fields match anything.
type TicketQuery struct {
	Statuses []string
	Type     string
	Category string
	Priority string
	Group    string
	Assignee string
	Region   string
	Phone    string
	Text     string // case-insensitive substring of subject or description
	OpenOnly bool
	From, To time.Time // created in [From, To)
	VisitDue time.Time // non-zero: only tickets whose return visit is due by then
	Sort     string    // "newest" (default), "oldest", "urgency", "visit"
	Limit    int
	Offset   int
}

// SearchTickets lists tickets matching q. Urgency order is the earliest
// deadline first (none last), then the higher priority, then the oldest.
func (s *Store) SearchTickets(ctx context.Context, q TicketQuery) ([]TicketRow, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = "+arg(v))
		}
	}
	if len(q.Statuses) > 0 {
		ph := make([]string, len(q.Statuses))
		for i, st := range q.Statuses {
			ph[i] = arg(st)
		}
		where = append(where, "status IN ("+strings.Join(ph, ", ")+")")
	}
	eq("type", q.Type)
	eq("category", q.Category)
	eq("priority", q.Priority)
	eq("group_name", q.Group)
	eq("assignee", q.Assignee)
	eq("region", q.Region)
	eq("phone", q.Phone)
	if q.OpenOnly {
		where = append(where, "is_open = "+arg(true))
	}
	if !q.From.IsZero() {
		where = append(where, "created_at >= "+arg(ts(q.From)))
	}
	if !q.To.IsZero() {
		where = append(where, "created_at < "+arg(ts(q.To)))
	}
	if !q.VisitDue.IsZero() {
		where = append(where, "visit_due <= "+arg(ts(q.VisitDue)))
	}
	if q.Text != "" {
		like := "LIKE"
		if s.dialect == Postgres {
			like = "ILIKE"
		}
		p := arg("%" + likeEscape(q.Text) + "%")
		where = append(where, fmt.Sprintf(`(subject %[1]s %[2]s ESCAPE '\' OR description %[1]s %[2]s ESCAPE '\')`, like, p))
	}
	sql := `SELECT ` + ticketCols + ` FROM tickets`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	switch q.Sort {
	case "oldest":
		sql += ` ORDER BY created_at, id`
	case "urgency":
		sql += ` ORDER BY deadline NULLS LAST, priority_rank DESC, created_at, id`
	case "visit":
		sql += ` ORDER BY visit_due NULLS LAST, id`
	default:
		sql += ` ORDER BY created_at DESC, id DESC`
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	sql += ` LIMIT ` + arg(limit) + ` OFFSET ` + arg(max(q.Offset, 0))
	r, err := s.q.query(ctx, sql, args...)
	out, err := collect(r, err, func(r rows) (TicketRow, error) { return scanTicket(r) })
	return out, wrap("search tickets", err)
}

// likeEscape makes s match literally inside a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// DueTickets returns the ids of open tickets whose next SLA timer is due at
// now, earliest first: a range scan of the partial index on next_due.
func (s *Store) DueTickets(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	r, err := s.q.query(ctx, `SELECT id FROM tickets WHERE next_due <= $1 AND is_open = $2
		ORDER BY next_due, id LIMIT $3`, ts(now), true, limit)
	out, err := collect(r, err, func(r rows) (int64, error) { var id int64; return id, r.Scan(&id) })
	return out, wrap("due tickets", err)
}

// NextTicketSequence allocates the next number of day's ticket sequence in
// the current transaction (which then holds the day's counter until it
// ends).
func (s *Store) NextTicketSequence(ctx context.Context, day string) (int64, error) {
	return s.ReserveTicketSequence(ctx, day, 1)
}

// ReserveTicketSequence reserves n consecutive numbers of day's sequence and
// returns the first. Run outside a transaction it commits at once, so a node
// can hand out a block without holding the counter.
func (s *Store) ReserveTicketSequence(ctx context.Context, day string, n int64) (int64, error) {
	var last int64
	err := s.WithTx(ctx, func(tx *Store) error {
		return tx.q.queryRow(ctx, `INSERT INTO ticket_sequences (day, last) VALUES ($1, $2)
			ON CONFLICT (day) DO UPDATE SET last = ticket_sequences.last + $2
			RETURNING last`, day, n).Scan(&last)
	})
	return last - n + 1, wrap("ticket sequence "+day, err)
}
