package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is what repository methods run on: the pool or a transaction, of
// either backend. Writing the methods once against it keeps the two backends
// from drifting apart; the adapters below are deliberately thin.
type querier interface {
	exec(ctx context.Context, q string, args ...any) (int64, error)
	query(ctx context.Context, q string, args ...any) (rows, error)
	queryRow(ctx context.Context, q string, args ...any) row
}

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type row interface {
	Scan(dest ...any) error
}

// sqlQuerier runs on database/sql (SQLite): *sql.DB or *sql.Tx.
type sqlQuerier struct {
	db interface {
		ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	}
	// cache keeps statements prepared across transactions; txs, in a
	// transaction, its statements.
	cache *stmtCache
	txs   *txStmts
}

// Statements stay prepared: database/sql and the SQLite driver otherwise
// parse a statement's SQL on every run, and the contact records'
// projection spent 5 % of the server's CPU per call doing that
// (cmd/hotline-voicebench profile, docs/voice.md).
//
// stmtCache holds a statement per SQL text, prepared on the pool: database/sql
// prepares it once per connection it runs on and keeps it there. It is
// filled outside transactions: preparing on the pool from inside one could
// wait for the very connection the transaction holds (a pool of one), so
// what a transaction missed is added once it has ended (WithTx).
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// maxCachedStmts bounds the cache; SQL built from a query's options (a
// search with optional filters) beyond it runs unprepared.
const maxCachedStmts = 256

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

func (c *stmtCache) lookup(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[q]
}

// get returns q prepared on the pool, preparing it first if need be (nil:
// the cache is full or preparing failed). Not from inside a transaction.
func (c *stmtCache) get(ctx context.Context, q string) *sql.Stmt {
	c.mu.Lock()
	st, ok := c.m[q]
	full := len(c.m) >= maxCachedStmts
	c.mu.Unlock()
	if ok || full {
		return st
	}
	// Prepared without the lock held: it waits for a free connection.
	p, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		_ = p.Close()
		return st
	}
	c.m[q] = p
	return p
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// txStmts keeps a transaction's statements, by text, until it ends
// (database/sql closes them at commit or rollback): the pool's statement
// bound to the transaction's connection, or one prepared in it.
type txStmts struct {
	tx     *sql.Tx
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	missed []string // prepared here, not yet in the pool's cache
}

func newTxStmts(tx *sql.Tx) *txStmts { return &txStmts{tx: tx, m: map[string]*sql.Stmt{}} }

func (t *txStmts) get(ctx context.Context, q string, cache *stmtCache) *sql.Stmt {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st, ok := t.m[q]; ok {
		return st
	}
	var st *sql.Stmt
	if pooled := cache.lookup(q); pooled != nil {
		st = t.tx.StmtContext(ctx, pooled)
	} else if p, err := t.tx.PrepareContext(ctx, q); err == nil {
		st = p
		t.missed = append(t.missed, q)
	}
	t.m[q] = st
	return st
}

// fill adds what the ended transaction prepared for itself to the pool's
// cache, so the next transactions bind it instead of parsing it again.
func (t *txStmts) fill(ctx context.Context, cache *stmtCache) {
	t.mu.Lock()
	missed := t.missed
	t.missed = nil
	t.mu.Unlock()
	for _, q := range missed {
		cache.get(ctx, q)
	}
}

// stmt is q prepared, or nil: no cache (PostgreSQL's pgx keeps its own),
// or q is not one statement (a prepared statement runs only the first).
func (s sqlQuerier) stmt(ctx context.Context, q string) *sql.Stmt {
	if s.cache == nil || strings.Contains(strings.TrimRight(strings.TrimSpace(q), ";"), ";") {
		return nil
	}
	if s.txs != nil {
		return s.txs.get(ctx, q, s.cache)
	}
	return s.cache.get(ctx, q)
}

// Contexts of SQLite statements. modernc.org/sqlite starts a goroutine for
// every statement run under a context that can end (interruptOnDone, to
// interrupt it then), and database/sql one more for every row set read
// under one (Rows.awaitDone): at a desk's chat load that was over 12 000
// short-lived goroutines in 5 s, more than the desks' own
// (docs/desk-protocol.md, "Measured"). A statement on the embedded file
// that touches a few rows by key finishes in microseconds and waits for
// another writer at most busy_timeout, so it runs under a context that
// cannot end (context.WithoutCancel keeps the values): no goroutine. It
// is still not started under a context that has already ended. Two kinds
// keep the caller's context, so that a shutdown or a client that left
// interrupts them: reads of many rows (query), and statements over a
// whole table marked by their method with interruptible (the purges).
// PostgreSQL keeps every context: there it also bounds the wait on the
// network.
type interruptibleKey struct{}

// interruptible marks ctx: a SQLite statement run under it may be
// interrupted when ctx ends (a purge over a whole table).
func interruptible(ctx context.Context) context.Context {
	return context.WithValue(ctx, interruptibleKey{}, true)
}

// bounded is the context a short SQLite statement runs under (above), or
// ctx's error when it has ended already.
func bounded(ctx context.Context) (context.Context, error) {
	if ctx.Done() == nil {
		return ctx, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ctx.Value(interruptibleKey{}) != nil {
		return ctx, nil
	}
	return context.WithoutCancel(ctx), nil
}

func (s sqlQuerier) exec(ctx context.Context, q string, args ...any) (int64, error) {
	var res sql.Result
	ctx, err := bounded(ctx)
	if err != nil {
		return 0, err
	}
	if st := s.stmt(ctx, q); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = s.db.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s sqlQuerier) query(ctx context.Context, q string, args ...any) (rows, error) {
	var r *sql.Rows
	var err error
	if st := s.stmt(ctx, q); st != nil {
		r, err = st.QueryContext(ctx, args...)
	} else {
		r, err = s.db.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (s sqlQuerier) queryRow(ctx context.Context, q string, args ...any) row {
	ctx, err := bounded(ctx)
	if err != nil {
		return errRow{err}
	}
	if st := s.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, q, args...)
}

// preparer is implemented by the database/sql querier: SQLite runs a
// repeated statement fastest prepared.
type preparer interface {
	prepare(ctx context.Context, q string) (*sql.Stmt, error)
}

func (s sqlQuerier) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	p, ok := s.db.(interface {
		PrepareContext(ctx context.Context, q string) (*sql.Stmt, error)
	})
	if !ok {
		return nil, errors.New("prepare: not supported")
	}
	return p.PrepareContext(ctx, q)
}

type sqlRows struct{ *sql.Rows }

// errRow is a row that was not read: its Scan returns err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (r sqlRows) Close() { _ = r.Rows.Close() }

// pgQuerier runs on pgx (PostgreSQL): *pgxpool.Pool or pgx.Tx.
type pgQuerier struct {
	db interface {
		Exec(ctx context.Context, q string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, q string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, q string, args ...any) pgx.Row
	}
}

func (p pgQuerier) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := p.db.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (p pgQuerier) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := p.db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (p pgQuerier) queryRow(ctx context.Context, q string, args ...any) row {
	return p.db.QueryRow(ctx, q, args...)
}

// collect scans every row with scan and closes rows.
func collect[T any](r rows, err error, scan func(rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []T
	for r.Next() {
		v, err := scan(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, r.Err()
}
