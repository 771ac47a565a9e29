package agentdesk_test

import (
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

// TestOfferDelivered: each offer written to an agent's socket reports the
// time since the ACD decided it (on virtual time that stands still: 0),
// and no other frame reports anything.
func TestOfferDelivered(t *testing.T) {
	clk := deskttest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	got := make(chan time.Duration, 16)
	s := deskttest.New(t, deskttest.Options{Clock: clk, OfferDelivered: func(d time.Duration) { got <- d }})
	agent, cust, contact := readyAgentWithChat(t, s)
	select {
	case d := <-got:
		if d != 0 {
			t.Fatalf("offer delivered after %v on a clock that stood still", d)
		}
	case <-time.After(wait):
		t.Fatal("no offer delivery reported")
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "m1", "text": "还在吗"})
	wantMessage(t, agent, "customer")
	do(t, agent, "chat.send", map[string]string{"contact_id": contact, "msg_id": "r1", "text": "在"})
	wantMessage(t, cust, "agent")
	do(t, agent, "ping", nil)
	if len(got) != 0 {
		t.Fatalf("%d reports for frames that are no offers", len(got))
	}
}
