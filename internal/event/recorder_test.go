package event_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/pgtest"
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

// With the database gone for good, shutdown is still bounded: after the
// recorder's context is cancelled it retries for its grace, then gives the
// batch up and counts it.
func TestRecorderGivesUpBoundedlyAtShutdown(t *testing.T) {
	bus := event.NewBus(event.Options{})
	log := &flakyLog{failures: 1 << 30, seen: map[string]int{}}
	var failed, retried int
	rec := event.NewRecorder(bus, log, event.RecorderOptions{
		Grace: 50 * time.Millisecond, MaxBackoff: 10 * time.Millisecond,
		OnFail: func(n int) { failed += n }, OnRetry: func(int) { retried++ }})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { rec.Run(runCtx); close(done) }()
	bus.Publish(ctx, event.Event{Type: "x"})
	cancel()
	bus.Close()
	<-done
	if failed != 1 {
		t.Fatalf("failed: got %d, want 1 (counted, not silent)", failed)
	}
	if retried == 0 {
		t.Fatal("no retry counted before giving up")
	}
}

// pickyLog refuses, for its content, any batch holding an event of the
// contact "bad", as PostgreSQL refuses a row it cannot store.
type pickyLog struct {
	seen map[string]bool
}

func (p *pickyLog) AppendEvents(_ context.Context, evs []event.Event) error {
	for _, e := range evs {
		if e.ContactID == "bad" {
			return fmt.Errorf("append: %w: invalid byte sequence", event.ErrRejected)
		}
	}
	for _, e := range evs {
		p.seen[e.ID] = true
	}
	return nil
}

// One event the log refuses costs only that event: the batch is split until
// it stands alone (before, the whole batch, other customers' events with
// it, was retried and given up).
func TestRecorderIsolatesARejectedEvent(t *testing.T) {
	bus := event.NewBus(event.Options{})
	log := &pickyLog{seen: map[string]bool{}}
	var failed int
	rec := event.NewRecorder(bus, log, event.RecorderOptions{BatchSize: 100, FlushEvery: time.Hour,
		OnFail: func(n int) { failed += n }})
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	var ids []string
	for i := range 100 {
		c := fmt.Sprint("c", i)
		if i == 37 {
			c = "bad"
		}
		e, _ := bus.Publish(ctx, event.Event{Type: "chat.message", ContactID: c})
		if c != "bad" {
			ids = append(ids, e.ID)
		}
	}
	bus.Close()
	<-done
	if failed != 1 {
		t.Fatalf("given up: got %d, want 1", failed)
	}
	for _, id := range ids {
		if !log.seen[id] {
			t.Fatalf("event %s lost with the rejected one", id)
		}
	}
}

// NUL characters and invalid UTF-8 in a chat name or message reach the
// event log on both backends instead of making PostgreSQL refuse the batch.
func TestRecorderStoresHostileText(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *store.Store{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			bus := event.NewBus(event.Options{})
			var failed int
			rec := event.NewRecorder(bus, s, event.RecorderOptions{OnFail: func(n int) { failed += n }})
			done := make(chan struct{})
			go func() { rec.Run(ctx); close(done) }()
			for i := range 10 {
				e := event.Event{Type: "chat.message", ContactID: fmt.Sprint("c", i), Data: map[string]string{"text": "hello"}}
				if i == 4 {
					e.ContactID = "c\x00nul"
					e.Actor = "bad\xff\xfeutf8"
					e.Data = map[string]string{"name": "冯\x00雪", "text": "a\\u0000 literal and a \x00 real NUL"}
				}
				bus.Publish(ctx, e)
			}
			bus.Close()
			<-done
			if failed != 0 {
				t.Fatalf("given up: %d events", failed)
			}
			n, err := s.CountEvents(ctx)
			if err != nil || n != 10 {
				t.Fatalf("events in the log: got %d, %v; want 10", n, err)
			}
			got, err := s.Events(ctx, store.EventFilter{ContactID: "c\uFFFDnul"})
			if err != nil || len(got) != 1 {
				t.Fatalf("the hostile event: got %d, %v", len(got), err)
			}
			var data map[string]string
			if err := json.Unmarshal(got[0].Data, &data); err != nil {
				t.Fatal(err)
			}
			if data["name"] != "冯\uFFFD雪" || data["text"] != "a\\u0000 literal and a \uFFFD real NUL" {
				t.Fatalf("payload: got %q", data)
			}
		})
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

// A PostgreSQL outage of a few seconds loses no event: the server is
// stopped while customers keep producing events and started again; the
// recorder retries until it is back and every event is in the log once.
func TestRecorderRidesOutPostgresOutage(t *testing.T) {
	if _, err := pgtest.BinDir(); err != nil {
		if pgtest.Required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("", "hotline-outage-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755) // the server runs as postgres when the test runs as root
	t.Cleanup(func() { pgtest.StopCluster(dir, true) })
	cluster, err := pgtest.StartCluster(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, store.Options{URL: cluster.URL, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	bus := event.NewBus(event.Options{})
	var mu sync.Mutex
	var failed, retried int
	rec := event.NewRecorder(bus, s, event.RecorderOptions{FlushEvery: 10 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond,
		OnFail:     func(n int) { mu.Lock(); failed += n; mu.Unlock() },
		OnRetry:    func(int) { mu.Lock(); retried++; mu.Unlock() }})
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			if _, err := bus.Publish(ctx, event.Event{Type: "chat.message", ContactID: fmt.Sprint("c", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	until := func(what string, cond func() bool) {
		t.Helper()
		for range 600 { // bounded: 60 s
			if cond() {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("timed out waiting for %s", what)
	}

	publish(0, 50)
	until("the first events in the log", func() bool { n, err := s.CountEvents(ctx); return err == nil && n == 50 })
	if err := pgtest.StopCluster(dir, false); err != nil {
		t.Fatal(err)
	}
	publish(50, 100)
	until("the recorder to retry", func() bool { mu.Lock(); defer mu.Unlock(); return retried > 0 })
	if _, err := pgtest.StartCluster(ctx, dir); err != nil {
		t.Fatal(err)
	}
	publish(100, 150)
	bus.Close()
	<-done

	n, err := s.CountEvents(ctx)
	if err != nil || n != 150 {
		t.Fatalf("events in the log after the outage: got %d, %v; want 150", n, err)
	}
	if failed != 0 || rec.Dropped() != 0 {
		t.Fatalf("given up %d, dropped %d; want none", failed, rec.Dropped())
	}
}
