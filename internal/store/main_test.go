package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/pgtest"
	"github.com/hotline10000/hotline/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var ctx = context.Background()

// backend opens a migrated store of one kind for a test.
type backend struct {
	name    string
	options func(t testing.TB) store.Options
}

var backends = []backend{
	{"sqlite", func(t testing.TB) store.Options { return store.Options{DataDir: t.TempDir()} }},
	{"postgres", func(t testing.TB) store.Options { return store.Options{URL: pgtest.NewDatabase(t)} }},
}

// eachBackend runs fn once per backend on a freshly migrated store.
func eachBackend(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := open(t, b.options(t))
			fn(t, s)
		})
	}
}

func open(t testing.TB, o store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

var t0 = time.Date(2026, 11, 22, 8, 30, 0, 0, time.UTC)

func ctxWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
