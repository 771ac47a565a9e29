package event_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/pgtest"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left behind: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

var ctx = context.Background()

func TestPublishOrderAndIDs(t *testing.T) {
	bus := event.NewBus(event.Options{})
	all := bus.Subscribe("all", 100, event.Drop, nil)
	acd := bus.Subscribe("acd", 100, event.Drop, func(e *event.Event) bool { return e.Type == "acd.contact_queued" })
	for i := range 10 {
		typ := event.Type("acd.contact_queued")
		if i%2 == 1 {
			typ = "ticket.created"
		}
		if _, err := bus.Publish(ctx, event.Event{Type: typ, ContactID: fmt.Sprint("c", i)}); err != nil {
			t.Fatal(err)
		}
	}
	bus.Close()
	var seqs []uint64
	ids := map[string]bool{}
	for e := range all.C() {
		seqs = append(seqs, e.Seq)
		if e.ID == "" || ids[e.ID] || e.At.IsZero() {
			t.Fatalf("event %d: id %q (dup %v), at %v", e.Seq, e.ID, ids[e.ID], e.At)
		}
		ids[e.ID] = true
	}
	if fmt.Sprint(seqs) != "[1 2 3 4 5 6 7 8 9 10]" {
		t.Fatalf("order: got %v", seqs)
	}
	n := 0
	for e := range acd.C() {
		if e.Type != "acd.contact_queued" {
			t.Fatalf("filter let through %s", e.Type)
		}
		n++
	}
	if n != 5 {
		t.Fatalf("filtered: got %d, want 5", n)
	}
	if _, err := bus.Publish(ctx, event.Event{Type: "x"}); !errors.Is(err, event.ErrClosed) {
		t.Fatalf("publish after close: got %v, want ErrClosed", err)
	}
}

func TestSlowSubscriberDropIsCounted(t *testing.T) {
	var drops atomic.Int64
	bus := event.NewBus(event.Options{OnDrop: func(name string) {
		if name == "wallboard" {
			drops.Add(1)
		}
	}})
	defer bus.Close()
	slow := bus.Subscribe("wallboard", 4, event.Drop, nil)
	fast := bus.Subscribe("log", 100, event.Drop, nil)
	for range 10 {
		bus.Publish(ctx, event.Event{Type: "x"})
	}
	if got := slow.Dropped(); got != 6 {
		t.Fatalf("slow dropped: got %d, want 6", got)
	}
	if got := drops.Load(); got != 6 {
		t.Fatalf("OnDrop calls: got %d, want 6", got)
	}
	if got := fast.Dropped(); got != 0 {
		t.Fatalf("fast subscriber dropped %d: a slow one hurt it", got)
	}
	if len(fast.C()) != 10 {
		t.Fatalf("fast got %d, want 10", len(fast.C()))
	}
}

func TestWaitPolicyBackPressureIsBounded(t *testing.T) {
	bus := event.NewBus(event.Options{})
	defer bus.Close()
	sub := bus.Subscribe("log", 1, event.WaitUpTo(20*time.Millisecond), nil)
	bus.Publish(ctx, event.Event{Type: "first"})
	// Nobody reads: the second publish waits its bound, then drops.
	done := make(chan struct{})
	go func() {
		bus.Publish(ctx, event.Event{Type: "second"})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("publisher blocked past the policy's wait")
	}
	if sub.Dropped() != 1 {
		t.Fatalf("dropped: got %d, want 1", sub.Dropped())
	}
	// A reader that keeps up loses nothing: the publisher waits for it.
	var wg sync.WaitGroup
	got := 0
	<-sub.C()
	wg.Go(func() {
		for range 100 {
			<-sub.C()
			got++
		}
	})
	for range 100 {
		bus.Publish(ctx, event.Event{Type: "paced"})
	}
	wg.Wait()
	if got != 100 || sub.Dropped() != 1 {
		t.Fatalf("paced: got %d events, %d dropped; want 100, 1", got, sub.Dropped())
	}
}

func TestPublishRespectsContext(t *testing.T) {
	bus := event.NewBus(event.Options{})
	defer bus.Close()
	sub := bus.Subscribe("stuck", 1, event.WaitUpTo(time.Hour), nil)
	bus.Publish(ctx, event.Event{Type: "fill"})
	c, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	bus.Publish(c, event.Event{Type: "late"})
	if sub.Dropped() != 1 {
		t.Fatalf("dropped: got %d, want 1", sub.Dropped())
	}
}

func TestUnsubscribe(t *testing.T) {
	bus := event.NewBus(event.Options{})
	defer bus.Close()
	sub := bus.Subscribe("desk", 10, event.Drop, nil)
	sub.Close()
	sub.Close()
	if _, ok := <-sub.C(); ok {
		t.Fatal("channel open after Close")
	}
	bus.Publish(ctx, event.Event{Type: "x"}) // must not panic on a closed channel
	late := bus.Subscribe("late", 1, event.Drop, nil)
	bus.Close()
	if _, ok := <-late.C(); ok {
		t.Fatal("late subscription not closed with the bus")
	}
	after := bus.Subscribe("after", 1, event.Drop, nil)
	if _, ok := <-after.C(); ok {
		t.Fatal("subscription to a closed bus is open")
	}
}

func TestConcurrentPublishers(t *testing.T) {
	bus := event.NewBus(event.Options{})
	sub := bus.Subscribe("all", 10000, event.Drop, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				bus.Publish(ctx, event.Event{Type: "x"})
			}
		})
	}
	wg.Wait()
	bus.Close()
	var last uint64
	n := 0
	for e := range sub.C() {
		if e.Seq <= last {
			t.Fatalf("seq %d after %d", e.Seq, last)
		}
		last = e.Seq
		n++
	}
	if n != 4000 {
		t.Fatalf("got %d, want 4000", n)
	}
}

func BenchmarkPublish(b *testing.B) {
	bus := event.NewBus(event.Options{})
	defer bus.Close()
	for i := range 4 {
		sub := bus.Subscribe(fmt.Sprint("s", i), 1024, event.Drop, nil)
		go func() {
			for range sub.C() {
			}
		}()
	}
	b.ReportAllocs()
	for b.Loop() {
		bus.Publish(ctx, event.Event{Type: "acd.contact_queued", ContactID: "c1", At: time.Unix(0, 0)})
	}
}

// BenchmarkPublishParallel: many publishers at once (calls emitting their
// IVR events), four subscribers that keep up. The CPU per event is what
// counts (go test -run X -bench PublishParallel -cpu 2 ./internal/event).
func BenchmarkPublishParallel(b *testing.B) {
	bus := event.NewBus(event.Options{})
	defer bus.Close()
	for i := range 4 {
		sub := bus.Subscribe(fmt.Sprint("s", i), 1024, event.WaitUpTo(time.Second), nil)
		go func() {
			for range sub.C() {
			}
		}()
	}
	b.ReportAllocs()
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bus.Publish(ctx, event.Event{Type: "ivr.node_entered", ContactID: "c1", At: time.Unix(0, 0)})
		}
	})
}

// A subscriber that stops reading under WaitUpTo slows only the publishers
// of the events it wants: while one publisher waits on it, another
// publisher's events that it filters out are delivered, and subscribers
// come and go. (Before, the bus held its mutex through the wait and every
// publisher stalled.)
func TestSlowSubscriberStallsOnlyItsOwnEvents(t *testing.T) {
	bus := event.NewBus(event.Options{})
	defer bus.Close()
	fast := bus.Subscribe("board", 10, event.Drop, nil)
	slow := bus.Subscribe("kpi", 1, event.WaitUpTo(time.Hour),
		func(e *event.Event) bool { return e.Type == "acd.contact_queued" })

	// Fill the slow subscriber's buffer, then publish one more of its
	// events: that publisher waits (up to an hour, or until cancelled).
	if _, err := bus.Publish(ctx, event.Event{Type: "acd.contact_queued"}); err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel() // before bus.Close, so a failing run ends
	blocked := make(chan error, 1)
	go func() {
		_, err := bus.Publish(waitCtx, event.Event{Type: "acd.contact_queued", ContactID: "waits"})
		blocked <- err
	}()
	// The second event is in the fast subscriber's buffer once the waiting
	// publisher has passed the bus lock and is waiting on the slow one.
	for range 2 {
		<-fast.C()
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := bus.Publish(ctx, event.Event{Type: "ticket.created", ContactID: "other"}); err != nil {
			t.Error(err)
		}
		extra := bus.Subscribe("late", 1, event.Drop, nil)
		extra.Close()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a publisher of an event the slow subscriber does not want was stalled by it")
	}
	if e := <-fast.C(); e.ContactID != "other" {
		t.Fatalf("got %q, want the other publisher's event", e.ContactID)
	}
	select {
	case err := <-blocked:
		t.Fatalf("the publisher of a wanted event did not wait for the slow subscriber: %v", err)
	default:
	}

	// The slow subscriber reads again: the waiting event arrives, in order.
	if e := <-slow.C(); e.Seq != 1 {
		t.Fatalf("slow subscriber got seq %d first, want 1", e.Seq)
	}
	if e := <-slow.C(); e.ContactID != "waits" {
		t.Fatalf("slow subscriber got %q, want the waiting event", e.ContactID)
	}
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	if slow.Dropped() != 0 || fast.Dropped() != 0 {
		t.Fatalf("dropped: slow %d, fast %d", slow.Dropped(), fast.Dropped())
	}
}

func TestBusStampsNode(t *testing.T) {
	bus := event.NewBus(event.Options{Node: "n1"})
	sub := bus.Subscribe("all", 2, event.Drop, nil)
	for _, node := range []string{"", "n2"} {
		if _, err := bus.Publish(ctx, event.Event{Type: "x", Node: node}); err != nil {
			t.Fatal(err)
		}
	}
	bus.Close()
	var got []string
	for e := range sub.C() {
		got = append(got, e.Node)
	}
	if fmt.Sprint(got) != "[n1 n2]" {
		t.Fatalf("nodes: got %v, want [n1 n2]", got)
	}
}

// A lossless subscriber sees every event in order however slow it reads:
// the publisher waits for it, nothing is dropped.
func TestLosslessNeverDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := event.NewBus(event.Options{})
		defer bus.Close()
		sub := bus.Subscribe("bridge", 1, event.Lossless, nil)
		var got []uint64
		done := make(chan struct{})
		go func() {
			defer close(done)
			for e := range sub.C() {
				time.Sleep(time.Second) // a slow consumer, in the bubble's virtual time
				got = append(got, e.Seq)
				if len(got) == 200 {
					return
				}
			}
		}()
		for range 200 {
			if _, err := bus.Publish(ctx, event.Event{Type: "acd.offered"}); err != nil {
				t.Fatal(err)
			}
		}
		<-done
		if len(got) != 200 || sub.Dropped() != 0 {
			t.Fatalf("got %d events, %d dropped; want 200, 0", len(got), sub.Dropped())
		}
		for i, s := range got {
			if s != uint64(i+1) {
				t.Fatalf("event %d has seq %d", i, s)
			}
		}
	})
}

// Close releases at once a publisher waiting for room in the subscriber's
// buffer, under either waiting policy (a WaitUpTo wait held Close for its
// whole bound before), and the event counts as neither delivered nor
// dropped. A lossless wait also ends with the publisher's ctx.
func TestCloseReleasesWaitingPublisher(t *testing.T) {
	for _, p := range []event.Policy{event.Lossless, event.WaitUpTo(time.Hour)} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bus := event.NewBus(event.Options{})
				defer bus.Close()
				sub := bus.Subscribe("stuck", 1, p, nil)
				bus.Publish(ctx, event.Event{Type: "fill"})
				start := time.Now()
				done := make(chan struct{})
				go func() {
					defer close(done)
					bus.Publish(ctx, event.Event{Type: "waits"})
				}()
				synctest.Wait() // the publisher waits for room
				sub.Close()
				<-done
				if d := time.Since(start); d != 0 {
					t.Fatalf("close took %v of virtual time, want 0", d)
				}
				if sub.Dropped() != 0 {
					t.Fatalf("dropped: got %d, want 0", sub.Dropped())
				}
				n := 0
				for range sub.C() {
					n++
				}
				if n != 1 {
					t.Fatalf("buffered: got %d, want 1", n)
				}
			})
		})
	}
	synctest.Test(t, func(t *testing.T) {
		bus := event.NewBus(event.Options{})
		defer bus.Close()
		sub := bus.Subscribe("stuck", 1, event.Lossless, nil)
		bus.Publish(ctx, event.Event{Type: "fill"})
		c, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		bus.Publish(c, event.Event{Type: "late"})
		if sub.Dropped() != 1 {
			t.Fatalf("dropped after ctx: got %d, want 1", sub.Dropped())
		}
	})
}
