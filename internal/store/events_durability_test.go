package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/pgtest"
	"github.com/hotline10000/hotline/internal/store"
)

type chatLine struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// A NUL typed into a chat used to make PostgreSQL refuse the whole batch.
func TestAppendEventsKeepsNUL(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		evs := []event.Event{
			{ID: event.NewID(), Type: "chat.message", At: t0, ContactID: "c1", Data: chatLine{"Wang", "hello"}},
			{ID: event.NewID(), Type: "chat.message", At: t0, ContactID: "c2\x00", Actor: "cust\x00omer",
				Data: chatLine{"Li\x00Na", `a\u0000 typed, then a NUL: ` + "\x00"}},
			{ID: event.NewID(), Type: "chat.message", At: t0, ContactID: "c3", Data: chatLine{"Zhao", "bye"}},
		}
		if err := s.AppendEvents(ctx, evs); err != nil {
			t.Fatalf("append: %v", err)
		}
		got, err := s.Events(ctx, store.EventFilter{})
		if err != nil || len(got) != 3 {
			t.Fatalf("events: got %d, %v; want 3", len(got), err)
		}
		var line chatLine
		if err := json.Unmarshal(got[1].Data, &line); err != nil {
			t.Fatal(err)
		}
		want := chatLine{`Li\u0000Na`, `a\u0000 typed, then a NUL: \u0000`}
		if line != want || got[1].ContactID != `c2\u0000` || got[1].Actor != `cust\u0000omer` {
			t.Fatalf("got %+v %q %q, want %+v with NUL as the text \\u0000", line, got[1].ContactID, got[1].Actor, want)
		}
	})
}

func TestAppendEventsRejectsUnencodableAsRejected(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		err := s.AppendEvents(ctx, []event.Event{{ID: event.NewID(), Type: "x", At: t0, Data: make(chan int)}})
		if !errors.Is(err, event.ErrRejected) {
			t.Fatalf("got %v, want event.ErrRejected", err)
		}
	})
}

// One event the log cannot take costs only itself: its batch neighbours
// (other customers' events) are written, it is quarantined and counted.
func TestRecorderIsolatesARejectedEvent(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		bus := event.NewBus(event.Options{})
		var quarantined []string
		rec := event.NewRecorder(bus, s, event.RecorderOptions{BatchSize: 100, FlushEvery: time.Hour,
			OnQuarantine: func(e event.Event, _ error) { quarantined = append(quarantined, e.ID) }})
		done := make(chan struct{})
		go func() { rec.Run(ctx); close(done) }()
		var bad string
		for i := range 50 {
			e := event.Event{Type: "chat.message", At: t0, ContactID: fmt.Sprint("c", i), Data: chatLine{"n\x00", "t"}}
			if i == 20 {
				e.Data = make(chan int)
			}
			p, err := bus.Publish(ctx, e)
			if err != nil {
				t.Fatal(err)
			}
			if i == 20 {
				bad = p.ID
			}
		}
		bus.Close()
		<-done
		n, err := s.CountEvents(ctx)
		if err != nil || n != 49 {
			t.Fatalf("events in the log: got %d, %v; want 49", n, err)
		}
		if len(quarantined) != 1 || quarantined[0] != bad {
			t.Fatalf("quarantined: got %v, want [%s]", quarantined, bad)
		}
	})
}

// A database outage of a few seconds must not lose events: the recorder
// retries until the database is back. The outage is real: the test database
// stops accepting connections and its sessions are terminated.
func TestRecorderSurvivesPostgresOutage(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	s := open(t, store.Options{URL: dbURL})
	u, _ := url.Parse(dbURL)
	dbName := u.Path[1:]
	admin, err := pgx.Connect(ctx, pgtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	setAllow := func(allow bool) {
		t.Helper()
		if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", dbName, allow)); err != nil {
			t.Fatal(err)
		}
		if !allow {
			if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, dbName); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS true", dbName))
	})

	bus := event.NewBus(event.Options{})
	var retries, lost atomic.Int64
	retried := make(chan struct{})
	var once sync.Once
	rec := event.NewRecorder(bus, s, event.RecorderOptions{
		BatchSize: 64, FlushEvery: time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		OnRetry: func(int) {
			if retries.Add(1) >= 3 {
				once.Do(func() { close(retried) })
			}
		},
		OnFail: func(n int) { lost.Add(int64(n)) },
	})
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() { rec.Run(runCtx); close(done) }()

	publish := func(from, to int) {
		for i := from; i < to; i++ {
			if _, err := bus.Publish(ctx, event.Event{Type: "acd.offered", At: t0, ContactID: fmt.Sprint("c", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish(0, 200)
	setAllow(false)
	publish(200, 1200)
	select {
	case <-retried:
	case <-time.After(time.Minute):
		t.Fatal("the recorder never retried during the outage")
	}
	setAllow(true)
	publish(1200, 1500)
	bus.Close()
	<-done
	n, err := s.CountEvents(ctx)
	if err != nil || n != 1500 {
		t.Fatalf("events in the log after the outage: got %d, %v; want 1500 (retries %d, given up %d, dropped %d)",
			n, err, retries.Load(), lost.Load(), rec.Dropped())
	}
	if lost.Load() != 0 || rec.Dropped() != 0 {
		t.Fatalf("given up %d, dropped %d; want none", lost.Load(), rec.Dropped())
	}
}
