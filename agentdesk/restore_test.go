package agentdesk_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/ivr/phone/webphone"
)

type dayView struct {
	Queues []struct {
		Queue     string `json:"queue"`
		Answered  int    `json:"answered"`
		Abandoned int    `json:"abandoned"`
		Lost      int    `json:"lost"`
	} `json:"queues"`
}

func (d dayView) lost(queue string) (abandoned, lost int) {
	for _, q := range d.Queues {
		if q.Queue == queue {
			return q.Abandoned, q.Lost
		}
	}
	return -1, -1
}

// TestGhostClearedByForcedLogout: a contact no channel holds (restored
// from a snapshot after a crash, its chat gone) is accepted and never
// connects; it used to keep the agent busy for good, and a supervisor's
// forced logout waited for it. The force wins: the agent is logged out and
// the contact is back in its queue.
func TestGhostClearedByForcedLogout(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	ctx := context.Background()
	alice := dialDesk(t, s, "alice", "")
	board := dialDesk(t, s, "sam", "board")
	do(t, alice, "state.ready", nil)
	if err := s.ACD.Enqueue(ctx, acd.ContactSpec{ID: "ghost", Queue: "general", Channel: acd.Chat}); err != nil {
		t.Fatal(err)
	}
	var offer struct {
		Contact string `json:"contact_id"`
	}
	if _, err := alice.Want("offer", &offer, wait); err != nil || offer.Contact != "ghost" {
		t.Fatalf("offer: %+v %v", offer, err)
	}
	do(t, alice, "offer.accept", map[string]string{"contact_id": "ghost"})
	aliceID := s.Accounts["alice"].ID
	if a, err := s.ACD.Agent(ctx, aliceID); err != nil || a.State != acd.Busy {
		t.Fatalf("alice after accepting the ghost: %+v %v, want busy", a, err)
	}
	do(t, board, "sup.logout", map[string]string{"agent_id": aliceID})
	s.Await(t, wait, func() bool {
		_, err := s.ACD.Agent(ctx, aliceID)
		return errors.Is(err, acd.ErrUnknownAgent)
	})
	if c, err := s.ACD.Contact(ctx, "ghost"); err != nil || c.State != "queued" {
		t.Fatalf("ghost after the forced logout: %+v %v, want queued", c, err)
	}
}

// TestRestoredChatNotReclaimed: a chat taken back after a restart whose
// customer never reconnects ends, at the end of the chat lease, as
// system_lost — the platform lost it, the customer did not abandon.
func TestRestoredChatNotReclaimed(t *testing.T) {
	clk := deskttest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	s := deskttest.New(t, deskttest.Options{Clock: clk, Lease: time.Hour, ChatLease: time.Minute})
	ctx := context.Background()
	board := dialDesk(t, s, "sam", "board")
	if err := s.ACD.Enqueue(ctx, acd.ContactSpec{ID: "chat-restored", Queue: "general", Channel: acd.Chat}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("customer-token"))
	kept, _ := json.Marshal(map[string]any{"token_hash": hex.EncodeToString(sum[:]), "queue": "general",
		"customer": map[string]string{"name": "冯雪"}})
	if ids := s.Gateway.Restore(map[string]json.RawMessage{"chat-restored": kept}); len(ids) != 1 {
		t.Fatalf("restored %v, want the chat", ids)
	}
	for range 3 {
		clk.Advance(40 * time.Second)
	}
	s.Await(t, wait, func() bool {
		_, err := s.ACD.Contact(ctx, "chat-restored")
		return errors.Is(err, acd.ErrUnknownContact)
	})
	s.Await(t, wait, func() bool {
		var d dayView
		_ = json.Unmarshal(do(t, board, "board.get", nil), &d)
		ab, lost := d.lost("general")
		return ab == 0 && lost == 1
	})
}

// TestRestoredChatReclaimed: the customer of a restored chat reconnects
// with their token to the same chat, with its transcript, and an agent
// takes it.
func TestRestoredChatReclaimed(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	ctx := context.Background()
	alice := dialDesk(t, s, "alice", "")
	if err := s.ACD.Enqueue(ctx, acd.ContactSpec{ID: "chat-back", Queue: "general", Channel: acd.Chat}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("back-token"))
	kept, _ := json.Marshal(map[string]any{"token_hash": hex.EncodeToString(sum[:]), "queue": "general",
		"transcript": []map[string]any{{"n": 1, "from": "customer", "text": "人工", "at": time.Now()}}})
	s.Gateway.Restore(map[string]json.RawMessage{"chat-back": kept})
	cust := dialChat(t, s, "back-token")
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	var snap struct {
		Contact    string `json:"contact_id"`
		Transcript []msg  `json:"transcript"`
	}
	if _, err := cust.Want("snapshot", &snap, wait); err != nil || snap.Contact != "chat-back" || len(snap.Transcript) != 1 {
		t.Fatalf("snapshot: %+v %v", snap, err)
	}
	do(t, alice, "state.ready", nil)
	if _, err := alice.Want("offer", nil, wait); err != nil {
		t.Fatal(err)
	}
	do(t, alice, "offer.accept", map[string]string{"contact_id": "chat-back"})
	if _, err := cust.Want("chat.agent_joined", nil, wait); err != nil {
		t.Fatalf("customer not told: %v", err)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "x1", "text": "我回来了"})
	for {
		m := wantMessage(t, alice, "customer")
		if m.Text == "我回来了" {
			break
		}
	}
}

// TestRestoredConnectedChat: a chat connected when the node went down is
// on its agent's desk again after the restart, and they talk on.
func TestRestoredConnectedChat(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	ctx := context.Background()
	aliceID := s.Accounts["alice"].ID
	// The ACD as restored: alice connected with the chat.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.ACD.Login(ctx, acd.AgentSpec{ID: aliceID, Skills: map[string]int{"general": 5}}))
	must(s.ACD.SetReady(ctx, aliceID))
	must(s.ACD.Enqueue(ctx, acd.ContactSpec{ID: "chat-on", Queue: "general", Channel: acd.Chat}))
	must(s.ACD.Accept(ctx, aliceID, "chat-on"))
	must(s.ACD.Connected(ctx, "chat-on"))
	sum := sha256.Sum256([]byte("on-token"))
	kept, _ := json.Marshal(map[string]any{"token_hash": hex.EncodeToString(sum[:]), "queue": "general", "agent_id": aliceID})
	s.Gateway.Restore(map[string]json.RawMessage{"chat-on": kept})

	tok, err := s.Login(ctx, "alice")
	must(err)
	alice, _, err := deskttest.Dial(ctx, s.URL, "/ws/desk", agentdesk.DeskProtocol, tok)
	must(err)
	t.Cleanup(alice.Close)
	if _, err := alice.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	var snap struct {
		Chats []struct {
			Contact string `json:"contact_id"`
		} `json:"chats"`
	}
	if _, err := alice.Want("snapshot", &snap, wait); err != nil || len(snap.Chats) != 1 || snap.Chats[0].Contact != "chat-on" {
		t.Fatalf("desk snapshot after the restart: %+v %v, want the chat", snap, err)
	}
	cust := dialChat(t, s, "on-token")
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	do(t, alice, "chat.send", map[string]string{"contact_id": "chat-on", "msg_id": "a1", "text": "您好，我们继续"})
	if m := wantMessage(t, cust, "agent"); m.Text != "您好，我们继续" {
		t.Fatalf("customer got %+v", m)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "c1", "text": "好的"})
	if m := wantMessage(t, alice, "customer"); m.Text != "好的" {
		t.Fatalf("agent got %+v", m)
	}
}

// TestChatKeptOncePerInterval: a chat's new messages are kept for the
// restart (the contact bridge's Kept, saved with the ACD snapshot) at the
// hub's next keep, once for all the messages of keepEvery, not once per
// message: marshalling the chat and its transcript at every message was a
// third of the hub's CPU under chat traffic. After the interval every
// message is there.
func TestChatKeptOncePerInterval(t *testing.T) {
	ep, err := webphone.New(webphone.Config{IPs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	clk := deskttest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	s := deskttest.New(t, deskttest.Options{Clock: clk, Softphone: ep, OfferTimeout: time.Hour, Lease: time.Hour})
	alice := dialDesk(t, s, "alice", "")
	do(t, alice, "state.ready", nil)
	st := startChat(t, s, map[string]string{"name": "李四"})
	cust := dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "0", "text": "0"})
	if _, err := alice.Want("offer", nil, wait); err != nil {
		t.Fatal(err)
	}
	kept := func() string {
		t.Helper()
		if err := s.Gateway.Sync(); err != nil {
			t.Fatal(err)
		}
		return string(s.Bridge.Kept()[st.Contact])
	}
	step(t, s, clk, alice)
	before := kept()
	if before == "" || !strings.Contains(before, `"text":"0"`) {
		t.Fatalf("queued chat kept as %q, want its transcript", before)
	}
	for i := range 3 {
		do(t, cust, "chat.send", map[string]string{"msg_id": fmt.Sprint("m", i), "text": fmt.Sprint("later ", i)})
	}
	if got := kept(); got != before {
		t.Fatalf("kept again within the interval: %s", got)
	}
	step(t, s, clk, alice)
	got := kept()
	for i := range 3 {
		if !strings.Contains(got, fmt.Sprint(`"text":"later `, i, `"`)) {
			t.Fatalf("after the interval the kept chat lacks message %d: %s", i, got)
		}
	}
}
