package bridge

import (
	"context"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
)

// The ACD's events go out through the engine's sink: Publisher puts each
// event on the bus, in the engine's order, where the event log and the
// contact records (WaitUpTo), the KPI engine and Prometheus read them; the
// same sink then hands the same batch to the contact Bridge and the desk
// gateway (cmd/hotline's center), so the board and the KPIs count the same
// events in the same order. A consumer that drops under WaitUpTo counts its
// drops (hotline_events_dropped_total). The bridge and the gateway once
// followed the bus through a goroutine of their own (a Feed); sitting on
// the engine's delivery goroutine saves that hand-over on every offer's
// way to the desk, and the Feed, left unused, is gone.

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
