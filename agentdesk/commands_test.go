package agentdesk_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

// TestTypingAndRead: typing is relayed both ways (volatile), read marks
// both ways (durable).
func TestTypingAndRead(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	agent, cust, contact := readyAgentWithChat(t, s)
	do(t, cust, "chat.typing", nil)
	var typing struct {
		Contact string `json:"contact_id"`
		From    string `json:"from"`
	}
	if f, err := agent.Want("chat.typing", &typing, wait); err != nil || typing.Contact != contact || typing.From != "customer" || f.Seq != 0 {
		t.Fatalf("agent: %v %+v seq %d, want a volatile typing from the customer", err, typing, f.Seq)
	}
	do(t, agent, "chat.typing", map[string]string{"contact_id": contact})
	if _, err := cust.Want("chat.typing", nil, wait); err != nil {
		t.Fatal(err)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "r1", "text": "看到了吗"})
	m := wantMessage(t, agent, "customer")
	do(t, agent, "chat.read", map[string]any{"contact_id": contact, "n": m.N})
	var read struct {
		By string `json:"by"`
		N  int    `json:"n"`
	}
	if f, err := cust.Want("chat.read", &read, wait); err != nil || read.By != "agent" || read.N != m.N || f.Seq == 0 {
		t.Fatalf("customer: %v %+v, want a durable read mark up to %d", err, read, m.N)
	}
	do(t, agent, "chat.send", map[string]string{"contact_id": contact, "msg_id": "r2", "text": "看到了"})
	am := wantMessage(t, cust, "agent")
	do(t, cust, "chat.read", map[string]int{"n": am.N})
	if _, err := agent.Want("chat.read", &read, wait); err != nil || read.By != "customer" || read.N != am.N {
		t.Fatalf("agent: %v %+v, want the customer's read mark", err, read)
	}
	// A read mark beyond the transcript is ignored.
	do(t, cust, "chat.read", map[string]int{"n": 9999})
	do(t, agent, "ping", nil)
	for _, f := range agent.Drain() {
		if f.Type == "chat.read" {
			t.Fatalf("read mark past the transcript relayed: %s", f.Data)
		}
	}
}

// TestRejectExtendTransferLogout covers the remaining desk commands.
func TestRejectExtendTransferLogout(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	ctx := context.Background()
	agent, cust, contact := readyAgentWithChat(t, s)
	aliceID := s.Accounts["alice"].ID

	// Transfer to a queue: alice leaves the chat; it waits in billing.
	do(t, agent, "chat.transfer", map[string]string{"contact_id": contact, "queue": "billing", "note": "账单问题"})
	if _, err := cust.Want("chat.agent_left", nil, wait); err != nil {
		t.Fatal(err)
	}
	// Alice (ready again after wrap-up or at once) is offered it back and rejects.
	var offer struct {
		Contact string `json:"contact_id"`
		Note    string `json:"note"`
	}
	if _, err := agent.Want("wrapup.started", nil, wait); err != nil {
		t.Fatal(err)
	}
	var ext struct {
		EndsAt string `json:"ends_at"`
	}
	if err := json.Unmarshal(do(t, agent, "wrapup.extend", map[string]any{"contact_id": contact, "seconds": 30}), &ext); err != nil || ext.EndsAt == "" {
		t.Fatalf("extend: %v %+v", err, ext)
	}
	do(t, agent, "wrapup.done", map[string]string{"contact_id": contact, "code": "transferred"})
	if _, err := agent.Want("offer", &offer, wait); err != nil || offer.Contact != contact || offer.Note != "账单问题" {
		t.Fatalf("offer %+v %v, want the transferred chat with its note", offer, err)
	}
	do(t, agent, "offer.reject", map[string]string{"contact_id": contact})
	var ended struct {
		Reason string `json:"reason"`
	}
	if _, err := agent.Want("offer.ended", &ended, wait); err != nil || ended.Reason != "rejected" {
		t.Fatalf("offer.ended %+v %v, want rejected", ended, err)
	}
	if a, err := s.ACD.Agent(ctx, aliceID); err != nil || a.State != acd.NotReady {
		t.Fatalf("alice %+v %v, want not ready after rejecting", a, err)
	}

	// Tickets of her own: an agent cannot dispatch at creation (that takes
	// the dispatch permission); the rules pool it and she claims it.
	draft := map[string]any{"type": "inquiry", "category": "billing", "subject": "回访",
		"customer": map[string]string{"phone": "13900000001"}}
	var made struct {
		Ticket struct {
			ID      int64 `json:"id"`
			Version int   `json:"version"`
		} `json:"ticket"`
	}
	if err := json.Unmarshal(do(t, agent, "ticket.create", map[string]any{"draft": draft, "key": "mine-1"}), &made); err != nil {
		t.Fatal(err)
	}
	do(t, agent, "ticket.act", map[string]any{"id": made.Ticket.ID, "command": map[string]any{"action": "claim", "version": made.Ticket.Version}})
	var mine struct {
		Tickets []struct {
			ID int64 `json:"id"`
		} `json:"tickets"`
	}
	if err := json.Unmarshal(do(t, agent, "ticket.mine", nil), &mine); err != nil || len(mine.Tickets) != 1 || mine.Tickets[0].ID != made.Ticket.ID {
		t.Fatalf("mine %+v %v, want the ticket assigned to alice", mine, err)
	}
	var got struct {
		Subject string `json:"subject"`
	}
	if err := json.Unmarshal(do(t, agent, "ticket.get", map[string]int64{"id": made.Ticket.ID}), &got); err != nil || got.Subject != "回访" {
		t.Fatalf("get %+v %v", got, err)
	}

	do(t, agent, "logout", nil)
	s.Await(t, wait, func() bool {
		a, err := s.ACD.Agent(ctx, aliceID)
		return err != nil || a.State == acd.LoggedOut
	})
}
