package agentdesk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/store"
)

// TestMarketingLogOwnContactOnly: an offer is recorded on the agent's own
// contact; another agent's contact (or one that does not exist) is refused
// with forbidden.
func TestMarketingLogOwnContactOnly(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	alice, _, contact := readyAgentWithChat(t, s)
	bob := dialDesk(t, s, "bob", "")
	log := map[string]string{"contact_id": contact, "offer": "5G 融合套餐", "outcome": "accepted"}
	_, err := bob.Do("marketing.log", log, wait)
	wantCode(t, err, agentdesk.CodeForbidden)
	_, err = bob.Do("marketing.log", map[string]string{"contact_id": "chat-nosuch", "offer": "5G", "outcome": "presented"}, wait)
	wantCode(t, err, agentdesk.CodeForbidden)
	do(t, alice, "marketing.log", log)
}

// startFrom posts /chat/api/start as a client behind the trusted proxy
// (the test server's loopback peer) with X-Forwarded-For addr.
func startFrom(t *testing.T, s *deskttest.Server, addr string) (*http.Response, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/chat/api/start", bytes.NewReader([]byte(`{"name":"x"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

// TestChatStartsPerAddress: one address flooding /chat/api/start is
// refused with 429 and a JSON error once its bucket is empty, while
// another address still starts a chat; an untrusted X-Forwarded-For is
// not believed.
func TestChatStartsPerAddress(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{ChatStartsPerAddress: 1, ChatStartBurst: 3, TrustedProxies: []string{"127.0.0.1"}})
	refused := 0
	for range 20 {
		resp, body := startFrom(t, s, "198.51.100.7")
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			refused++
			if body["code"] != agentdesk.CodeRateLimited || body["limit"] != agentdesk.LimitPerAddress || resp.Header.Get("Retry-After") == "" ||
				resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Fatalf("429 body %v headers %v, want a rate_limited JSON error with Retry-After", body, resp.Header)
			}
		default:
			t.Fatalf("flood: got status %d", resp.StatusCode)
		}
	}
	if refused != 17 {
		t.Fatalf("flooding address: %d of 20 refused, want 17 (burst 3)", refused)
	}
	resp, body := startFrom(t, s, "203.0.113.50")
	if resp.StatusCode != http.StatusOK || body["token"] == "" {
		t.Fatalf("another address: status %d %v, want a chat started", resp.StatusCode, body)
	}
}

// TestChatStartsPerNode: past the node's own limit (desk.chat_starts_per_second,
// a burst of twice it) a start from any address is refused, and the 429
// names that limit, not the per-address one: in the load runs of session 6
// 4 809 starts were refused although the per-address limit had been
// lifted, and nothing said that the node-wide limit, which could not be
// set, was the one.
func TestChatStartsPerNode(t *testing.T) {
	clk := deskttest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)) // no refill between the starts
	s := deskttest.New(t, deskttest.Options{Clock: clk, ChatStarts: 2, TrustedProxies: []string{"127.0.0.1"}})
	for i := range 4 {
		if resp, body := startFrom(t, s, "198.51.100."+strconv.Itoa(10+i)); resp.StatusCode != http.StatusOK {
			t.Fatalf("start %d within the burst of 4: status %d %v", i, resp.StatusCode, body)
		}
	}
	resp, body := startFrom(t, s, "198.51.100.99")
	if resp.StatusCode != http.StatusTooManyRequests || body["code"] != agentdesk.CodeRateLimited ||
		body["limit"] != agentdesk.LimitPerNode || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("fifth start from a new address: status %d %v (Retry-After %q), want 429 naming %s",
			resp.StatusCode, body, resp.Header.Get("Retry-After"), agentdesk.LimitPerNode)
	}
	clk.Advance(time.Second) // two more tokens
	if resp, body := startFrom(t, s, "198.51.100.98"); resp.StatusCode != http.StatusOK {
		t.Fatalf("a second later: status %d %v", resp.StatusCode, body)
	}
}

// TestChatStartsSpoofedForwardedFor: without trusted proxies the header is
// not believed, so a flood cannot dodge its limit by inventing addresses.
func TestChatStartsSpoofedForwardedFor(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{ChatStartsPerAddress: 1, ChatStartBurst: 2})
	ok := 0
	for i := range 5 {
		resp, _ := startFrom(t, s, "198.51.100."+string(rune('1'+i)))
		if resp.StatusCode == http.StatusOK {
			ok++
		}
	}
	if ok != 2 {
		t.Fatalf("%d chats started with invented X-Forwarded-For, want 2 (the peer's burst)", ok)
	}
}

type boardQueueView struct {
	Queue          string    `json:"queue"`
	Waiting        int       `json:"waiting"`
	LongestWaitNS  int64     `json:"longest_wait_ns"`
	OldestAt       time.Time `json:"oldest_at"`
	Staffed        int       `json:"staffed"`
	StaffedOffline int       `json:"staffed_offline"`
	Answered       int       `json:"answered"`
	Contacts       []struct {
		Contact   string    `json:"contact_id"`
		Position  int       `json:"position"`
		EnteredAt time.Time `json:"entered_at"`
		Name      string    `json:"name"`
	} `json:"contacts"`
}

type boardView struct {
	At     time.Time        `json:"at"`
	Queues []boardQueueView `json:"queues"`
}

func (b boardView) queue(t *testing.T, id string) boardQueueView {
	t.Helper()
	for _, q := range b.Queues {
		if q.Queue == id {
			return q
		}
	}
	t.Fatalf("queue %s not on the board: %+v", id, b)
	return boardQueueView{}
}

func boardGet(t *testing.T, c *deskttest.Client) boardView {
	t.Helper()
	var b boardView
	if err := json.Unmarshal(do(t, c, "board.get", nil), &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// waitingChat starts a chat that asks for an agent and waits in general.
func waitingChat(t *testing.T, s *deskttest.Server, name string) string {
	t.Helper()
	st := startChat(t, s, map[string]string{"name": name})
	cust := dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "q", "text": "0"})
	s.Await(t, wait, func() bool {
		c, err := s.ACD.Contact(context.Background(), st.Contact)
		return err == nil && c.State == "queued"
	})
	return st.Contact
}

// TestBoardLongestWaitGrows: while a customer waits and nothing else
// happens, the board's longest wait grows (read exactly when asked, and
// pushed every second), instead of staying at what it was at the last
// event.
func TestBoardLongestWaitGrows(t *testing.T) {
	clk := deskttest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	s := deskttest.New(t, deskttest.Options{Clock: clk, Lease: time.Hour, ChatLease: time.Hour})
	board := dialDesk(t, s, "sam", "board")
	contact := waitingChat(t, s, "王五")
	entered := clk.Now()
	clk.Advance(30 * time.Second)

	q := boardGet(t, board).queue(t, "general")
	if q.Waiting != 1 || q.LongestWaitNS != int64(30*time.Second) || !q.OldestAt.Equal(entered) {
		t.Fatalf("board.get: waiting %d longest %v oldest %v, want 1, 30s, %v", q.Waiting, time.Duration(q.LongestWaitNS), q.OldestAt, entered)
	}
	if len(q.Contacts) != 1 || q.Contacts[0].Contact != contact || q.Contacts[0].Position != 1 ||
		!q.Contacts[0].EnteredAt.Equal(entered) || q.Contacts[0].Name != "王五" {
		t.Fatalf("waiting contacts %+v, want %s entered at %v", q.Contacts, contact, entered)
	}
	// No event since: the pushed board still follows the wait. The push
	// of the first advance comes first: its refresher waits for the clock
	// again by then (refreshBoards asks for its timer before it pushes).
	for {
		var b boardView
		if _, err := board.Want("board", &b, wait); err != nil {
			t.Fatalf("no board pushed after the first advance: %v", err)
		}
		if g := b.queue(t, "general"); g.LongestWaitNS >= int64(30*time.Second) {
			break
		}
	}
	clk.Advance(30 * time.Second)
	for {
		var b boardView
		if _, err := board.Want("board", &b, wait); err != nil {
			t.Fatalf("no board pushed while a customer waits: %v", err)
		}
		if g := b.queue(t, "general"); g.LongestWaitNS >= int64(60*time.Second) {
			break
		}
	}
}

// TestBoardStaffedAndMove: staffed counts agents whose desk is connected
// (an agent whose desk is gone is counted apart), and the supervisor moves
// a waiting contact picked from the queue's list.
func TestBoardStaffedAndMove(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	board := dialDesk(t, s, "sam", "board")
	dialDesk(t, s, "alice", "")
	bob := dialDesk(t, s, "bob", "")
	bob.Close()
	// No ACD event says a socket dropped: the board pushed after the
	// hub noticed does.
	for q := boardGet(t, board).queue(t, "general"); q.Staffed != 1 || q.StaffedOffline != 1; {
		var b boardView
		if _, err := board.Want("board", &b, wait); err != nil {
			t.Fatalf("staffed %d offline %d, want 1 and 1: %v", q.Staffed, q.StaffedOffline, err)
		}
		q = b.queue(t, "general")
	}

	contact := waitingChat(t, s, "赵六")
	q := boardGet(t, board).queue(t, "general")
	if len(q.Contacts) != 1 || q.Contacts[0].Contact != contact {
		t.Fatalf("general lists %+v, want the waiting %s", q.Contacts, contact)
	}
	do(t, board, "sup.move", map[string]string{"contact_id": q.Contacts[0].Contact, "queue": "billing"})
	b := boardGet(t, board)
	if g, bl := b.queue(t, "general"), b.queue(t, "billing"); len(g.Contacts) != 0 || len(bl.Contacts) != 1 || bl.Contacts[0].Contact != contact {
		t.Fatalf("after the move: general %+v billing %+v", g.Contacts, bl.Contacts)
	}
}

// TestBoardDayInCenterZone: the board's "today" starts at midnight in the
// center's time zone, not UTC: 15:59 UTC and 16:01 UTC are two days in
// Shanghai, 23:59 and 00:01 UTC are one.
func TestBoardDayInCenterZone(t *testing.T) {
	clk := deskttest.NewClock(time.Date(2026, 11, 23, 15, 58, 0, 0, time.UTC)) // 23:58 in Shanghai
	s := deskttest.New(t, deskttest.Options{Clock: clk, Lease: time.Hour, ChatLease: time.Hour, OfferTimeout: time.Hour})
	board := dialDesk(t, s, "sam", "board")
	alice := dialDesk(t, s, "alice", "")
	do(t, alice, "state.ready", nil)
	answer := func() {
		t.Helper()
		st := startChat(t, s, map[string]string{"name": "客户"})
		cust := dialChat(t, s, st.Token)
		if _, err := cust.Hello("", "", 0); err != nil {
			t.Fatal(err)
		}
		do(t, cust, "chat.send", map[string]string{"msg_id": "q", "text": "0"})
		for {
			var o struct {
				Contact string `json:"contact_id"`
			}
			if _, err := alice.Want("offer", &o, wait); err != nil {
				t.Fatal(err)
			}
			if o.Contact == st.Contact {
				break
			}
		}
		do(t, alice, "offer.accept", map[string]string{"contact_id": st.Contact})
		for {
			var c struct {
				Contact string `json:"contact_id"`
			}
			if _, err := alice.Want("chat.started", &c, wait); err != nil {
				t.Fatal(err)
			}
			if c.Contact == st.Contact {
				break
			}
		}
		do(t, alice, "chat.end", map[string]string{"contact_id": st.Contact})
		s.Await(t, wait, func() bool { _, err := s.ACD.Contact(context.Background(), st.Contact); return err != nil })
	}
	answered := func() int { return boardGet(t, board).queue(t, "general").Answered }
	answer()
	if n := answered(); n != 1 {
		t.Fatalf("answered %d, want 1", n)
	}
	clk.Advance(3 * time.Minute) // 00:01 in Shanghai, still the 23rd in UTC
	answer()
	if n := answered(); n != 1 {
		t.Fatalf("answered %d after Shanghai midnight, want 1 (a new day)", n)
	}
}

// TestActiveAgentNotIdledOut: with the one-minute idle rule, an agent who
// works (any desk command, or the page's activity report every 20 s) stays
// signed in for ten minutes; one minute without any ends the session.
func TestActiveAgentNotIdledOut(t *testing.T) {
	clk := deskttest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	s := deskttest.New(t, deskttest.Options{Clock: clk, IdleLogout: time.Minute, Lease: time.Hour, ChatLease: time.Hour})
	alice := dialDesk(t, s, "alice", "")
	for i := range 30 {
		clk.Advance(20 * time.Second)
		cmd, data := "activity", any(nil)
		if i%2 == 1 {
			cmd, data = "state.not_ready", map[string]string{"reason": "break"}
		}
		if _, err := alice.Do(cmd, data, wait); err != nil {
			t.Fatalf("%s after %v of work: %v", cmd, time.Duration(i+1)*20*time.Second, err)
		}
	}
	clk.Advance(61 * time.Second)
	_, err := alice.Do("ping", nil, wait)
	wantCode(t, err, agentdesk.CodeExpired)
}

type chatLeft struct {
	Reason string `json:"reason"`
}

// TestLogoutMidChatHandsOver: an agent logging out with a chat open hands
// it to a ready colleague of its queue; the customer is told why.
func TestLogoutMidChatHandsOver(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	alice, cust, contact := readyAgentWithChat(t, s)
	bob := dialDesk(t, s, "bob", "")
	do(t, bob, "state.ready", nil)
	do(t, alice, "logout", map[string]string{"reason": "idle"})
	var left chatLeft
	if _, err := cust.Want("chat.agent_left", &left, wait); err != nil || left.Reason != "agent_idle" {
		t.Fatalf("customer: %v %+v, want told the agent left (agent_idle)", err, left)
	}
	var offer struct {
		Contact string `json:"contact_id"`
		Note    string `json:"note"`
	}
	if _, err := bob.Want("offer", &offer, wait); err != nil || offer.Contact != contact || offer.Note != "agent_idle" {
		t.Fatalf("bob: %v %+v, want the chat offered with the reason", err, offer)
	}
	do(t, bob, "offer.accept", map[string]string{"contact_id": contact})
	if _, err := cust.Want("chat.agent_joined", nil, wait); err != nil {
		t.Fatal(err)
	}
}

// TestLogoutMidChatRequeues: with nobody ready, the chat goes back to its
// queue (not left with a desk that is gone), and the customer is told.
func TestLogoutMidChatRequeues(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	alice, cust, contact := readyAgentWithChat(t, s)
	do(t, alice, "state.not_ready", map[string]string{"reason": "break"})
	earlier := waitingChat(t, s, "先来的客户")
	do(t, alice, "logout", nil)
	var left chatLeft
	if _, err := cust.Want("chat.agent_left", &left, wait); err != nil || left.Reason != "agent_logged_out" {
		t.Fatalf("customer: %v %+v, want told the agent logged out", err, left)
	}
	if c, err := s.ACD.Contact(context.Background(), contact); err != nil || c.State != "queued" || c.Queue != "general" {
		t.Fatalf("contact %+v %v, want queued in general again", c, err)
	}
	// At the front: before the customer who was already waiting.
	board := dialDesk(t, s, "sam", "board")
	q := boardGet(t, board).queue(t, "general")
	if len(q.Contacts) != 2 || q.Contacts[0].Contact != contact || q.Contacts[1].Contact != earlier {
		t.Fatalf("general waiting %+v, want %s then %s", q.Contacts, contact, earlier)
	}
}

// TestSupervisorLogoutHandsOverChats: a supervisor logging out an agent
// with a chat puts the chat back in its queue at once.
func TestSupervisorLogoutHandsOverChats(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	_, cust, contact := readyAgentWithChat(t, s)
	board := dialDesk(t, s, "sam", "board")
	do(t, board, "sup.logout", map[string]string{"agent_id": s.Accounts["alice"].ID})
	var left chatLeft
	if _, err := cust.Want("chat.agent_left", &left, wait); err != nil || left.Reason != "agent_logged_out" {
		t.Fatalf("customer: %v %+v, want told the agent logged out", err, left)
	}
	if c, err := s.ACD.Contact(context.Background(), contact); err != nil || c.State != "queued" {
		t.Fatalf("contact %+v %v, want queued again", c, err)
	}
}

// TestTransferTargetsAndTicketChoices: the desk offers the real queues and
// the agents ready now for a transfer, and the ticket form's groups and
// categories, the agent's own pools and whether it may dispatch.
func TestTransferTargetsAndTicketChoices(t *testing.T) {
	form := &agentdesk.TicketForm{Groups: []string{"fault-desk", "service-desk"}, Categories: []string{"billing", "broadband"}}
	s := deskttest.New(t, deskttest.Options{TicketForm: form,
		TicketGroups: map[string][]string{"alice": {"fault-desk", "service-desk"}}})
	tok, err := s.Login(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	alice, _, err := deskttest.Dial(context.Background(), s.URL, "/ws/desk", agentdesk.DeskProtocol, tok)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(alice.Close)
	if _, err := alice.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	var snap struct {
		MyGroups   []string             `json:"my_groups"`
		TicketForm agentdesk.TicketForm `json:"ticket_form"`
		Dispatch   bool                 `json:"dispatch"`
	}
	if _, err := alice.Want("snapshot", &snap, wait); err != nil {
		t.Fatal(err)
	}
	if len(snap.MyGroups) != 2 || snap.MyGroups[0] != "fault-desk" || len(snap.TicketForm.Categories) != 2 ||
		len(snap.TicketForm.Groups) != 2 || snap.Dispatch {
		t.Fatalf("snapshot %+v, want alice's two groups, the form's choices, no dispatch", snap)
	}

	do(t, alice, "state.ready", nil)
	st := startChat(t, s, map[string]string{"name": "张三"})
	cust := dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "m0", "text": "0"})
	if _, err := alice.Want("offer", nil, wait); err != nil {
		t.Fatal(err)
	}
	do(t, alice, "offer.accept", map[string]string{"contact_id": st.Contact})
	if _, err := alice.Want("chat.started", nil, wait); err != nil {
		t.Fatal(err)
	}
	bob := dialDesk(t, s, "bob", "")
	dialDesk(t, s, "sam", "") // connected, not ready: not a target
	targets := func() (qs []string, agents []string) {
		var out struct {
			Queues []struct {
				Queue string `json:"queue"`
			} `json:"queues"`
			Agents []struct {
				ID string `json:"agent_id"`
			} `json:"agents"`
		}
		if err := json.Unmarshal(do(t, alice, "transfer.targets", map[string]string{"contact_id": st.Contact}), &out); err != nil {
			t.Fatal(err)
		}
		for _, q := range out.Queues {
			qs = append(qs, q.Queue)
		}
		for _, a := range out.Agents {
			agents = append(agents, a.ID)
		}
		return qs, agents
	}
	if qs, as := targets(); len(qs) != 3 || qs[0] != "general" || qs[1] != "billing" || len(as) != 0 {
		t.Fatalf("targets: queues %v agents %v, want the three chat queues and nobody ready", qs, as)
	}
	do(t, bob, "state.ready", nil)
	if _, as := targets(); len(as) != 1 || as[0] != s.Accounts["bob"].ID {
		t.Fatalf("targets: agents %v, want bob (ready)", as)
	}
	_, err = bob.Do("transfer.targets", map[string]string{"contact_id": st.Contact}, wait)
	wantCode(t, err, agentdesk.CodeForbidden)
}

// TestDeskTicketGetsTierAndRules: a ticket the desk files for a chat gets
// the customer's tier from the center's records and goes through the
// dispatch rules like any other.
func TestDeskTicketGetsTierAndRules(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{TicketRules: []ticket.Rule{
		{Name: "gold faults", Type: ticket.Fault, Tier: ticket.Gold, Group: "vip-desk"},
		{Name: "faults", Type: ticket.Fault, Group: "fault-desk"},
	}})
	if _, err := s.Store.CreateCustomer(context.Background(), store.Customer{ANI: "13900000001", Name: "张三", Tier: store.TierGold}); err != nil {
		t.Fatal(err)
	}
	alice, _, contact := readyAgentWithChat(t, s)
	draft := map[string]any{"type": "fault", "category": "broadband", "subject": "宽带断线", "contact": contact, "channel": "chat"}
	var made struct {
		Ticket struct {
			Group    string `json:"group"`
			Customer struct {
				Tier string `json:"tier"`
			} `json:"customer"`
		} `json:"ticket"`
	}
	if err := json.Unmarshal(do(t, alice, "ticket.create", map[string]any{"draft": draft, "key": "t1"}), &made); err != nil {
		t.Fatal(err)
	}
	if made.Ticket.Customer.Tier != "gold" || made.Ticket.Group != "vip-desk" {
		t.Fatalf("ticket tier %q group %q, want gold and vip-desk", made.Ticket.Customer.Tier, made.Ticket.Group)
	}
}
