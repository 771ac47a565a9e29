package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// OutboxMessage is a notification waiting in, or delivered from, the ticket
// outbox. Key is unique.
type OutboxMessage struct {
	ID        int64
	Key       string
	Ticket    int64 // 0: about no ticket (the KPI day report)
	Medium    string
	To        string
	Subject   string
	Body      string
	State     string // queued, sent, dead
	Attempts  int
	NextTry   time.Time
	Outcome   string
	CreatedAt time.Time
	SentAt    time.Time // zero until sent
}

const outboxCols = `id, msg_key, ticket_id, medium, recipient, subject, body, state, attempts, next_try, outcome, created_at, sent_at`

func scanOutbox(r row) (OutboxMessage, error) {
	var m OutboxMessage
	var sent *time.Time
	var tk *int64
	err := r.Scan(&m.ID, &m.Key, &tk, &m.Medium, &m.To, &m.Subject, &m.Body, &m.State, &m.Attempts,
		&m.NextTry, &m.Outcome, &m.CreatedAt, &sent)
	m.NextTry, m.CreatedAt = m.NextTry.UTC(), m.CreatedAt.UTC()
	if sent != nil {
		m.SentAt = sent.UTC()
	}
	if tk != nil {
		m.Ticket = *tk
	}
	return m, err
}

// EnqueueOutbox adds messages; one whose Key exists is skipped.
func (s *Store) EnqueueOutbox(ctx context.Context, ms []OutboxMessage) error {
	for _, m := range ms {
		_, err := s.q.exec(ctx, `INSERT INTO ticket_outbox (msg_key, ticket_id, medium, recipient, subject, body,
			state, attempts, next_try, outcome, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (msg_key) DO NOTHING`,
			m.Key, nullID(m.Ticket), m.Medium, m.To, m.Subject, m.Body, m.State, m.Attempts, ts(m.NextTry), m.Outcome, ts(m.CreatedAt))
		if err != nil {
			return wrap("enqueue outbox", err)
		}
	}
	return nil
}

// ClaimOutbox takes up to limit queued messages due at now, counts an
// attempt and moves their next try to now+lease, and returns them in id
// order. On PostgreSQL rows other transactions hold are skipped (FOR UPDATE
// SKIP LOCKED), so couriers on several nodes never take the same message.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxMessage, error) {
	var q string
	switch s.dialect {
	case Postgres:
		q = `WITH due AS (SELECT id FROM ticket_outbox WHERE state = 'queued' AND next_try <= $1
				ORDER BY next_try, id LIMIT $3 FOR UPDATE SKIP LOCKED)
			UPDATE ticket_outbox o SET attempts = o.attempts + 1, next_try = $2
			FROM due WHERE o.id = due.id RETURNING ` + prefixed("o.", outboxCols)
	default:
		q = `UPDATE ticket_outbox SET attempts = attempts + 1, next_try = $2
			WHERE id IN (SELECT id FROM ticket_outbox WHERE state = 'queued' AND next_try <= $1
				ORDER BY next_try, id LIMIT $3)
			RETURNING ` + outboxCols
	}
	var out []OutboxMessage
	err := s.WithTx(ctx, func(tx *Store) error {
		r, err := tx.q.query(ctx, q, ts(now), ts(now.Add(lease)), limit)
		out, err = collect(r, err, func(r rows) (OutboxMessage, error) { return scanOutbox(r) })
		return err
	})
	slices.SortFunc(out, func(a, b OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
	return out, wrap("claim outbox", err)
}

// nullID is NULL for 0 (no ticket).
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func prefixed(p, cols string) string {
	var out []byte
	start := true
	for i := 0; i < len(cols); i++ {
		c := cols[i]
		if start && c != ' ' && c != '\t' && c != '\n' {
			out = append(out, p...)
			start = false
		}
		out = append(out, c)
		if c == ',' {
			start = true
		}
	}
	return string(out)
}

// SaveOutbox records a delivery outcome: state, outcome, next try and sent
// time.
func (s *Store) SaveOutbox(ctx context.Context, m OutboxMessage) error {
	n, err := s.q.exec(ctx, `UPDATE ticket_outbox SET state = $1, outcome = $2, next_try = $3, sent_at = $4
		WHERE id = $5`, m.State, m.Outcome, ts(m.NextTry), nullTime(m.SentAt), m.ID)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap(fmt.Sprintf("save outbox message %d", m.ID), err)
}

// TicketOutbox lists a ticket's messages in id order.
func (s *Store) TicketOutbox(ctx context.Context, ticket int64) ([]OutboxMessage, error) {
	r, err := s.q.query(ctx, `SELECT `+outboxCols+` FROM ticket_outbox WHERE ticket_id = $1 ORDER BY id`, ticket)
	out, err := collect(r, err, func(r rows) (OutboxMessage, error) { return scanOutbox(r) })
	return out, wrap(fmt.Sprintf("ticket %d outbox", ticket), err)
}
