package store

import (
	"context"
	"database/sql"
	"errors"

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
}

func (s sqlQuerier) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s sqlQuerier) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (s sqlQuerier) queryRow(ctx context.Context, q string, args ...any) row {
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
