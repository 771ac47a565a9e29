package agentdesk_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// visitCall is a call out the fake trunk was asked for.
type visitCall struct {
	agent, contact, number string
	ended                  func(by string)
}

// ticket.call: only the ticket's assignee (not ready, phone free) calls
// its customer; the desk is told the call rang, connected and ended, and
// an internal note on the ticket names the call (its contact id, the
// number masked) and how it went. A call that did not connect is noted
// too.
func TestTicketCallReturnVisit(t *testing.T) {
	calls := make(chan visitCall, 4)
	fail := make(chan error, 1)
	s := deskttest.New(t, deskttest.Options{CallOut: func(_ context.Context, agentID, contactID, number string, ended func(string)) error {
		select {
		case err := <-fail:
			return err
		default:
		}
		calls <- visitCall{agentID, contactID, number, ended}
		return nil
	}})
	alice := dialDesk(t, s, "alice", "")
	bob := dialDesk(t, s, "bob", "")
	draft := map[string]any{"type": "fault", "category": "broadband", "subject": "宽带断线回访",
		"customer": map[string]string{"phone": "13900000001"}}
	var made struct {
		Ticket struct {
			ID      int64 `json:"id"`
			Version int   `json:"version"`
		} `json:"ticket"`
	}
	if err := json.Unmarshal(do(t, alice, "ticket.create", map[string]any{"draft": draft, "key": "visit-1"}), &made); err != nil {
		t.Fatal(err)
	}
	do(t, alice, "ticket.act", map[string]any{"id": made.Ticket.ID, "command": map[string]any{"action": "claim", "version": made.Ticket.Version}})
	id := map[string]int64{"id": made.Ticket.ID}

	_, err := bob.Do("ticket.call", id, wait)
	wantCode(t, err, "forbidden")
	_, err = alice.Do("ticket.call", map[string]int64{"id": 0}, wait)
	wantCode(t, err, "invalid")
	do(t, alice, "state.ready", nil)
	_, err = alice.Do("ticket.call", id, wait)
	wantCode(t, err, "conflict")
	do(t, alice, "state.not_ready", map[string]string{"reason": "break"})

	var ack struct {
		Contact string `json:"contact_id"`
		State   string `json:"state"`
	}
	if err := json.Unmarshal(do(t, alice, "ticket.call", id), &ack); err != nil || ack.State != "ringing" || !strings.HasPrefix(ack.Contact, "visit-") {
		t.Fatalf("ack %+v, %v; want ringing on a visit- contact", ack, err)
	}
	c := <-calls
	if c.agent != s.Accounts["alice"].ID || c.contact != ack.Contact || c.number != "13900000001" {
		t.Fatalf("called %+v, want alice's visit to the ticket's number", c)
	}
	var ev struct {
		Contact string `json:"contact_id"`
		State   string `json:"state"`
		Reason  string `json:"reason"`
	}
	if _, err := alice.Want("ticket.call", &ev, wait); err != nil || ev.State != "connected" || ev.Contact != ack.Contact {
		t.Fatalf("ticket.call %+v, %v; want connected", ev, err)
	}
	c.ended("customer hung up")
	if _, err := alice.Want("ticket.call", &ev, wait); err != nil || ev.State != "ended" || ev.Reason != "customer hung up" {
		t.Fatalf("ticket.call %+v, %v; want ended by the customer", ev, err)
	}

	fail <- context.DeadlineExceeded
	if err := json.Unmarshal(do(t, alice, "ticket.call", id), &ack); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Want("ticket.call", &ev, wait); err != nil || ev.State != "failed" || ev.Reason == "" {
		t.Fatalf("ticket.call %+v, %v; want failed with a reason", ev, err)
	}

	d, err := s.Tickets.Detail(context.Background(), ticket.Actor{ID: s.Accounts["alice"].ID, Role: ticket.SupervisorRole}, made.Ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, n := range d.Notes {
		if n.Kind == ticket.Internal && strings.Contains(n.Body, "return-visit call") {
			notes = append(notes, n.Body)
		}
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "139****0001: connected") || !strings.Contains(notes[1], "not connected") ||
		strings.Contains(strings.Join(notes, " "), "13900000001") {
		t.Fatalf("notes %q, want one connected and one not, the number masked", notes)
	}
}
