package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

// The whole chat path on the real server with the demo center: a customer
// opens the widget, goes through the built-in IVR chat menu to an agent,
// the demo agent gets the offer on the desk, they talk, the agent ends the
// chat, and the contact record says answered, in the chat queue.
func TestChatThroughServe(t *testing.T) {
	dataDir := t.TempDir()
	r := start(t, "--data-dir", dataDir)
	waitReady(t, r.base)
	const wait = 10 * time.Second
	ctx := context.Background()

	agent, _, err := deskttest.Dial(ctx, r.base, "/ws/desk", agentdesk.DeskProtocol, r.login(t, "wang.fang"))
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	if _, err := agent.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Do("state.ready", nil, wait); err != nil {
		t.Fatalf("ready: %v", err)
	}

	resp, err := client.Post(r.base+"/chat/api/start", "application/json",
		strings.NewReader(`{"name":"冯雪","phone":"13300000004","topic":"话费"}`))
	if err != nil {
		t.Fatal(err)
	}
	var chat struct {
		Token   string `json:"token"`
		Contact string `json:"contact_id"`
	}
	json.NewDecoder(resp.Body).Decode(&chat)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || chat.Token == "" {
		t.Fatalf("start chat: %d", resp.StatusCode)
	}
	cust, _, err := deskttest.Dial(ctx, r.base, "/ws/chat?token="+chat.Token, agentdesk.ChatProtocol, "")
	if err != nil {
		t.Fatal(err)
	}
	defer cust.Close()
	cust.Token = chat.Token
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := cust.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	// The built-in main menu offers 0 for an agent.
	if _, err := cust.Do("chat.send", map[string]string{"msg_id": "m0", "text": "人工"}, wait); err != nil {
		t.Fatal(err)
	}
	var offer struct {
		Contact string `json:"contact_id"`
	}
	if _, err := agent.Want("offer", &offer, wait); err != nil {
		t.Fatalf("no offer on the desk: %v", err)
	}
	if offer.Contact != chat.Contact {
		t.Fatalf("offer for %s, want %s", offer.Contact, chat.Contact)
	}
	if _, err := agent.Do("offer.accept", map[string]string{"contact_id": offer.Contact}, wait); err != nil {
		t.Fatal(err)
	}
	if _, err := cust.Do("chat.send", map[string]string{"msg_id": "m1", "text": "我的话费不对"}, wait); err != nil {
		t.Fatal(err)
	}
	for {
		var m struct{ From, Text string }
		if _, err := agent.Want("chat.message", &m, wait); err != nil {
			t.Fatalf("customer's message never reached the desk: %v", err)
		}
		if m.From == "customer" && m.Text == "我的话费不对" {
			break
		}
	}
	if _, err := agent.Do("chat.end", map[string]string{"contact_id": offer.Contact}, wait); err != nil {
		t.Fatal(err)
	}
	agent.Close()
	cust.Close()
	client.CloseIdleConnections()
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}

	// The contact record, written from the event stream, reached the store.
	st := storetest.Reopen(t, dataDir)
	c, err := st.Contact(ctx, offer.Contact)
	if err != nil {
		t.Fatal(err)
	}
	if c.Channel != store.Chat || c.QueueID != "general-chat" || c.AgentID == "" || c.AnsweredAt == nil ||
		c.Outcome != store.OutcomeAnswered {
		t.Fatalf("contact record: %+v", c)
	}
	// The phone typed into the chat form is a claim the customer did not
	// prove: the record is not linked to that number's customer.
	if c.CustomerID != "" || strings.Contains(c.ANI, "13300000004") {
		t.Fatalf("contact record linked to the claimed number 13300000004: %+v", c)
	}
}
