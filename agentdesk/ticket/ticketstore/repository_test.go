package ticketstore_test

import (
	"context"
	"os"
	"testing"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/ticketstore"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
	"github.com/hotline10000/hotline/internal/pgtest"
	"github.com/hotline10000/hotline/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var backends = []struct {
	name    string
	options func(t testing.TB) store.Options
}{
	{"sqlite", func(t testing.TB) store.Options { return store.Options{DataDir: t.TempDir()} }},
	{"postgres", func(t testing.TB) store.Options { return store.Options{URL: pgtest.NewDatabase(t), MaxConns: 16} }},
}

func open(t testing.TB, o store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// TestContract runs the repository contract on both backends: reads and
// writes, rollback, sequences, optimistic locking, search, the due-time scan,
// the outbox, 200 claimers racing for 50 tickets, and outbox delivery across
// a crash between commit and send.
func TestContract(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			tickettest.Contract(t, func(t *testing.T) ticket.Repository {
				return ticketstore.New(open(t, b.options(t)), 0)
			})
		})
	}
}
