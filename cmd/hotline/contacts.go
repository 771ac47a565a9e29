package main

import (
	"context"

	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/ivr"
)

// ivrSink publishes every IVR event on the bus under its declared type
// (ivr.Type* constants, docs/events.md).
func ivrSink(bus *event.Bus) ivr.Sink {
	return ivr.SinkFunc(func(e ivr.Event) {
		h := e.Head()
		_, _ = bus.Publish(context.Background(), event.Event{
			Type: event.Type(e.EventType()), At: h.Time, ContactID: h.ContactID, Actor: "ivr", Data: e,
		})
	})
}
