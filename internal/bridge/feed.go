package bridge

import (
	"context"
	"slices"
	"strings"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
)

// The ACD's events go out through the engine's sink: Publisher puts each
// event on the bus, in the engine's order, where the event log and the
// contact records (WaitUpTo), the KPI engine and Prometheus read them; the
// same sink then hands the same batch to the contact Bridge and the desk
// gateway (cmd/hotline's center), so the board and the KPIs count the same
// events in the same order. A consumer that drops under WaitUpTo counts its
// drops (hotline_events_dropped_total). A Feed follows the bus without loss
// for a consumer that cannot sit on the engine's delivery goroutine; the
// node's bridge and gateway no longer go through one (one goroutine
// hand-over less on every offer's way to the desk).

// Publisher is the engine's sink: it publishes every event on the bus
// under its declared type (acd.Type* constants, docs/events.md), one at a
// time in the engine's order. It runs on the engine's delivery goroutine,
// so a Lossless subscriber that falls behind delays delivery, never
// routing decisions (acd.Engine keeps them in its outbox).
func Publisher(bus *event.Bus) acd.Sink {
	return acd.SinkFunc(func(evs []acd.Event) {
		for i := range evs {
			e := &evs[i]
			_, _ = bus.Publish(context.Background(), event.Event{
				Type: event.Type(e.Kind.Type()), At: e.At,
				ContactID: e.Contact, AgentID: e.Agent, Queue: e.Queue, Actor: e.Actor, Data: *e,
			})
		}
	})
}

// feedBatch bounds the events handed to the sink at once.
const feedBatch = 512

// Feed follows the ACD's events on the bus without loss and hands them, in
// order and in batches, to a sink. Subscribe with NewFeed before the engine
// runs so no event is missed; run it for as long as the engine publishes.
type Feed struct {
	sub  *event.Subscription
	sink acd.Sink
}

// NewFeed subscribes now to the bus's ACD events (Lossless, buffer of size
// events) for sink.
func NewFeed(bus *event.Bus, name string, size int, sink acd.Sink) *Feed {
	sub := bus.Subscribe(name, size, event.Lossless, func(e *event.Event) bool {
		_, ok := e.Data.(acd.Event)
		return ok && strings.HasPrefix(string(e.Type), "acd.")
	})
	return &Feed{sub: sub, sink: sink}
}

// Run delivers until ctx ends or the bus closes. When ctx ends it stops
// taking events, delivers what its buffer holds and returns: cancel ctx
// only once the engine has stopped (acd.Engine.Run returned), then every
// event the engine published has been delivered.
func (f *Feed) Run(ctx context.Context) {
	defer f.sub.Close()
	// The events are gathered in scratch and handed over in a slice of
	// their own size (the sink keeps it): a fresh feedBatch-sized slice
	// per delivery, mostly for one or two events, was over a third of the
	// node's allocations under chat traffic at 10 000 desks.
	scratch := make([]acd.Event, 0, feedBatch)
	for {
		select {
		case e, ok := <-f.sub.C():
			if !ok {
				return
			}
			scratch = f.fill(append(scratch[:0], e.Data.(acd.Event)))
			f.deliver(slices.Clone(scratch))
			clear(scratch) // drop references to the delivered events' data
		case <-ctx.Done():
			f.sub.Close()
			var rest []acd.Event
			for e := range f.sub.C() {
				rest = append(rest, e.Data.(acd.Event))
			}
			f.deliver(rest)
			return
		}
	}
}

// fill adds what the buffer holds now, up to a batch.
func (f *Feed) fill(batch []acd.Event) []acd.Event {
	for len(batch) < feedBatch {
		select {
		case e, ok := <-f.sub.C():
			if !ok {
				return batch
			}
			batch = append(batch, e.Data.(acd.Event))
		default:
			return batch
		}
	}
	return batch
}

func (f *Feed) deliver(evs []acd.Event) {
	if len(evs) > 0 {
		f.sink.Deliver(evs)
	}
}
