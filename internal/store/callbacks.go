package store

import (
	"context"
	"time"
)

// Callback is a callback owed to a customer who asked to be called back
// while queued (ivr/sip Callbacks): kept over a restart and retried while
// the customer does not answer.
type Callback struct {
	// ID is the contact that asked; it names the callback through its
	// attempts.
	ID string
	// Contact is the ACD contact of the attempt queued now; empty while
	// the callback waits for its next attempt (NextAt).
	Contact string
	Number  string
	Queue   string
	Tier    string
	// Attempts counts the calls the customer did not answer.
	Attempts  int
	NextAt    time.Time
	CreatedAt time.Time
}

const callbackCols = `id, contact_id, number, queue, tier, attempts, next_at, created_at`

// SaveCallback stores a callback, replacing the one of the same ID.
func (s *Store) SaveCallback(ctx context.Context, c Callback) error {
	_, err := s.q.exec(ctx, `INSERT INTO callbacks (`+callbackCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE SET contact_id = excluded.contact_id, number = excluded.number, queue = excluded.queue,
		tier = excluded.tier, attempts = excluded.attempts, next_at = excluded.next_at`,
		c.ID, c.Contact, c.Number, c.Queue, c.Tier, c.Attempts, ts(c.NextAt), ts(c.CreatedAt))
	return wrap("save callback "+c.ID, err)
}

// DeleteCallback removes a callback (made, or given up); ErrNotFound when
// there is none.
func (s *Store) DeleteCallback(ctx context.Context, id string) error {
	n, err := s.q.exec(ctx, `DELETE FROM callbacks WHERE id = $1`, id)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("delete callback "+id, err)
}

// Callbacks lists the callbacks owed, the next attempt first.
func (s *Store) Callbacks(ctx context.Context) ([]Callback, error) {
	rows, err := s.q.query(ctx, `SELECT `+callbackCols+` FROM callbacks ORDER BY next_at, id`)
	if err != nil {
		return nil, wrap("callbacks", err)
	}
	defer rows.Close()
	var out []Callback
	for rows.Next() {
		var c Callback
		if err := rows.Scan(&c.ID, &c.Contact, &c.Number, &c.Queue, &c.Tier, &c.Attempts, &c.NextAt, &c.CreatedAt); err != nil {
			return nil, wrap("callbacks", err)
		}
		c.NextAt, c.CreatedAt = c.NextAt.UTC(), c.CreatedAt.UTC()
		out = append(out, c)
	}
	return out, wrap("callbacks", rows.Err())
}
