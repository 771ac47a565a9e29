package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/hotline10000/hotline/internal/dsn"
)

// Dialect names a backend.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options configure Open.
type Options struct {
	// URL selects the backend: a postgres:// or postgresql:// URL selects
	// PostgreSQL; empty selects the embedded SQLite file in DataDir.
	URL string
	// DataDir holds the SQLite file (hotline.db) and its lock file.
	DataDir string
	// MaxConns bounds the connection pool (0: backend default).
	MaxConns int
	// BusyTimeout is how long a SQLite statement waits for another writer.
	BusyTimeout time.Duration
	// LockTimeout is how long Open waits for another process holding the
	// data directory (SQLite) and Migrate for the migration lock (PostgreSQL).
	LockTimeout time.Duration
	Logger      *slog.Logger

	migrations fs.FS // replaces the embedded migrations (tests of failure paths)
}

// Store is the SQL store. It is safe for concurrent use. The *Store handed to
// a WithTx callback runs every method inside that transaction.
type Store struct {
	dialect Dialect
	q       querier
	copier  interface { // PostgreSQL only: the pool or the transaction
		CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error)
	}
	inTx bool

	// Owned by the root store only.
	db         *sql.DB // SQLite handle, or a database/sql view of the pool for migrations
	pool       *pgxpool.Pool
	dirLock    *dirLock
	migrations *goose.Provider
	log        *slog.Logger
}

// Open connects to the backend Options.URL selects and checks that it
// answers. It does not migrate: call Migrate.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 30 * time.Second
	}
	var (
		s   *Store
		err error
	)
	switch {
	case o.URL == "" || o.URL == "sqlite":
		s, err = openSQLite(ctx, o)
	case strings.HasPrefix(o.URL, "postgres://"), strings.HasPrefix(o.URL, "postgresql://"):
		s, err = openPostgres(ctx, o)
	default:
		return nil, fmt.Errorf("open store: unsupported database URL scheme in %q (want postgres://… or empty for the embedded store)", redactURL(o.URL))
	}
	if err != nil {
		return nil, err
	}
	s.log = o.Logger
	if s.migrations, err = newMigrations(s, o); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func openSQLite(ctx context.Context, o Options) (*Store, error) {
	if o.DataDir == "" {
		return nil, errors.New("open sqlite store: no data directory")
	}
	if err := os.MkdirAll(o.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	lock, err := lockDir(ctx, o.DataDir, o.LockTimeout)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", o.DataDir, err)
	}
	busy := o.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	path := filepath.Join(o.DataDir, "hotline.db")
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// IMMEDIATE transactions take the write lock at BEGIN, so two writers
	// queue on busy_timeout instead of failing when a read upgrades.
	q.Set("_txlock", "immediate")
	// Times are stored as integer microseconds and read back as time.Time.
	q.Set("_time_integer_format", "unix_micro")
	q.Set("_inttotime", "1")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	maxConns := o.MaxConns
	if maxConns <= 0 {
		maxConns = 8
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	// Reading the schema catalogue fails at once on a file that is not a
	// database or whose header is damaged.
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		db.Close()
		lock.release()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, classify(err))
	}
	return &Store{dialect: SQLite, q: sqlQuerier{db: db, cache: newStmtCache(db)}, db: db, dirLock: lock}, nil
}

func openPostgres(ctx context.Context, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		// The parser's error may quote the URL: its text is scrubbed, and
		// the error is not wrapped, so no caller prints the original.
		return nil, fmt.Errorf("open postgres store %s: parse database URL: %s", redactURL(o.URL), dsn.Scrub(err.Error(), o.URL))
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = int32(o.MaxConns)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, &scrubbedError{msg: fmt.Sprintf("open postgres store %s: %s", redactURL(o.URL), dsn.Scrub(err.Error(), o.URL)), err: err}
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, &scrubbedError{msg: fmt.Sprintf("open postgres store %s: %s", redactURL(o.URL), dsn.Scrub(err.Error(), o.URL)), err: err}
	}
	return &Store{
		dialect: Postgres,
		q:       pgQuerier{pool},
		copier:  pool,
		pool:    pool,
		db:      stdlib.OpenDBFromPool(pool),
	}, nil
}

// Dialect tells which backend the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks that the backend answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return wrap("ping", s.q.queryRow(ctx, "SELECT 1").Scan(&one))
}

// Close releases the connections and, for SQLite, the data directory.
func (s *Store) Close() error {
	if s.inTx {
		return errors.New("close store: called inside a transaction")
	}
	var err error
	if q, ok := s.q.(sqlQuerier); ok && q.cache != nil {
		q.cache.close()
	}
	if s.db != nil {
		err = s.db.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
	if s.dirLock != nil {
		s.dirLock.release()
	}
	return err
}

// WithTx runs fn in one transaction: it commits when fn returns nil and
// rolls back otherwise. Called on a transactional store it joins the
// transaction already open.
func (s *Store) WithTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.inTx {
		return fn(s)
	}
	switch s.dialect {
	case SQLite:
		// BEGIN and COMMIT run under the context given here: one that
		// cannot end, as for every short statement (querier.go).
		ctx, err := bounded(ctx)
		if err != nil {
			return wrap("begin", err)
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return wrap("begin", err)
		}
		cache, stmts := s.q.(sqlQuerier).cache, newTxStmts(tx)
		txs := &Store{dialect: s.dialect, q: sqlQuerier{db: tx, cache: cache, txs: stmts}, inTx: true, log: s.log}
		if err := fn(txs); err != nil {
			_ = tx.Rollback()
			stmts.fill(ctx, cache)
			return err
		}
		err = tx.Commit()
		stmts.fill(ctx, cache)
		return wrap("commit", err)
	default:
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			return wrap("begin", err)
		}
		txs := &Store{dialect: s.dialect, q: pgQuerier{tx}, copier: tx, inTx: true, log: s.log}
		if err := fn(txs); err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			return err
		}
		return wrap("commit", tx.Commit(ctx))
	}
}

// redactURL hides the password of a database URL or connection string,
// in any form (user:password@, ?password=, password=…), for messages.
func redactURL(raw string) string { return dsn.Redact(raw) }

// scrubbedError is a driver's error whose text had the password masked; it
// still unwraps to the driver's error for errors.Is and errors.As.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// ts normalises a time for storage: UTC, microsecond precision, which both
// backends keep exactly.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func tsPtr(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return ts(*t)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
