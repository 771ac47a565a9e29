package agentdesk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/auth"
)

func TestUpgradeRefused(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	ctx := context.Background()
	tok, err := s.Login(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, proto, token, origin string
		want                             int
	}{
		{"desk without session", "/ws/desk", agentdesk.DeskProtocol, "", "", http.StatusUnauthorized},
		{"desk with forged session", "/ws/desk", agentdesk.DeskProtocol, "hls_forged", "", http.StatusUnauthorized},
		{"desk without subprotocol", "/ws/desk", "", tok, "", http.StatusBadRequest},
		{"desk with old subprotocol", "/ws/desk", "hotline.desk.v0", tok, "", http.StatusBadRequest},
		{"desk from another site", "/ws/desk", agentdesk.DeskProtocol, tok, "http://evil.example", http.StatusForbidden},
		{"chat without token", "/ws/chat", agentdesk.ChatProtocol, "", "", http.StatusUnauthorized},
		{"chat with forged token", "/ws/chat?token=abc", agentdesk.ChatProtocol, "", "", http.StatusUnauthorized},
		{"chat with a session instead of a token", "/ws/chat?token=" + tok, agentdesk.ChatProtocol, "", "", http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.token != "" {
				h.Set("Cookie", auth.CookieName+"="+tc.token)
			}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			d := websocket.Dialer{}
			if tc.proto != "" {
				d.Subprotocols = []string{tc.proto}
			}
			ws, resp, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+tc.path, h)
			if err == nil {
				ws.Close()
				t.Fatalf("upgrade succeeded, want %d", tc.want)
			}
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("got %v, want status %d", resp, tc.want)
			}
		})
	}
}

func TestHelloRules(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	tok, _ := s.Login(context.Background(), "alice")
	dial := func() *deskttest.Client {
		c, _, err := deskttest.Dial(context.Background(), s.URL, "/ws/desk", agentdesk.DeskProtocol, tok)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	cases := []struct {
		name string
		typ  string
		data any
		code string
	}{
		{"a command before hello", "state.ready", nil, agentdesk.CodeHelloFirst},
		{"an agent asking for the board", "hello", map[string]string{"view": "board"}, agentdesk.CodeForbidden},
		{"an unknown view", "hello", map[string]string{"view": "kitchen"}, agentdesk.CodeInvalid},
		{"hello with data of the wrong type", "hello", map[string]any{"last_seq": "x"}, agentdesk.CodeBadFrame},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial()
			if err := c.Send(tc.typ, "x1", tc.data); err != nil {
				t.Fatal(err)
			}
			_, err := c.Reply("x1", wait)
			wantCode(t, err, tc.code)
			if err := c.Closed(wait); err == nil || errors.Is(err, deskttest.ErrTimeout) {
				t.Fatalf("socket not closed after a refused hello: %v", err)
			}
		})
	}
}

// TestCommandErrors checks each error code a desk command can earn, and
// that the socket and the other sessions carry on.
func TestCommandErrors(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	agent, cust, contact := readyAgentWithChat(t, s)
	bob := dialDesk(t, s, "bob", "")
	cases := []struct {
		name string
		c    *deskttest.Client
		typ  string
		data any
		code string
	}{
		{"unknown command", agent, "coffee.make", nil, agentdesk.CodeUnknownType},
		{"second hello", agent, "hello", nil, agentdesk.CodeConflict},
		{"data not an object field type", agent, "state.not_ready", map[string]any{"reason": 5}, agentdesk.CodeBadFrame},
		{"unknown not-ready reason", agent, "state.not_ready", map[string]string{"reason": "nap"}, agentdesk.CodeInvalid},
		{"accept without contact", agent, "offer.accept", nil, agentdesk.CodeInvalid},
		{"accept an offer already accepted", agent, "offer.accept", map[string]string{"contact_id": contact}, agentdesk.CodeConflict},
		{"reject an offer never made", agent, "offer.reject", map[string]string{"contact_id": contact}, agentdesk.CodeConflict},
		{"accept an unknown contact", agent, "offer.accept", map[string]string{"contact_id": "nope"}, agentdesk.CodeConflict},
		{"send to an unknown chat", agent, "chat.send", map[string]string{"contact_id": "nope", "msg_id": "m", "text": "hi"}, agentdesk.CodeNotFound},
		{"send an empty message", agent, "chat.send", map[string]string{"contact_id": contact, "msg_id": "m", "text": "  "}, agentdesk.CodeInvalid},
		{"send without message id", agent, "chat.send", map[string]string{"contact_id": contact, "text": "hi"}, agentdesk.CodeInvalid},
		{"send a too long message", agent, "chat.send", map[string]string{"contact_id": contact, "msg_id": "m", "text": strings.Repeat("话", 4001)}, agentdesk.CodeInvalid},
		{"wrap-up with an unknown code", agent, "wrapup.done", map[string]string{"contact_id": contact, "code": "zzz"}, agentdesk.CodeInvalid},
		{"wrap-up before the contact ended", agent, "wrapup.done", map[string]string{"contact_id": contact, "code": "resolved"}, agentdesk.CodeConflict},
		{"transfer to nowhere", agent, "chat.transfer", map[string]string{"contact_id": contact}, agentdesk.CodeInvalid},
		{"transfer to an unknown queue", agent, "chat.transfer", map[string]string{"contact_id": contact, "queue": "mars"}, agentdesk.CodeNotFound},
		{"marketing outcome unknown", agent, "marketing.log", map[string]string{"contact_id": contact, "offer": "5G", "outcome": "maybe"}, agentdesk.CodeInvalid},
		{"ticket with a bad draft", agent, "ticket.create", map[string]any{"draft": map[string]string{"type": "gossip"}}, agentdesk.CodeInvalid},
		{"ticket not found", agent, "ticket.get", map[string]int{"id": 999999}, agentdesk.CodeNotFound},
		{"agent acting as supervisor", agent, "sup.force_state", map[string]string{"agent_id": s.Accounts["bob"].ID, "state": "ready"}, agentdesk.CodeForbidden},
		{"agent logging another out", agent, "sup.logout", map[string]string{"agent_id": s.Accounts["bob"].ID}, agentdesk.CodeForbidden},
		{"agent moving a contact", agent, "sup.move", map[string]string{"contact_id": contact, "queue": "billing"}, agentdesk.CodeForbidden},
		{"agent changing skills", agent, "sup.skills", map[string]any{"agent_id": s.Accounts["bob"].ID, "skills": map[string]int{"general": 9}}, agentdesk.CodeForbidden},
		{"another agent writing in the chat", bob, "chat.send", map[string]string{"contact_id": contact, "msg_id": "b1", "text": "hi"}, agentdesk.CodeForbidden},
		{"another agent reading the customer", bob, "customer.get", map[string]string{"contact_id": contact}, agentdesk.CodeForbidden},
		{"another agent ending the chat", bob, "chat.end", map[string]string{"contact_id": contact}, agentdesk.CodeForbidden},
		{"another agent transferring the chat", bob, "chat.transfer", map[string]string{"contact_id": contact, "queue": "billing"}, agentdesk.CodeForbidden},
		{"another agent linking a ticket to the chat", bob, "ticket.create", map[string]any{"draft": map[string]string{"type": "inquiry", "category": "x", "subject": "s", "contact": contact}}, agentdesk.CodeForbidden},
		{"customer unknown command", cust, "sup.logout", nil, agentdesk.CodeUnknownType},
		{"customer empty message", cust, "chat.send", map[string]string{"msg_id": "e", "text": ""}, agentdesk.CodeInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.Do(tc.typ, tc.data, wait)
			wantCode(t, err, tc.code)
		})
	}
	// Malformed frames get an error without a command id.
	for _, raw := range []string{`{`, `[]`, `{"type":""}`, `{"type":"ping","data":[1]}`, `{"type":"ping"} {"type":"ping"}`} {
		if err := agent.WS.WriteMessage(websocket.TextMessage, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		f, err := agent.Want("error", nil, wait)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		var e agentdesk.Error
		_ = json.Unmarshal(f.Data, &e)
		if e.Code != agentdesk.CodeBadFrame {
			t.Fatalf("%s: got %s, want bad_frame", raw, e.Code)
		}
	}
	// Everyone still works.
	do(t, agent, "chat.send", map[string]string{"contact_id": contact, "msg_id": "after", "text": "still here"})
	if m := wantMessage(t, cust, "agent"); m.Text != "still here" {
		t.Fatalf("customer got %q", m.Text)
	}
	do(t, bob, "ping", nil)
	// The customer panel and a linked ticket for the agent holding the chat.
	var panel struct {
		Customer struct {
			Phone string `json:"phone"`
		} `json:"customer"`
		Vars map[string]string `json:"vars"`
	}
	if err := json.Unmarshal(do(t, agent, "customer.get", map[string]string{"contact_id": contact}), &panel); err != nil {
		t.Fatal(err)
	}
	// The typed number is an unproved claim: masked for the agent.
	if panel.Customer.Phone != "139****0001" || panel.Vars["topic"] != "billing" {
		t.Fatalf("panel %+v, want the pre-chat form (number masked) and the flow's variables", panel)
	}
	draft := map[string]any{"type": "inquiry", "category": "billing", "subject": "话费", "contact": contact}
	var made struct {
		Ticket ticket.Ticket `json:"ticket"`
	}
	if err := json.Unmarshal(do(t, agent, "ticket.create", map[string]any{"draft": draft, "key": "k1"}), &made); err != nil {
		t.Fatal(err)
	}
	if made.Ticket.Customer.Phone != "13900000001" || made.Ticket.Contact != contact {
		t.Fatalf("ticket %+v, want the chat's customer and contact", made.Ticket)
	}
	var pool struct {
		Tickets []ticket.Ticket `json:"tickets"`
	}
	if err := json.Unmarshal(do(t, bob, "ticket.pool", map[string]string{"group": "general"}), &pool); err != nil {
		t.Fatal(err)
	}
	if len(pool.Tickets) != 1 {
		t.Fatalf("pool has %d tickets, want 1", len(pool.Tickets))
	}
	do(t, bob, "ticket.act", map[string]any{"id": pool.Tickets[0].ID, "command": map[string]any{"action": "claim", "version": pool.Tickets[0].Version}})
	_, err := agent.Do("ticket.act", map[string]any{"id": pool.Tickets[0].ID, "command": map[string]any{"action": "claim"}}, wait)
	wantCode(t, err, agentdesk.CodeConflict)
	do(t, agent, "marketing.log", map[string]string{"contact_id": contact, "offer": "5G 融合套餐", "outcome": "accepted"})
}

// TestRetryIsNotDuplicated sends a message, loses the socket before the
// ack, and sends the same command again on a new socket.
func TestRetryIsNotDuplicated(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	agent, cust, contact := readyAgentWithChat(t, s)
	data := map[string]string{"contact_id": contact, "msg_id": "once", "text": "只发一次"}
	if err := agent.Send("chat.send", "retry-1", data); err != nil {
		t.Fatal(err)
	}
	session, last := agent.Session, agent.LastSeq
	agent.Close()
	again := resume(t, s, "alice", session, last)
	if err := again.Send("chat.send", "retry-1", data); err != nil {
		t.Fatal(err)
	}
	if _, err := again.Reply("retry-1", wait); err != nil {
		t.Fatal(err)
	}
	// The same message id under a new command id is still one message.
	do(t, again, "chat.send", data)
	do(t, again, "chat.send", map[string]string{"contact_id": contact, "msg_id": "twice", "text": "第二条"})
	if m := wantMessage(t, cust, "agent"); m.Text != "只发一次" {
		t.Fatalf("got %q", m.Text)
	}
	if m := wantMessage(t, cust, "agent"); m.Text != "第二条" {
		t.Fatalf("got %q, want the second message (the first only once)", m.Text)
	}
}

func resume(t *testing.T, s *deskttest.Server, login, session string, last uint64) *deskttest.Client {
	t.Helper()
	tok, err := s.Login(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := deskttest.Dial(context.Background(), s.URL, "/ws/desk", agentdesk.DeskProtocol, tok)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w, err := c.Hello("", session, last)
	if err != nil {
		t.Fatal(err)
	}
	var wd struct {
		Resumed bool `json:"resumed"`
	}
	_ = json.Unmarshal(w, &wd)
	if !wd.Resumed {
		t.Fatalf("welcome %s, want resumed", w)
	}
	return c
}

// TestResumeAfterForcedDisconnect drops both sockets mid-conversation;
// each side resumes and gets exactly what it missed, in order.
func TestResumeAfterForcedDisconnect(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	agent, cust, contact := readyAgentWithChat(t, s)
	for _, c := range []*deskttest.Client{agent, cust} {
		c.Drain()
	}
	aSession, aLast := agent.Session, agent.LastSeq
	agent.Close()
	const n = 20
	for i := range n {
		do(t, cust, "chat.send", map[string]string{"msg_id": "c" + itoa(i), "text": "客户 " + itoa(i)})
	}
	cust.Drain()
	cSession, cLast := cust.Session, cust.LastSeq
	cust.Close()

	agent = resume(t, s, "alice", aSession, aLast)
	var got []string
	for len(got) < n {
		m := wantMessage(t, agent, "customer")
		got = append(got, m.Text)
	}
	for i, text := range got {
		if text != "客户 "+itoa(i) {
			t.Fatalf("message %d: got %q, want %q", i, text, "客户 "+itoa(i))
		}
	}
	for i := range n {
		do(t, agent, "chat.send", map[string]string{"contact_id": contact, "msg_id": "a" + itoa(i), "text": "坐席 " + itoa(i)})
	}
	cust2, _, err := deskttest.Dial(context.Background(), s.URL, "/ws/chat?token="+cust.Token, agentdesk.ChatProtocol, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cust2.Close)
	w, err := cust2.Hello("", cSession, cLast)
	if err != nil || !strings.Contains(string(w), `"resumed":true`) {
		t.Fatalf("customer resume: %s %v", w, err)
	}
	for i := range n {
		if m := wantMessage(t, cust2, "agent"); m.Text != "坐席 "+itoa(i) {
			t.Fatalf("customer got %q, want %q", m.Text, "坐席 "+itoa(i))
		}
	}
	// Nothing more: no duplicates after the replay.
	do(t, cust2, "ping", nil)
	for _, f := range cust2.Drain() {
		if f.Type == "chat.message" {
			t.Fatalf("unexpected frame after the replay: %s", f.Data)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestResumeGapTooOld: frames no longer held (or a forged future seq)
// give resume_expired and a snapshot instead.
func TestResumeGapTooOld(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{Replay: 4})
	agent, cust, contact := readyAgentWithChat(t, s)
	session, last := agent.Session, agent.LastSeq
	agent.Close()
	for i := range 6 {
		do(t, cust, "chat.send", map[string]string{"msg_id": "x" + itoa(i), "text": "m" + itoa(i)})
	}
	for _, tc := range []struct {
		name string
		seq  uint64
	}{{"gap too old", last}, {"forged future seq", last + 1000}} {
		t.Run(tc.name, func(t *testing.T) {
			tok, _ := s.Login(context.Background(), "alice")
			c, _, err := deskttest.Dial(context.Background(), s.URL, "/ws/desk", agentdesk.DeskProtocol, tok)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			w, err := c.Hello("", session, tc.seq)
			if err != nil || !strings.Contains(string(w), `"resumed":false`) {
				t.Fatalf("welcome %s %v, want not resumed", w, err)
			}
			f, err := c.Next(wait)
			if err != nil || f.Type != "error" || !strings.Contains(string(f.Data), agentdesk.CodeResumeFailed) {
				t.Fatalf("got %s %s %v, want resume_expired", f.Type, f.Data, err)
			}
			var snap struct {
				Chats []struct {
					Contact    string `json:"contact_id"`
					Transcript []msg  `json:"transcript"`
				} `json:"chats"`
			}
			if _, err := c.Want("snapshot", &snap, wait); err != nil {
				t.Fatal(err)
			}
			if len(snap.Chats) != 1 || snap.Chats[0].Contact != contact {
				t.Fatalf("snapshot chats %+v, want the open chat", snap.Chats)
			}
			tr := snap.Chats[0].Transcript
			if tr[len(tr)-1].Text != "m5" {
				t.Fatalf("snapshot ends with %q, want the last message", tr[len(tr)-1].Text)
			}
		})
	}
}

// TestLeaseExpiry runs on virtual time: an agent whose socket is gone past
// the lease has its offer withdrawn and re-routed, and is not ready with
// reason disconnected; a silent socket is closed.
func TestLeaseExpiry(t *testing.T) {
	clk := deskttest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	s := deskttest.New(t, deskttest.Options{Clock: clk, Lease: 5 * time.Second, OfferTimeout: time.Minute})
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
	bob := dialDesk(t, s, "bob", "")
	do(t, bob, "state.ready", nil)
	alice.Close()

	ctx := context.Background()
	aliceID := s.Accounts["alice"].ID
	// Past alice's lease (and well short of the offer timeout), in steps
	// the hub sweeps at: no sleeping, Sync waits for each sweep.
	for range 20 {
		step(t, s, clk, bob) // bob's heartbeat keeps his lease
	}
	if _, err := bob.Want("offer", nil, wait); err != nil {
		t.Fatalf("the contact was not re-routed to bob: %v", err)
	}
	a, err := s.ACD.Agent(ctx, aliceID)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != acd.NotReady || a.Reason != "disconnected" {
		t.Fatalf("alice is %s (%s), want not_ready (disconnected)", a.State, a.Reason)
	}
	// A socket that stops reading stops answering pings: once the lease
	// passes the server closes it.
	silent := rawDesk(t, s, "sam", 0)
	// The hello's reply: the server holds the socket (and its lease clock)
	// before time moves; then the socket stops reading.
	_ = silent.SetReadDeadline(time.Now().Add(wait))
	if _, _, err := silent.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		step(t, s, clk, bob)
	}
	var ce *websocket.CloseError
	if err := readUntilClosed(silent); !errors.As(err, &ce) || ce.Code != agentdesk.CloseLeaseExpired {
		t.Fatalf("silent socket: got %v, want close %d", err, agentdesk.CloseLeaseExpired)
	}
}

// rawDesk opens a desk socket that says hello and is then left alone
// (nothing reads it); rcvbuf > 0 shrinks its receive buffer.
func rawDesk(t *testing.T, s *deskttest.Server, login string, rcvbuf int) *websocket.Conn {
	t.Helper()
	tok, err := s.Login(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	nd := &net.Dialer{}
	if rcvbuf > 0 {
		nd.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) }); err != nil {
				return err
			}
			return serr
		}
	}
	d := websocket.Dialer{Subprotocols: []string{agentdesk.DeskProtocol}, NetDialContext: nd.DialContext}
	h := http.Header{"Cookie": {auth.CookieName + "=" + tok}, "Origin": {s.URL}}
	ws, _, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws/desk", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.WriteJSON(map[string]any{"type": "hello", "id": "h"}); err != nil {
		t.Fatal(err)
	}
	return ws
}

// readUntilClosed reads what the server sent until the socket ends.
func readUntilClosed(ws *websocket.Conn) error {
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			return err
		}
	}
}

// TestSlowConsumer: a desk whose client takes nothing more is cut once its
// send queue fills; the customer talking to it is not slowed, and the desk
// resumes with what it missed. The node's writes to the desk are stalled
// by the test (stallConns), not by a full kernel buffer, and the stalled
// write never times out (the clock the test models does not move): the cut
// must come from the full queue alone. Before, the node asked the writer
// for a close frame, and the writer, stuck in the stalled write, held the
// socket until its write deadline (5 s of wall clock).
func TestSlowConsumer(t *testing.T) {
	var stalls stallConns
	s := deskttest.New(t, deskttest.Options{SendQueue: 8, RatePerSec: 10000, RateBurst: 10000, WrapConn: stalls.wrap})
	t.Cleanup(stalls.release) // before the center stops: a stalled write must not hold it up
	agent, cust, _ := readyAgentWithChat(t, s)
	agent.Close()

	desk := dialDesk(t, s, "alice", "")
	sc := stalls.of(desk.WS.LocalAddr())
	if sc == nil {
		t.Fatal("the node's side of the desk socket is not known")
	}
	session, seq := desk.Session, desk.LastSeq
	sc.stall()
	const sent = 20 // a frame each: one in the stalled write, 8 queued, the next overflows
	big := strings.Repeat("慢", 3000)
	for i := range sent {
		if _, err := cust.Do("chat.send", map[string]string{"msg_id": "s" + itoa(i), "text": big}, wait); err != nil {
			t.Fatalf("customer slowed down by the stalled desk: message %d: %v", i, err)
		}
	}
	// The overflow happened while the hub handled a message acknowledged
	// above: the socket is cut by now.
	select {
	case <-sc.closed:
	default:
		t.Fatal("the stalled desk socket was not cut when its send queue filled")
	}
	if !sc.wasBlocked() {
		t.Fatal("no write of the node was stalled: the test did not test the slow consumer")
	}
	// The session survives: the desk resumes with every message it missed.
	back, _, err := deskttest.Dial(context.Background(), s.URL, "/ws/desk", agentdesk.DeskProtocol, mustLogin(t, s, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(back.Close)
	w, err := back.Hello("", session, seq)
	if err != nil {
		t.Fatal(err)
	}
	var wl struct {
		Resumed bool `json:"resumed"`
	}
	if json.Unmarshal(w, &wl); !wl.Resumed {
		t.Fatalf("resume after the cut: %s", w)
	}
	for i := range sent {
		m := wantMessage(t, back, "customer")
		if m.MsgID != "s"+itoa(i) {
			t.Fatalf("replayed message %d is %q, want s%d", i, m.MsgID, i)
		}
	}
	do(t, back, "ping", nil)
}

func mustLogin(t *testing.T, s *deskttest.Server, login string) string {
	t.Helper()
	tok, err := s.Login(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// stallConns wraps the node's side of every socket; a test looks one up by
// its client's address and stalls the node's writes to it.
type stallConns struct{ m sync.Map } // remote address → *stallConn

func (s *stallConns) wrap(c net.Conn) net.Conn {
	sc := &stallConn{Conn: c, closed: make(chan struct{}), blocked: make(chan struct{})}
	s.m.Store(c.RemoteAddr().String(), sc)
	return sc
}

// release lets every stalled write fail, as a closed connection's would.
func (s *stallConns) release() {
	s.m.Range(func(_, v any) bool {
		v.(*stallConn).Close()
		return true
	})
}

func (s *stallConns) of(client net.Addr) *stallConn {
	v, ok := s.m.Load(client.String())
	if !ok {
		return nil
	}
	return v.(*stallConn)
}

// stallConn is a connection whose writes, once stalled, block until it is
// closed, as if the peer took nothing more; its deadlines do not release
// them (they stand for time passing, which the test leaves out).
type stallConn struct {
	net.Conn
	stalled   atomic.Bool
	closed    chan struct{}
	closeOnce sync.Once
	blocked   chan struct{} // closed at the first stalled write
	blockOnce sync.Once
}

func (c *stallConn) stall() { c.stalled.Store(true) }

func (c *stallConn) wasBlocked() bool {
	select {
	case <-c.blocked:
		return true
	default:
		return false
	}
}

func (c *stallConn) Write(b []byte) (int, error) {
	if c.stalled.Load() {
		c.blockOnce.Do(func() { close(c.blocked) })
		<-c.closed
		return 0, net.ErrClosed
	}
	return c.Conn.Write(b)
}

func (c *stallConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// TestFloodAndOversize: a flood is refused then closed, an oversized frame
// closes the socket; the server and other sessions carry on.
func TestFloodAndOversize(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{RatePerSec: 5, RateBurst: 5})
	alice := dialDesk(t, s, "alice", "")
	bob := dialDesk(t, s, "bob", "")
	for range 80 {
		if err := alice.Send("ping", "", nil); err != nil {
			break
		}
	}
	sawLimited := false
	for {
		f, err := alice.Next(wait)
		if err != nil {
			break
		}
		sawLimited = sawLimited || (f.Type == "error" && strings.Contains(string(f.Data), agentdesk.CodeRateLimited))
	}
	var ce *websocket.CloseError
	if err := alice.Closed(wait); !errors.As(err, &ce) || ce.Code != agentdesk.CloseFlood || !sawLimited {
		t.Fatalf("flood: got %v (rate_limited seen: %v), want rate_limited then close %d", err, sawLimited, agentdesk.CloseFlood)
	}
	if err := bob.WS.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","data":{"pad":"`+strings.Repeat("x", agentdesk.MaxFrame)+`"}}`)); err != nil {
		t.Fatal(err)
	}
	if err := bob.Closed(wait); !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("oversize: got %v, want close %d", err, websocket.CloseMessageTooBig)
	}
	carol := dialDesk(t, s, "sam", "")
	do(t, carol, "ping", nil)
}

// TestSignInSessionEnds: once the agent's sign-in session is revoked, the
// next command after the re-check gets session_expired and the socket
// closes; a new upgrade with it is refused.
func TestSignInSessionEnds(t *testing.T) {
	clk := deskttest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	s := deskttest.New(t, deskttest.Options{Clock: clk, Lease: time.Hour})
	ctx := context.Background()
	tok, err := s.Login(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := deskttest.Dial(ctx, s.URL, "/ws/desk", agentdesk.DeskProtocol, tok)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	do(t, c, "ping", nil)
	p, err := s.Auth.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Auth.Logout(ctx, p); err != nil {
		t.Fatal(err)
	}
	do(t, c, "ping", nil) // within the re-check interval the socket carries on
	clk.Advance(2 * time.Minute)
	_, err = c.Do("ping", nil, wait)
	wantCode(t, err, agentdesk.CodeExpired)
	var ce *websocket.CloseError
	if err := c.Closed(wait); !errors.As(err, &ce) || ce.Code != agentdesk.CloseLoggedOut {
		t.Fatalf("got %v, want close %d", err, agentdesk.CloseLoggedOut)
	}
	if _, resp, err := deskttest.Dial(ctx, s.URL, "/ws/desk", agentdesk.DeskProtocol, tok); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("upgrade with the ended session: %v, want 401", err)
	}
}

// TestShutdownClosesSockets: stopping the gateway closes every socket with
// 1001 (going away), also one that has not said hello, and Run returns
// only when all of its goroutines stopped (TestMain checks for leaks).
func TestShutdownClosesSockets(t *testing.T) {
	s, err := deskttest.Start(context.Background(), t.TempDir(), deskttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	tok, _ := s.Login(context.Background(), "alice")
	desk, _, err := deskttest.Dial(context.Background(), s.URL, "/ws/desk", agentdesk.DeskProtocol, tok)
	if err != nil {
		t.Fatal(err)
	}
	defer desk.Close()
	if _, err := desk.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	mute, _, err := deskttest.Dial(context.Background(), s.URL, "/ws/desk", agentdesk.DeskProtocol, tok)
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	st := startChat(t, s, map[string]string{})
	cust := dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s.Stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stop took %v", d)
	}
	for name, c := range map[string]*deskttest.Client{"desk": desk, "silent": mute, "chat": cust} {
		var ce *websocket.CloseError
		if err := c.Closed(wait); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("%s: got %v, want close 1001", name, err)
		}
	}
}

// TestChatRescue: an agent gone for ChatRescue (3 × lease) loses its chats
// to their queue; the customer is told, and the next agent gets the chat
// with a note.
func TestChatRescue(t *testing.T) {
	clk := deskttest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	s := deskttest.New(t, deskttest.Options{Clock: clk, Lease: 5 * time.Second, OfferTimeout: time.Minute, WrapUp: time.Hour})
	alice, cust, contact := readyAgentWithChat(t, s)
	bob := dialDesk(t, s, "bob", "")
	do(t, bob, "state.ready", nil)
	alice.Close()
	var offer struct {
		Contact string `json:"contact_id"`
		Note    string `json:"note"`
	}
	// Past 3 × lease (and short of the offer timeout) in sweep steps.
	for range 25 {
		step(t, s, clk, bob, cust)
	}
	if _, err := bob.Want("offer", &offer, wait); err != nil {
		t.Fatal(err)
	}
	if offer.Contact != contact || offer.Note != "agent_disconnected" {
		t.Fatalf("bob's offer %+v, want the rescued chat with a note", offer)
	}
	if _, err := cust.Want("chat.agent_left", nil, wait); err != nil {
		t.Fatal(err)
	}
	do(t, bob, "offer.accept", map[string]string{"contact_id": contact})
	if _, err := cust.Want("chat.agent_joined", nil, wait); err != nil {
		t.Fatal(err)
	}
}

// step moves virtual time one sweep on: the clients' heartbeats keep their
// leases, then Sync returns once the hub has swept at the new time.
func step(t *testing.T, s *deskttest.Server, clk *deskttest.Clock, alive ...*deskttest.Client) {
	t.Helper()
	clk.Advance(time.Second)
	for _, c := range alive {
		do(t, c, "ping", nil)
	}
	if err := s.Gateway.Sync(); err != nil {
		t.Fatal(err)
	}
}
