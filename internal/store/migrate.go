package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrationFiles embed.FS

func newMigrations(s *Store, o Options) (*goose.Provider, error) {
	sub, err := fs.Sub(migrationFiles, "migrations/"+string(s.dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	if o.migrations != nil {
		sub = o.migrations
	}
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
		// Migration numbers are ranges per part of the system (metrics
		// 00050-00059, admin 00071-00079, …), so a release can bring a
		// number below one a database already has: apply it, do not refuse
		// the upgrade.
		goose.WithAllowOutofOrder(true),
	}
	dialect := goose.DialectSQLite3
	if s.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Runners in several processes queue on an advisory lock.
		retries := uint64(o.LockTimeout.Seconds())
		if retries < 1 {
			retries = 1
		}
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, retries))
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, s.db, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Migration is one applied migration.
type Migration struct {
	Version int64
	Name    string
}

// Migrate applies every pending migration, each in its own transaction, and
// returns those it applied. A migration that fails rolls back and the error
// names it; the ones before it stay applied.
func (s *Store) Migrate(ctx context.Context) ([]Migration, error) {
	if s.migrations == nil {
		return nil, errors.New("migrate: not on a root store")
	}
	results, err := s.migrations.Up(ctx)
	var partial *goose.PartialError
	if errors.As(err, &partial) {
		results = partial.Applied
	}
	applied := make([]Migration, 0, len(results))
	for _, r := range results {
		if r.Error == nil {
			applied = append(applied, Migration{Version: r.Source.Version, Name: baseName(r.Source.Path)})
		}
	}
	if err != nil {
		if partial != nil && partial.Failed != nil {
			return applied, fmt.Errorf("migrate: migration %s failed and was rolled back: %w",
				baseName(partial.Failed.Source.Path), classify(partial.Err))
		}
		return applied, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}

// MigrationsPending reports whether migrations remain to apply. It takes no
// lock, so a readiness probe never waits behind a running migration.
func (s *Store) MigrationsPending(ctx context.Context) (bool, error) {
	if s.migrations == nil {
		return false, errors.New("migrations pending: not on a root store")
	}
	pending, err := s.migrations.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("migrations pending: %w", classify(err))
	}
	return pending, nil
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}
