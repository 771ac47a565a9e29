package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

// Recordings older than the retention period go, file and row; newer ones
// and their files stay; a row whose file is already gone is still purged.
func TestPurgeRecordings(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := migratedStore(t, dir)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, x := range []struct {
		id   string
		age  time.Duration
		file bool
	}{{"old", 91 * 24 * time.Hour, true}, {"gone", 100 * 24 * time.Hour, false}, {"new", 89 * 24 * time.Hour, true}} {
		rel := filepath.Join("recordings", x.id+".wav")
		if x.file {
			if err := os.MkdirAll(filepath.Join(dir, "recordings"), 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, rel), []byte("RIFF"), 0o640); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.CreateRecording(ctx, store.Recording{ID: x.id, ContactID: "call-" + x.id, Path: rel, StartedAt: now.Add(-x.age)}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := purgeRecordings(ctx, st, dir, 90*24*time.Hour, now)
	if err != nil || n != 2 {
		t.Fatalf("purged %d, %v; want 2", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "recordings", "old.wav")); !os.IsNotExist(err) {
		t.Fatalf("old.wav: %v, want it removed", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "recordings", "new.wav")); err != nil {
		t.Fatalf("new.wav: %v, want it kept", err)
	}
	for id, want := range map[string]bool{"old": false, "gone": false, "new": true} {
		_, err := st.Recording(ctx, id)
		if got := err == nil; got != want {
			t.Errorf("row %s: kept %v, want %v (%v)", id, got, want, err)
		}
	}
	if n, err := purgeRecordings(ctx, st, dir, 90*24*time.Hour, now); err != nil || n != 0 {
		t.Fatalf("second pass: %d, %v; want nothing", n, err)
	}
}
