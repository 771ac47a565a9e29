package bridge

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
)

// The feed (bridge, desk gateway) and a bus subscriber (event log, KPIs)
// see the same ACD events in the same order, with none lost even when the
// feed's consumer is far slower than the engine, and every event the
// engine published reaches the feed when it stops after the engine.
func TestFeedAndBusAgree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := event.NewBus(event.Options{})
		defer bus.Close()
		logSub := bus.Subscribe("event-log", 1<<16, event.WaitUpTo(time.Second), nil)
		var mu sync.Mutex
		var fed []acd.Event
		feed := NewFeed(bus, "acd-feed", 4, acd.SinkFunc(func(evs []acd.Event) {
			time.Sleep(100 * time.Millisecond) // a slow desk, in virtual time
			mu.Lock()
			fed = append(fed, evs...)
			mu.Unlock()
		}))
		// Desk events on the same bus are not the feed's.
		_, _ = bus.Publish(context.Background(), event.Event{Type: "desk.wrap_up", Data: "x"})
		e := acd.NewEngine(router(t, acd.Chat), acd.SystemClock(), Publisher(bus))
		engineCtx, stopEngine := context.WithCancel(context.Background())
		feedCtx, stopFeed := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { _ = e.Run(engineCtx) })
		feedDone := make(chan struct{})
		go func() { defer close(feedDone); feed.Run(feedCtx) }()

		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(e.Login(ctx, acd.AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}))
		must(e.SetReady(ctx, "A"))
		for i := range 300 {
			must(e.Enqueue(ctx, acd.ContactSpec{ID: fmt.Sprint("c", i), Queue: "Q"}))
		}
		stopEngine()
		wg.Wait()
		stopFeed()
		<-feedDone
		bus.Close()

		var logged []acd.Event
		for ev := range logSub.C() {
			if a, ok := ev.Data.(acd.Event); ok {
				logged = append(logged, a)
				if string(ev.Type) != a.Kind.Type() {
					t.Fatalf("event %d stored as %s", a.Seq, ev.Type)
				}
			}
		}
		if logSub.Dropped() != 0 {
			t.Fatalf("event log dropped %d", logSub.Dropped())
		}
		mu.Lock()
		defer mu.Unlock()
		if len(fed) < 300 || !reflect.DeepEqual(fed, logged) {
			t.Fatalf("feed got %d events, the log %d: they differ", len(fed), len(logged))
		}
		for i, ev := range fed {
			if ev.Seq != uint64(i+1) {
				t.Fatalf("feed event %d has seq %d", i, ev.Seq)
			}
		}
	})
}

// A delivery allocates for the events it carries, not for a full batch:
// under chat traffic most deliveries carry one or two events, and a
// feedBatch-sized slice for each was over a third of the node's
// allocations at 10 000 desks (alloc profile, issue 10). The old code
// allocated feedBatch events per delivery.
func TestFeedAllocatesPerEvent(t *testing.T) {
	bus := event.NewBus(event.Options{})
	defer bus.Close()
	got := make(chan int)
	feed := NewFeed(bus, "acd-feed", 16, acd.SinkFunc(func(evs []acd.Event) { got <- cap(evs) }))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); feed.Run(ctx) }()
	defer func() { cancel(); <-done }()

	const n = 200
	publish := func() {
		_, _ = bus.Publish(context.Background(), event.Event{Type: event.Type(acd.EventOffered.Type()), Data: acd.Event{Kind: acd.EventOffered, Contact: "c", Agent: "A"}})
	}
	publish()
	<-got // warm: the feed's own scratch slice is made once
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	maxCap := 0
	for range n {
		publish()
		maxCap = max(maxCap, <-got)
	}
	runtime.ReadMemStats(&after)
	perDelivery := float64(after.TotalAlloc-before.TotalAlloc) / n
	size := float64(unsafe.Sizeof(acd.Event{}))
	if maxCap > 1 || perDelivery > 16*size {
		t.Fatalf("one event per delivery: got batches of capacity up to %d and %.0f bytes allocated per delivery (an event is %.0f bytes); want capacity 1 and under %.0f",
			maxCap, perDelivery, size, 16*size)
	}
}
