package event_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

// flakyLog fails the first writes, then remembers what it was given.
type flakyLog struct {
	mu       sync.Mutex
	failures int
	seen     map[string]int
	batches  int
}

func (f *flakyLog) AppendEvents(_ context.Context, evs []event.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures > 0 {
		f.failures--
		return errors.New("database restarting")
	}
	f.batches++
	for _, e := range evs {
		f.seen[e.ID]++
	}
	return nil
}

func TestRecorderRetriesAndDrainsOnClose(t *testing.T) {
	bus := event.NewBus(event.Options{})
	log := &flakyLog{failures: 2, seen: map[string]int{}}
	rec := event.NewRecorder(bus, log, event.RecorderOptions{BatchSize: 64, FlushEvery: time.Millisecond})
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	ids := map[string]bool{}
	for i := range 1000 {
		e, err := bus.Publish(ctx, event.Event{Type: "x", ContactID: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[e.ID] = true
	}
	bus.Close()
	<-done
	if len(log.seen) != 1000 || rec.Dropped() != 0 {
		t.Fatalf("recorded %d of 1000, dropped %d", len(log.seen), rec.Dropped())
	}
	for id, n := range log.seen {
		if !ids[id] || n != 1 {
			t.Fatalf("event %s recorded %d times", id, n)
		}
	}
	if log.batches < 1000/64 {
		t.Fatalf("batches: got %d, want at least %d", log.batches, 1000/64)
	}
}

// The log being down never loses events while the server runs; only a
// shutdown that outlasts the grace period gives a batch up, counted.
func TestRecorderGivesUpOnlyAfterShutdownGrace(t *testing.T) {
	bus := event.NewBus(event.Options{})
	log := &flakyLog{failures: 1 << 30, seen: map[string]int{}}
	var failed, retries atomic.Int64
	retried := make(chan struct{}, 1)
	rec := event.NewRecorder(bus, log, event.RecorderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
		Grace: 10 * time.Millisecond, OnFail: func(n int) { failed.Add(int64(n)) },
		OnRetry: func(int) {
			if retries.Add(1) == 20 {
				retried <- struct{}{}
			}
		}})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { rec.Run(runCtx); close(done) }()
	bus.Publish(ctx, event.Event{Type: "x"})
	bus.Close()
	<-retried // 20 failed attempts and still retrying, nothing given up
	if failed.Load() != 0 {
		t.Fatalf("given up while running: %d", failed.Load())
	}
	stop()
	<-done
	if failed.Load() != 1 {
		t.Fatalf("failed: got %d, want 1 (counted, not silent)", failed.Load())
	}
}

func TestRecorderIntoStore(t *testing.T) {
	s := storetest.SQLite(t)
	bus := event.NewBus(event.Options{})
	rec := event.NewRecorder(bus, s, event.RecorderOptions{})
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for i := range 2500 {
		bus.Publish(ctx, event.Event{Type: "acd.offered", At: at, ContactID: fmt.Sprint("c", i), Data: struct {
			Agent string `json:"agent"`
		}{"a1"}})
	}
	bus.Close()
	<-done
	n, err := s.CountEvents(ctx)
	if err != nil || n != 2500 {
		t.Fatalf("events in the log: got %d, %v; want 2500", n, err)
	}
	got, _ := s.Events(ctx, store.EventFilter{Limit: 1})
	if string(got[0].Data) != `{"agent":"a1"}` && string(got[0].Data) != `{"agent": "a1"}` {
		t.Fatalf("payload: got %s", got[0].Data)
	}
}
