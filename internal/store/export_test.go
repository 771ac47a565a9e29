package store

import (
	"context"
	"io/fs"
)

// WithMigrations replaces the embedded migrations, for failure-path tests.
func WithMigrations(o Options, fsys fs.FS) Options {
	o.migrations = fsys
	return o
}

// Exec runs raw SQL, for tests that probe constraints and triggers.
func (s *Store) Exec(q string, args ...any) error {
	_, err := s.q.exec(context.Background(), q, args...)
	return err
}
