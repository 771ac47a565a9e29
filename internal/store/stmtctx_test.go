package store_test

import (
	"context"
	"errors"
	"runtime/metrics"
	"testing"

	"github.com/hotline10000/hotline/internal/store"
)

// goroutinesCreated is the process's count of goroutines started so far.
func goroutinesCreated(t *testing.T) uint64 {
	t.Helper()
	m := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindUint64 {
		t.Skip("runtime/metrics has no /sched/goroutines-created")
	}
	return m[0].Value.Uint64()
}

// A short SQLite statement under a context that can end starts no
// goroutine (the driver started one per statement, database/sql one more
// per row set), and a context that has ended still refuses it.
func TestShortStatementsStartNoGoroutine(t *testing.T) {
	s := open(t, store.Options{DataDir: t.TempDir()})
	c, cancel := context.WithCancel(ctx)
	defer cancel()
	run := func() {
		if err := s.TouchSession(c, "no-such-session", t0); err != nil {
			t.Fatalf("touch: %v", err)
		}
		if _, err := s.SessionByTokenHash(c, "no-such-hash"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session by token: got %v, want ErrNotFound", err)
		}
		// A transaction (BEGIN, statements, COMMIT): the event log's.
		if err := s.AppendEvents(c, testEvents(2, t0)); err != nil {
			t.Fatalf("append events: %v", err)
		}
	}
	run() // prepares the statements
	const n = 100
	before := goroutinesCreated(t)
	for range n {
		run()
	}
	// database/sql starts one per transaction (Tx.awaitDone), whatever
	// the context.
	if got := goroutinesCreated(t) - before; got > n+n/10 {
		t.Errorf("%d goroutines started for %d statements in %d transactions and %d apart, want one per transaction", got, 5*n, n, 2*n)
	}

	cancel()
	if err := s.TouchSession(c, "no-such-session", t0); !errors.Is(err, context.Canceled) {
		t.Errorf("touch under an ended context: got %v, want context.Canceled", err)
	}
	if _, err := s.SessionByTokenHash(c, "no-such-hash"); !errors.Is(err, context.Canceled) {
		t.Errorf("read under an ended context: got %v, want context.Canceled", err)
	}
	if _, err := s.PurgeTranscripts(c, t0); !errors.Is(err, context.Canceled) {
		t.Errorf("purge under an ended context: got %v, want context.Canceled", err)
	}
}
