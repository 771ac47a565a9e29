package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
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
	// The demo's business hours must not decide this test: it runs at any
	// hour with the flows' calendars open 24×7.
	r := start(t, "--data-dir", dataDir, "--ivr-always-open")
	waitReady(t, r.base)
	const wait = 10 * time.Second
	ctx := context.Background()

	agent, cust, chat := readyAgentAndChat(t, r)
	defer agent.Close()
	defer cust.Close()
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
	// The offer's delivery to the desk was measured (the server's part of
	// offer-to-desktop).
	resp, err := client.Get(r.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`(?m)^hotline_desk_offer_delivery_seconds_count [1-9]`).Match(metrics) {
		t.Fatalf("no offer delivery in /metrics:\n%s", metrics)
	}
	// The chat's transcript went to the store straight from memory.
	for _, series := range []string{"hotline_transcript_spilled_total 0", "hotline_transcript_lost_total 0"} {
		if !regexp.MustCompile(`(?m)^` + series + `$`).Match(metrics) {
			t.Fatalf("want %q in /metrics:\n%s", series, metrics)
		}
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

// shiftedClock is the wall clock moved to another instant: timers run at
// their real pace while the IVR's calendars see the pinned time.
type shiftedClock struct{ offset time.Duration }

func (c shiftedClock) Now() time.Time                         { return time.Now().Add(c.offset) }
func (c shiftedClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// At 03:00 on a Sunday in the center's time zone the demo center is closed:
// a chat customer asking for an agent gets the after-hours branch (a call
// back offer), and no agent is offered the chat.
func TestChatAfterHoursThroughServe(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	sunday3am := time.Date(2026, 11, 29, 3, 0, 0, 0, shanghai)
	if sunday3am.Weekday() != time.Sunday {
		t.Fatalf("%v is a %v", sunday3am, sunday3am.Weekday())
	}
	r := startAt(t, shiftedClock{offset: time.Until(sunday3am)}, "--data-dir", t.TempDir())
	waitReady(t, r.base)
	const wait = 10 * time.Second
	agent, cust, _ := readyAgentAndChat(t, r)
	defer agent.Close()
	defer cust.Close()
	for {
		var m struct{ From, Text string }
		if _, err := cust.Want("chat.message", &m, wait); err != nil {
			t.Fatalf("no after-hours answer: %v", err)
		}
		if strings.Contains(m.Text, "非工作时间") {
			break
		}
	}
	for _, f := range agent.Drain() {
		if f.Type == "offer" {
			t.Fatalf("an agent was offered a chat after hours: %+v", f)
		}
	}
	agent.Close()
	cust.Close()
	client.CloseIdleConnections()
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
}

// readyAgentAndChat logs the demo agent wang.fang in on the desk and makes
// her ready, then starts a web chat as a known demo customer who asks the
// built-in main menu for an agent (人工).
func readyAgentAndChat(t *testing.T, r *running) (agent, cust *deskttest.Client, chat startedChat) {
	t.Helper()
	const wait = 10 * time.Second
	ctx := context.Background()
	agent, _, err := deskttest.Dial(ctx, r.base, "/ws/desk", agentdesk.DeskProtocol, r.login(t, "wang.fang"))
	if err != nil {
		t.Fatal(err)
	}
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
	json.NewDecoder(resp.Body).Decode(&chat)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || chat.Token == "" {
		t.Fatalf("start chat: %d", resp.StatusCode)
	}
	cust, _, err = deskttest.Dial(ctx, r.base, "/ws/chat?token="+chat.Token, agentdesk.ChatProtocol, "")
	if err != nil {
		t.Fatal(err)
	}
	cust.Token = chat.Token
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := cust.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	if _, err := cust.Do("chat.send", map[string]string{"msg_id": "m0", "text": "人工"}, wait); err != nil {
		t.Fatal(err)
	}
	return agent, cust, chat
}

type startedChat struct {
	Token   string `json:"token"`
	Contact string `json:"contact_id"`
}
