package bridge

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
)

// The bus (event log, KPIs) and a consumer on the engine's sink after
// Publisher (the bridge, the desk gateway, as cmd/hotline's center wires
// them) see the same ACD events in the same order, each under its
// declared type.
func TestPublisherAndSinkAgree(t *testing.T) {
	bus := event.NewBus(event.Options{})
	defer bus.Close()
	logSub := bus.Subscribe("event-log", 1<<16, event.WaitUpTo(time.Second), nil)
	publish := Publisher(bus)
	var mu sync.Mutex
	var direct []acd.Event
	e := acd.NewEngine(router(t, acd.Chat), acd.SystemClock(), acd.SinkFunc(func(evs []acd.Event) {
		publish.Deliver(evs)
		mu.Lock()
		direct = append(direct, evs...)
		mu.Unlock()
	}))
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.Run(ctx) })
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
	stop()
	wg.Wait()
	bus.Close()

	var logged []acd.Event
	for ev := range logSub.C() {
		a, ok := ev.Data.(acd.Event)
		if !ok {
			t.Fatalf("bus event %s carries %T, want acd.Event", ev.Type, ev.Data)
		}
		if string(ev.Type) != a.Kind.Type() {
			t.Fatalf("event %d published as %s, want %s", a.Seq, ev.Type, a.Kind.Type())
		}
		logged = append(logged, a)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(direct) < 300 || !reflect.DeepEqual(direct, logged) {
		t.Fatalf("the sink got %d events, the bus %d: they differ", len(direct), len(logged))
	}
	for i, ev := range logged {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
}
