package main

import (
	"testing"

	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/ivr"
)

func TestIVREventTypes(t *testing.T) {
	for _, tc := range []struct {
		e    ivr.Event
		want event.Type
	}{
		{ivr.Started{}, "ivr.started"},
		{ivr.AgentRequested{}, "ivr.agent_requested"},
		{ivr.SelfServiceCompleted{}, "ivr.self_service_completed"},
		{ivr.AbandonedInIVR{}, "ivr.abandoned_in_ivr"},
	} {
		if got := ivrEventType(tc.e); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}
