package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// setGCPercent applies runtime.gc_percent unless the GOGC environment
// variable is set (the operator's word wins) or it is 0 (Go's default). It
// reports the percent in force.
//
// At 10 000 desks a collection scans 10 000 socket goroutines and about
// 110 MB of live heap; at Go's default 100 the node collected every 2-3 s
// under chat traffic, and each mark phase took CPU (and allocation assists)
// from offers on their way to the desks (docs/desk-protocol.md, "Measured").
// The default stays Go's: a larger heap goal also left more partly used
// spans behind after the setup (idle desk 13.2 KB in one run at 200), and
// the gain on the offers' tail is not measured yet.
func setGCPercent(percent int, log *slog.Logger) int {
	if v, ok := os.LookupEnv("GOGC"); ok {
		log.Debug("GOGC set in the environment; runtime.gc_percent not applied", "gogc", v)
		old := debug.SetGCPercent(100)
		debug.SetGCPercent(old)
		return old
	}
	if percent == 0 {
		old := debug.SetGCPercent(100)
		debug.SetGCPercent(old)
		return old
	}
	debug.SetGCPercent(percent)
	return percent
}
