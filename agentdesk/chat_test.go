package agentdesk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
)

// TestLeaveMessageWhenNobodyAnswers: a queue without agents sends the chat
// to the flow's message node, which opens a ticket the customer is told.
func TestLeaveMessageWhenNobodyAnswers(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	st := startChat(t, s, map[string]string{"name": "赵六", "phone": "13700000006"})
	cust := dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "w", "text": "宽带坏了"})
	do(t, cust, "chat.send", map[string]string{"msg_id": "m", "text": "5"})
	if _, err := cust.Want("chat.ended", nil, wait); err != nil {
		t.Fatal(err)
	}
	ts, err := s.Tickets.Search(context.Background(), ticket.Actor{ID: "t", Role: ticket.SupervisorRole}, ticket.Filter{Phone: "13700000006"})
	if err != nil || len(ts) != 1 {
		t.Fatalf("tickets %v %v, want one message ticket", ts, err)
	}
	if tk := ts[0]; tk.Contact != st.Contact || tk.Channel != ticket.Chat || !strings.Contains(tk.Body, "宽带坏了") {
		t.Fatalf("ticket %+v, want the chat's contact, channel and words", tk)
	}
	_, err = cust.Do("chat.send", map[string]string{"msg_id": "late", "text": "还在吗"}, wait)
	wantCode(t, err, agentdesk.CodeConflict)
}

// TestTransferWithNote: the agent hands the chat to a colleague with a
// note; the colleague's offer carries it, the customer sees the new agent.
func TestTransferWithNote(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	agent, cust, contact := readyAgentWithChat(t, s)
	bob := dialDesk(t, s, "bob", "")
	do(t, bob, "state.ready", nil)
	do(t, agent, "chat.transfer", map[string]string{"contact_id": contact, "agent_id": s.Accounts["bob"].ID, "note": "客户要求退费"})
	var offer struct {
		Contact  string `json:"contact_id"`
		Note     string `json:"note"`
		Transfer bool   `json:"transfer"`
	}
	if _, err := bob.Want("offer", &offer, wait); err != nil || offer.Note != "客户要求退费" || !offer.Transfer {
		t.Fatalf("bob's offer %+v %v, want the note", offer, err)
	}
	var ended struct {
		Reason string `json:"reason"`
	}
	if _, err := agent.Want("chat.ended", &ended, wait); err != nil || ended.Reason != "transferred" {
		t.Fatalf("alice: %v %+v, want chat.ended transferred", err, ended)
	}
	do(t, bob, "offer.accept", map[string]string{"contact_id": contact})
	var view struct {
		Transcript []msg `json:"transcript"`
		Note       string
	}
	if _, err := bob.Want("chat.started", &view, wait); err != nil || len(view.Transcript) == 0 {
		t.Fatalf("bob's chat: %v, want the transcript so far", err)
	}
	if _, err := cust.Want("chat.agent_joined", nil, wait); err != nil {
		t.Fatal(err)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "b", "text": "你好 Bob"})
	if m := wantMessage(t, bob, "customer"); m.Text != "你好 Bob" {
		t.Fatalf("bob got %q", m.Text)
	}
	_, err := agent.Do("chat.send", map[string]string{"contact_id": contact, "msg_id": "x", "text": "我还在"}, wait)
	wantCode(t, err, agentdesk.CodeForbidden)
}

// TestCustomerLeavesAndTokenExpires on virtual time: a customer who
// closes the chat while waiting abandons it; once the chat lease passes
// its token no longer opens a socket.
func TestCustomerLeavesAndTokenExpires(t *testing.T) {
	clk := deskttest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	s := deskttest.New(t, deskttest.Options{Clock: clk, ChatLease: time.Minute})
	st := startChat(t, s, map[string]string{})
	cust := dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "0", "text": "0"})
	s.Await(t, wait, func() bool { _, err := s.ACD.Contact(context.Background(), st.Contact); return err == nil })
	do(t, cust, "chat.leave", nil)
	if _, err := cust.Want("chat.ended", nil, wait); err != nil {
		t.Fatal(err)
	}
	s.Await(t, wait, func() bool { _, err := s.ACD.Contact(context.Background(), st.Contact); return err != nil })
	cust.Close()
	for range 70 {
		step(t, s, clk)
	}
	c, resp, err := deskttest.Dial(context.Background(), s.URL, "/ws/chat?token="+st.Token, agentdesk.ChatProtocol, "")
	if err == nil {
		c.Close()
		t.Fatal("the token still opens a socket after the chat lease")
	}
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial after the lease: got %v %v, want 401", resp, err)
	}
}

func TestStartChatValidation(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	for _, body := range []string{`{"phone":"abc"}`, `{"lang":"fr"}`, `{"name":"` + strings.Repeat("名", 41) + `"}`, `{`, `[]`} {
		resp, err := http.Post(s.URL+"/chat/api/start", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: got %d, want 400", body, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("POST", s.URL+"/chat/api/start", strings.NewReader(`{}`))
	req.Header.Set("Origin", "http://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: got %d, want 403", resp.StatusCode)
	}
}

func TestOptionsRequired(t *testing.T) {
	_, err := agentdesk.New(agentdesk.Options{})
	if !errors.Is(err, agentdesk.ErrOptions) {
		t.Fatalf("got %v, want ErrOptions", err)
	}
}

func TestPagesServed(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	for path, want := range map[string]string{"/desk/": "desk.js", "/chat/": "chat.js", "/board/": "board.js", "/admin/": "admin.js", "/chat/widget.js": "iframe", "/common/proto.js": "HotlineSocket"} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, _ = ioCopy(&b, resp)
		if resp.StatusCode != 200 || !strings.Contains(b.String(), want) || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: status %d, csp %q, want 200 with %q", path, resp.StatusCode, resp.Header.Get("Content-Security-Policy"), want)
		}
	}
}

// TestCustomerLeavesDuringChat: the agent's chat ends once, and wrap-up
// starts.
func TestCustomerLeavesDuringChat(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	agent, cust, contact := readyAgentWithChat(t, s)
	do(t, cust, "chat.leave", nil)
	var ended struct {
		Contact string `json:"contact_id"`
		Reason  string `json:"reason"`
	}
	if _, err := agent.Want("chat.ended", &ended, wait); err != nil || ended.Contact != contact {
		t.Fatalf("agent: %v %+v, want chat.ended", err, ended)
	}
	if _, err := agent.Want("wrapup.started", nil, wait); err != nil {
		t.Fatal(err)
	}
	do(t, agent, "ping", nil)
	for _, f := range agent.Drain() {
		if f.Type == "chat.ended" {
			t.Fatalf("a second chat.ended: %s", f.Data)
		}
	}
}

// TestChatTokenAsSubprotocol: the widget sends its token as a second
// offered subprotocol; the server answers with the chat protocol only.
func TestChatTokenAsSubprotocol(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	st := startChat(t, s, map[string]string{})
	d := websocket.Dialer{Subprotocols: []string{agentdesk.ChatProtocol, agentdesk.TokenProtocol + st.Token}}
	ws, resp, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws/chat", http.Header{"Origin": {s.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != agentdesk.ChatProtocol {
		t.Fatalf("server chose %q, want %s", got, agentdesk.ChatProtocol)
	}
	d.Subprotocols = []string{agentdesk.ChatProtocol, agentdesk.TokenProtocol + "forged"}
	if _, resp, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws/chat", http.Header{"Origin": {s.URL}}); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged token: %v, want 401", err)
	}
}

// TestQueuePosition: waiting customers are told their place, and it moves
// up when someone ahead leaves.
func TestQueuePosition(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	var custs []*deskttest.Client
	for i := range 2 {
		st := startChat(t, s, map[string]string{"name": "排队" + strconv.Itoa(i)})
		c := dialChat(t, s, st.Token)
		if _, err := c.Hello("", "", 0); err != nil {
			t.Fatal(err)
		}
		do(t, c, "chat.send", map[string]string{"msg_id": "q", "text": "0"})
		custs = append(custs, c)
		wantPosition(t, c, i+1)
	}
	do(t, custs[0], "chat.leave", nil)
	wantPosition(t, custs[1], 1)
}

func wantPosition(t *testing.T, c *deskttest.Client, want int) {
	t.Helper()
	for {
		var q struct {
			Position int `json:"position"`
		}
		if _, err := c.Want("chat.queue", &q, wait); err != nil {
			t.Fatalf("waiting for position %d: %v", want, err)
		}
		if q.Position == want {
			return
		}
	}
}

// TestCustomerPanelHistory: the number typed into the widget is a claim:
// the panel shows that number's tier, nothing of its account, past
// contacts or tickets (TestUnverifiedChatGetsNoAccountData shows them
// once proved).
func TestCustomerPanelHistory(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	ctx := context.Background()
	if _, err := s.Store.CreateCustomer(ctx, store.Customer{ANI: "13900000001", Account: "A100", Name: "张三", Tier: store.TierGold}); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-48 * time.Hour)
	if _, err := s.Store.CreateContact(ctx, store.Contact{Channel: store.Voice, ANI: "13900000001", EntryPoint: "10000", StartedAt: past}); err != nil {
		t.Fatal(err)
	}
	agent, _, contact := readyAgentWithChat(t, s)
	var panel struct {
		Known    bool   `json:"known"`
		Verified string `json:"verified"`
		Account  string `json:"account"`
		Tier     string `json:"tier"`
		Contacts []struct {
			Channel string `json:"channel"`
		} `json:"contacts"`
	}
	if err := json.Unmarshal(do(t, agent, "customer.get", map[string]string{"contact_id": contact}), &panel); err != nil {
		t.Fatal(err)
	}
	if panel.Known || panel.Verified != "none" || panel.Account != "" || panel.Tier != "gold" || len(panel.Contacts) != 0 {
		t.Fatalf("panel %+v, want an unverified claim: the tier, no account and no past contacts", panel)
	}
}

// TestReloadFlows: a reloaded library serves new chats.
func TestReloadFlows(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	lib, err := ivr.LoadDir(fstest.MapFS{"f/other.yaml": {Data: []byte("flow: other\nstart: bye\nentries: [\"web\"]\nnodes:\n  bye:\n    kind: hangup\n    prompt: goodbye\n")}}, "f")
	if err != nil {
		t.Fatal(err)
	}
	s.Gateway.ReloadFlows(lib)
	st := startChat(t, s, map[string]string{})
	c := dialChat(t, s, st.Token)
	if _, err := c.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	var snap struct {
		Transcript []msg `json:"transcript"`
		Ended      bool  `json:"ended"`
	}
	if _, err := c.Want("snapshot", &snap, wait); err != nil {
		t.Fatal(err)
	}
	if !snap.Ended {
		if _, err := c.Want("chat.ended", nil, wait); err != nil {
			t.Fatal(err)
		}
	}
}

// TestChatHandshakeNeedsNoHub: the chat socket's handshake checks the
// token without a round trip to the hub, so a hub busy with offers does
// not hold up the customers' connections (it asked the hub before); an
// unknown token is still refused with 401.
func TestChatHandshakeNeedsNoHub(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	st := startChat(t, s, map[string]string{})
	release := agentdesk.HoldHub(s.Gateway)
	d := websocket.Dialer{Subprotocols: []string{agentdesk.ChatProtocol}, HandshakeTimeout: wait}
	ws, _, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws/chat?token="+st.Token, http.Header{"Origin": {s.URL}})
	if err != nil {
		release()
		t.Fatalf("handshake while the hub is busy: %v", err)
	}
	_, resp, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws/chat?token=forged", http.Header{"Origin": {s.URL}})
	release()
	ws.Close()
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged token while the hub is busy: got %v %v, want 401", resp, err)
	}
}
