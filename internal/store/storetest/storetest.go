// Package storetest opens migrated stores for tests of other packages.
package storetest

import (
	"context"
	"testing"

	"github.com/hotline10000/hotline/internal/pgtest"
	"github.com/hotline10000/hotline/internal/store"
)

// SQLite opens a migrated embedded store in a temporary directory, closed
// when the test ends.
func SQLite(tb testing.TB) *store.Store {
	tb.Helper()
	return open(tb, store.Options{DataDir: tb.TempDir()})
}

// Postgres opens a migrated store on a fresh PostgreSQL database (see
// pgtest; the package's TestMain must call pgtest.Main).
func Postgres(tb testing.TB) *store.Store {
	tb.Helper()
	return open(tb, store.Options{URL: pgtest.NewDatabase(tb)})
}

func open(tb testing.TB, o store.Options) *store.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, o)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatalf("migrate store: %v", err)
	}
	return st
}

// Reopen opens the embedded store in dir (written by a server that has
// stopped), closed when the test ends.
func Reopen(tb testing.TB, dir string) *store.Store {
	tb.Helper()
	return open(tb, store.Options{DataDir: dir})
}
