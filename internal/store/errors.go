package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors. Check them with errors.Is; the error returned also names
// the operation and, for constraint violations, the constraint.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")            // unique or primary key violation
	ErrReference = errors.New("reference violation") // foreign key violation
	ErrInvalid   = errors.New("invalid value")       // check or not-null violation
	ErrBusy      = errors.New("store busy")          // lock not obtained in time
	ErrStale     = errors.New("stale version")       // optimistic lock lost
	ErrLocked    = errors.New("data directory locked by another process")
)

// ConstraintError is a constraint violation reported by either backend.
type ConstraintError struct {
	Kind       error  // ErrConflict, ErrReference or ErrInvalid
	Constraint string // constraint or column name when the backend reports it
	Err        error  // the driver's error
}

func (e *ConstraintError) Error() string {
	if e.Constraint != "" {
		return fmt.Sprintf("%v (%s): %v", e.Kind, e.Constraint, e.Err)
	}
	return fmt.Sprintf("%v: %v", e.Kind, e.Err)
}

func (e *ConstraintError) Is(target error) bool { return target == e.Kind }
func (e *ConstraintError) Unwrap() error        { return e.Err }

// wrap gives a driver error its operation context and maps it onto the
// store's sentinels.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, classify(err))
}

func classify(err error) error {
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return &ConstraintError{Kind: ErrConflict, Constraint: pgErr.ConstraintName, Err: err}
		case "23503":
			return &ConstraintError{Kind: ErrReference, Constraint: pgErr.ConstraintName, Err: err}
		case "23514", "23502", "22P02", "22001", "22003":
			c := pgErr.ConstraintName
			if c == "" {
				c = pgErr.ColumnName
			}
			return &ConstraintError{Kind: ErrInvalid, Constraint: c, Err: err}
		case "55P03", "40P01":
			return fmt.Errorf("%w: %v", ErrBusy, err)
		}
		return err
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &ConstraintError{Kind: ErrConflict, Err: err}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return &ConstraintError{Kind: ErrReference, Err: err}
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return &ConstraintError{Kind: ErrInvalid, Err: err}
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT:
			return fmt.Errorf("%w: %v", ErrBusy, err)
		}
	}
	return err
}
