package main

import (
	"context"
	"reflect"
	"strings"
	"unicode"

	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/ivr"
)

// ivrSink publishes every IVR event on the bus as "ivr.<snake_case type>"
// (ivr.Started → "ivr.started", ivr.AgentRequested → "ivr.agent_requested").
func ivrSink(bus *event.Bus) ivr.Sink {
	return ivr.SinkFunc(func(e ivr.Event) {
		h := e.Head()
		_, _ = bus.Publish(context.Background(), event.Event{
			Type: ivrEventType(e), At: h.Time, ContactID: h.ContactID, Actor: "ivr", Data: e,
		})
	})
}

func ivrEventType(e ivr.Event) event.Type {
	t := reflect.TypeOf(e)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var b strings.Builder
	b.WriteString("ivr.")
	name := []rune(t.Name())
	for i, r := range name {
		// A word starts at an upper-case letter after a lower-case one, or
		// at the last capital of an acronym: AbandonedInIVR → abandoned_in_ivr.
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(name[i-1]) ||
			(i+1 < len(name) && unicode.IsLower(name[i+1]))) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return event.Type(b.String())
}
