package main

import (
	"log/slog"
	"runtime/debug"
	"testing"
)

// runtime.gc_percent is applied, 0 leaves Go's setting, and a GOGC in the
// environment wins over the configuration.
func TestGCPercent(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	log := slog.New(slog.DiscardHandler)
	if got := setGCPercent(200, log); got != 200 || debug.SetGCPercent(200) != 200 {
		t.Fatalf("gc_percent 200: got %d", got)
	}
	debug.SetGCPercent(100)
	if got := setGCPercent(0, log); got != 100 || debug.SetGCPercent(100) != 100 {
		t.Fatalf("gc_percent 0: got %d, want Go's 100 left alone", got)
	}
	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150) // what the runtime read from GOGC at start
	if got := setGCPercent(300, log); got != 150 || debug.SetGCPercent(150) != 150 {
		t.Fatalf("GOGC=150 in the environment: got %d, want it to win", got)
	}
}
