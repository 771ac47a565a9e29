package agentdesk

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
)

func goroutinesCreated(t *testing.T) uint64 {
	t.Helper()
	m := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindUint64 {
		t.Skip("runtime/metrics has no /sched/goroutines-created")
	}
	return m[0].Value.Uint64()
}

// TestFramesRunOnWorkers: a frame's work runs on an idle worker, not on a
// goroutine started for it (one per frame before); with every worker busy
// it still runs at once, on a goroutine of its own.
func TestFramesRunOnWorkers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := &framePool{}
	var wg sync.WaitGroup
	wg.Go(func() { p.work(ctx) })
	defer func() { cancel(); wg.Wait() }()

	for idle := 0; idle == 0; runtime.Gosched() { // until the worker has started
		p.mu.Lock()
		idle = len(p.idle)
		p.mu.Unlock()
	}
	const frames = 200
	before := goroutinesCreated(t)
	ran := 0
	for range frames {
		p.deep(func() { ran++ })
	}
	if got := goroutinesCreated(t) - before; got > frames/10 {
		t.Errorf("%d goroutines started for %d frames, want (almost) none", got, frames)
	}
	if ran != frames {
		t.Fatalf("ran %d of %d frames", ran, frames)
	}

	// The only worker is busy with a frame that waits for a second one:
	// the second runs on a goroutine of its own instead of waiting.
	inner := make(chan struct{})
	p.deep(func() { p.deep(func() { close(inner) }); <-inner })
}
