package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hotline10000/hotline/internal/event"
)

// insertRows is how many rows one PostgreSQL INSERT carries when COPY cannot
// be used (inside a transaction, or to skip ids already written). SQLite is
// different: BenchmarkAppendEvents showed its rate falling as statements grow
// past a few dozen rows, and a prepared one-row statement beating them all.
const insertRows = 200

// AppendEvents writes events to the append-only event log in one
// transaction. It is idempotent by event ID: an event already in the log is
// skipped, so a batch retried after an ambiguous failure is written once.
// PostgreSQL uses COPY; if COPY meets an ID already present the batch is
// rewritten with INSERT … ON CONFLICT DO NOTHING.
func (s *Store) AppendEvents(ctx context.Context, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	data := make([]string, len(events))
	clean := events
	for i := range events {
		b, err := json.Marshal(events[i].Data)
		if err != nil {
			return fmt.Errorf("append events: %w: encode %s %s: %w", event.ErrRejected, events[i].Type, events[i].ID, err)
		}
		if string(b) == "null" {
			b = []byte("{}")
		}
		data[i] = string(cleanJSON(b))
		if events[i].ID == "" {
			return fmt.Errorf("append events: %w: %w: event %d of type %s has no id", event.ErrRejected, ErrInvalid, i, events[i].Type)
		}
		if c, changed := cleanEvent(events[i]); changed {
			if &clean[0] == &events[0] {
				clean = append([]event.Event(nil), events...)
			}
			clean[i] = c
		}
	}
	err := s.appendEvents(ctx, clean, data)
	if errors.Is(err, ErrInvalid) || errors.Is(err, ErrReference) || rejectedByPostgres(err) {
		return fmt.Errorf("%w: %w", event.ErrRejected, err)
	}
	return err
}

func (s *Store) appendEvents(ctx context.Context, events []event.Event, data []string) error {
	if s.dialect == Postgres && !s.inTx {
		err := s.copyEvents(ctx, events, data)
		if err == nil || !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return s.WithTx(ctx, func(tx *Store) error { return tx.insertEvents(ctx, events, data) })
}

// rejectedByPostgres reports an error about the data itself (SQLSTATE
// classes 22 data exception and 54 program limit exceeded): writing the same
// rows again cannot succeed, unlike a lost connection or a server restart.
func rejectedByPostgres(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "54"))
}

// cleanEvent makes an event's text columns storable in PostgreSQL, which
// refuses NUL characters and invalid UTF-8 in text (SQLite keeps them, but
// both backends must store the same facts): such characters become U+FFFD.
func cleanEvent(e event.Event) (event.Event, bool) {
	changed := false
	for _, f := range []*string{&e.ID, &e.ContactID, &e.AgentID, &e.Queue, &e.Actor} {
		if c := cleanText(*f); c != *f {
			*f, changed = c, true
		}
	}
	if c := cleanText(string(e.Type)); c != string(e.Type) {
		e.Type, changed = event.Type(c), true
	}
	return e, changed
}

func cleanText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// cleanJSON replaces the escape \u0000 in encoded JSON with \ufffd:
// PostgreSQL's jsonb refuses NUL in strings, and one chat message holding it
// would otherwise reject the whole batch with everyone else's events.
// encoding/json already turns invalid UTF-8 into U+FFFD. A backslash that is
// itself escaped (\\u0000 is the six characters \u0000) is left alone.
func cleanJSON(b []byte) []byte {
	const nul = `\u0000`
	i := bytes.Index(b, []byte(nul))
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i >= 0 {
		slashes := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			slashes++
		}
		out = append(out, b[:i]...)
		if slashes%2 == 0 {
			out = append(out, `\ufffd`...)
		} else {
			out = append(out, nul...)
		}
		b = b[i+len(nul):]
		i = bytes.Index(b, []byte(nul))
	}
	return append(out, b...)
}

func (s *Store) copyEvents(ctx context.Context, events []event.Event, data []string) error {
	src := pgx.CopyFromSlice(len(events), func(i int) ([]any, error) {
		e := &events[i]
		return []any{e.ID, string(e.Type), ts(e.At), nullable(e.ContactID), nullable(e.AgentID),
			nullable(e.Queue), nullable(e.Actor), data[i], nullable(e.Node)}, nil
	})
	_, err := s.copier.CopyFrom(ctx, pgx.Identifier{"events"},
		[]string{"id", "type", "at", "contact_id", "agent_id", "queue", "actor", "data", "node"}, src)
	return wrap(fmt.Sprintf("append %d events", len(events)), err)
}

func (s *Store) insertEvents(ctx context.Context, events []event.Event, data []string) error {
	args := func(i int) []any {
		e := &events[i]
		return []any{e.ID, string(e.Type), ts(e.At), nullable(e.ContactID), nullable(e.AgentID),
			nullable(e.Queue), nullable(e.Actor), data[i], nullable(e.Node)}
	}
	if p, ok := s.q.(preparer); ok {
		// SQLite: one prepared statement, executed per row, in the
		// caller's transaction, under a context that cannot end (querier.go).
		ctx, err := bounded(ctx)
		if err != nil {
			return wrap("append events", err)
		}
		stmt, err := p.prepare(ctx, `INSERT INTO events (id, type, at, contact_id, agent_id, queue, actor, data, node)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`)
		if err != nil {
			return wrap("append events", err)
		}
		defer stmt.Close()
		for i := range events {
			if _, err := stmt.ExecContext(ctx, args(i)...); err != nil {
				return wrap(fmt.Sprintf("append event %s", events[i].ID), err)
			}
		}
		return nil
	}
	for start := 0; start < len(events); start += insertRows {
		end := min(start+insertRows, len(events))
		var b strings.Builder
		b.WriteString(`INSERT INTO events (id, type, at, contact_id, agent_id, queue, actor, data, node) VALUES `)
		all := make([]any, 0, (end-start)*9)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			n := len(all)
			fmt.Fprintf(&b, "($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d::jsonb,$%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9)
			all = append(all, args(i)...)
		}
		b.WriteString(` ON CONFLICT (id) DO NOTHING`)
		if _, err := s.q.exec(ctx, b.String(), all...); err != nil {
			return wrap(fmt.Sprintf("append %d events", end-start), err)
		}
	}
	return nil
}

// StoredEvent is an event as read back from the log: Data is raw JSON and
// Seq is the log's own order (not the publishing node's).
type StoredEvent struct {
	Seq       int64
	ID        string
	Type      event.Type
	At        time.Time
	ContactID string
	AgentID   string
	Queue     string
	Actor     string
	Node      string
	Data      json.RawMessage
}

// EventFilter selects events from the log. To page, pass the Seq of the
// last event read as AfterSeq with the same filter.
type EventFilter struct {
	AfterSeq  int64  // only events with a larger log sequence
	ContactID string // only this contact's events
	// From and To bound the events' At: From ≤ At < To; zero: unbounded.
	From, To time.Time
	// TypePrefix keeps the types that start with it ("acd.", "ivr.ended").
	TypePrefix string
	Limit      int // default 1000, at most 10 000
}

// Events reads the log in its order (Seq).
func (s *Store) Events(ctx context.Context, f EventFilter) ([]StoredEvent, error) {
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	if f.Limit > 10000 {
		f.Limit = 10000
	}
	q := `SELECT seq, id, type, at, contact_id, agent_id, queue, actor, node, data FROM events WHERE seq > $1`
	args := []any{f.AfterSeq, f.Limit}
	if f.ContactID != "" {
		args = append(args, f.ContactID)
		q += fmt.Sprintf(` AND contact_id = $%d`, len(args))
	}
	if !f.From.IsZero() {
		args = append(args, ts(f.From))
		q += fmt.Sprintf(` AND at >= $%d`, len(args))
	}
	if !f.To.IsZero() {
		args = append(args, ts(f.To))
		q += fmt.Sprintf(` AND at < $%d`, len(args))
	}
	if f.TypePrefix != "" {
		// A byte range, so that the (type, at) index serves it: the
		// prefix ≤ type < the prefix with its last byte raised. Types are
		// ASCII; PostgreSQL compares them bytewise under COLLATE "C".
		hi := []byte(f.TypePrefix)
		hi[len(hi)-1]++
		col := "type"
		if s.dialect == Postgres {
			col = `type COLLATE "C"`
		}
		args = append(args, f.TypePrefix, string(hi))
		q += fmt.Sprintf(` AND %s >= $%d AND %s < $%d`, col, len(args)-1, col, len(args))
	}
	q += ` ORDER BY seq LIMIT $2`
	r, err := s.q.query(ctx, q, args...)
	out, err := collect(r, err, func(r rows) (StoredEvent, error) {
		var e StoredEvent
		var contact, agent, queue, actor, node *string
		var data []byte
		err := r.Scan(&e.Seq, &e.ID, &e.Type, &e.At, &contact, &agent, &queue, &actor, &node, &data)
		e.ContactID, e.AgentID, e.Queue, e.Actor, e.Node = deref(contact), deref(agent), deref(queue), deref(actor), deref(node)
		e.At = e.At.UTC()
		e.Data = json.RawMessage(data)
		return e, err
	})
	return out, wrap("events", err)
}

// CountEvents counts the events in the log.
func (s *Store) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	err := s.q.queryRow(interruptible(ctx), `SELECT count(*) FROM events`).Scan(&n)
	return n, wrap("count events", err)
}
