package main

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

// The hourly sweep forgets idempotency keys past admin.idempotency_key_ttl
// (they grew for good before) and keeps the younger ones.
func TestSweepForgetsOldIdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	st := migratedStore(t, t.TempDir())
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if _, _, err := st.ClaimRequest(ctx, "admin", "old", "queue", "q1", now.Add(-25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.ClaimRequest(ctx, "admin", "young", "queue", "q2", now.Add(-23*time.Hour)); err != nil {
		t.Fatal(err)
	}
	sweepOnce(ctx, st, now, sweepAges{sessions: time.Hour, idempotencyKeys: 24 * time.Hour}, slog.New(slog.DiscardHandler))
	if _, _, err := st.RequestOf(ctx, "admin", "old"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the 25 h old key after the sweep: %v, want not found", err)
	}
	if k, id, err := st.RequestOf(ctx, "admin", "young"); err != nil || k != "queue" || id != "q2" {
		t.Fatalf("the 23 h old key after the sweep: %s %s %v, want kept", k, id, err)
	}
}

// migratedStore opens the embedded store in dir with its schema current,
// closed when the test ends.
func migratedStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}
