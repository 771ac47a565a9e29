package agentdesk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/phone/webphone"
)

// connectedCall queues a voice call whose ring step answers at once and
// waits until the ready agent's desk has it; rang gets each agent rung.
func connectedCall(t *testing.T, s *deskttest.Server, desk *deskttest.Client, contact string) (*bridge.Handle, <-chan string) {
	t.Helper()
	rang := make(chan string, 4)
	h, err := s.Bridge.Enqueue(context.Background(), bridge.Holder{Channel: acd.Voice,
		Ring: func(_ context.Context, _, agentID string) error {
			rang <- agentID
			return nil
		}}, ivr.QueueRequest{ContactID: contact, Queue: "voice", ANI: "13900001234"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Cancel(context.Background(), acd.LeaveHangup) })
	var started struct {
		Contact string `json:"contact_id"`
		Channel string `json:"channel"`
	}
	if _, err := desk.Want("contact.started", &started, wait); err != nil {
		t.Fatal(err)
	}
	if started.Contact != contact || started.Channel != "voice" {
		t.Fatalf("started %+v, want voice %s", started, contact)
	}
	<-rang
	return h, rang
}

// call.transfer: the agent's voice contact goes to another agent (who must
// be ready) or to a queue; the first desk is told the call left it; the
// queue handle tells the voice channel to drop the leg and connect the
// next agent. Other agents' calls, chats and bad targets are refused with
// the field named.
func TestCallBlindTransfer(t *testing.T) {
	s := phoneCenter(t)
	alice := dialDesk(t, s, "alice", "")
	bob := dialDesk(t, s, "bob", "")
	do(t, alice, "state.ready", nil)
	h, rang := connectedCall(t, s, alice, "call-1")
	if ev := <-h.Events(); ev.Kind != ivr.QueueConnected {
		t.Fatalf("got %+v, want connected", ev)
	}

	_, err := alice.Do("call.transfer", map[string]string{"contact_id": "call-1"}, wait)
	wantCode(t, err, "invalid")
	_, err = alice.Do("call.transfer", map[string]string{"contact_id": "call-1", "agent_id": s.Accounts["bob"].ID}, wait)
	wantCode(t, err, "conflict") // bob is not ready
	_, err = bob.Do("call.transfer", map[string]string{"contact_id": "call-1", "queue": "voice"}, wait)
	wantCode(t, err, "forbidden")
	_, err = alice.Do("call.transfer", map[string]string{"contact_id": "call-1", "queue": "general"}, wait)
	wantCode(t, err, "conflict") // a chat queue

	var targets struct {
		Queues []struct {
			Queue string `json:"queue"`
		} `json:"queues"`
	}
	do(t, bob, "state.ready", nil)
	if err := json.Unmarshal(do(t, alice, "transfer.targets", map[string]string{"contact_id": "call-1"}), &targets); err != nil {
		t.Fatal(err)
	}
	if len(targets.Queues) != 1 || targets.Queues[0].Queue != "voice" {
		t.Fatalf("targets %+v, want the voice queue", targets)
	}
	do(t, alice, "call.transfer", map[string]string{"contact_id": "call-1", "agent_id": s.Accounts["bob"].ID, "note": "bill question"})
	var ended struct {
		Contact string `json:"contact_id"`
		Reason  string `json:"reason"`
	}
	if _, err := alice.Want("contact.ended", &ended, wait); err != nil {
		t.Fatal(err)
	}
	if ended.Contact != "call-1" || ended.Reason != "transferred" {
		t.Fatalf("alice got %+v, want call-1 transferred", ended)
	}
	if ev := <-h.Events(); ev.Kind != ivr.QueueTransferred || ev.Agent != s.Accounts["bob"].ID {
		t.Fatalf("got %+v, want transferred to bob", ev)
	}
	// Bob's offer says the call comes by transfer, with alice's note.
	var offer struct {
		Contact  string `json:"contact_id"`
		Note     string `json:"note"`
		Transfer bool   `json:"transfer"`
	}
	if _, err := bob.Want("offer", &offer, wait); err != nil {
		t.Fatal(err)
	}
	if offer.Contact != "call-1" || offer.Note != "bill question" || !offer.Transfer {
		t.Fatalf("bob's offer %+v, want call-1 transferred with alice's note", offer)
	}
	if a := <-rang; a != s.Accounts["bob"].ID {
		t.Fatalf("rang %s, want bob", a)
	}
	if _, err := bob.Want("contact.started", nil, wait); err != nil {
		t.Fatal(err)
	}
	if ev := <-h.Events(); ev.Kind != ivr.QueueConnected || ev.Agent != s.Accounts["bob"].ID {
		t.Fatalf("got %+v, want connected to bob", ev)
	}
	// Alice no longer holds it.
	_, err = alice.Do("call.transfer", map[string]string{"contact_id": "call-1", "queue": "voice"}, wait)
	wantCode(t, err, "forbidden")
	// Bob sends it back to the queue.
	do(t, bob, "call.transfer", map[string]string{"contact_id": "call-1", "queue": "voice"})
	if ev := <-h.Events(); ev.Kind != ivr.QueueTransferred {
		t.Fatalf("got %+v, want transferred", ev)
	}
}

// fakeCalls records the desk's call controls; calls in gone are over.
type fakeCalls struct {
	did  chan string
	mu   sync.Mutex
	gone map[string]bool
}

func (f *fakeCalls) act(contact, what string) error {
	f.mu.Lock()
	gone := f.gone[contact]
	f.mu.Unlock()
	if gone {
		return errors.New("sip: no such call")
	}
	f.did <- contact + " " + what
	return nil
}
func (f *fakeCalls) Hold(c string, on bool) error { return f.act(c, fmt.Sprint("hold ", on)) }
func (f *fakeCalls) Mute(c string, on bool) error { return f.act(c, fmt.Sprint("mute ", on)) }
func (f *fakeCalls) SendDTMF(c, d string) error   { return f.act(c, "dtmf "+d) }
func (f *fakeCalls) HangupAgent(c string) error   { return f.act(c, "hangup") }
func (f *fakeCalls) Conference(c string) error    { return f.act(c, "conference") }
func (f *fakeCalls) Bridged(c string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone[c] {
		return errors.New("sip: no such call")
	}
	return nil
}
func (f *fakeCalls) Monitor(_ context.Context, c, sup, mode string) error {
	return f.act(c, "monitor "+sup+" "+mode)
}
func (f *fakeCalls) SetMonitorMode(c, sup, mode string) error {
	return f.act(c, "mode "+sup+" "+mode)
}

// call.hold, call.mute, call.dtmf and call.hangup reach the voice channel
// for the agent's own call only; a call that has just ended is a conflict
// naming the contact.
func TestCallControls(t *testing.T) {
	ep, err := webphone.New(webphone.Config{IPs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	calls := &fakeCalls{did: make(chan string, 8), gone: map[string]bool{}}
	s := deskttest.New(t, deskttest.Options{Softphone: ep, OfferTimeout: time.Minute, Calls: calls})
	alice := dialDesk(t, s, "alice", "")
	bob := dialDesk(t, s, "bob", "")
	do(t, alice, "state.ready", nil)
	connectedCall(t, s, alice, "call-1")
	for _, tc := range []struct {
		typ  string
		data map[string]any
		want string
	}{
		{"call.hold", map[string]any{"on": true}, "call-1 hold true"},
		{"call.hold", map[string]any{"on": false}, "call-1 hold false"},
		{"call.mute", map[string]any{"on": true}, "call-1 mute true"},
		{"call.dtmf", map[string]any{"digits": "12#"}, "call-1 dtmf 12#"},
		{"call.hangup", map[string]any{}, "call-1 hangup"},
	} {
		tc.data["contact_id"] = "call-1"
		do(t, alice, tc.typ, tc.data)
		if got := <-calls.did; got != tc.want {
			t.Fatalf("%s: got %q, want %q", tc.typ, got, tc.want)
		}
	}
	_, err = alice.Do("call.dtmf", map[string]any{"contact_id": "call-1", "digits": "5x"}, wait)
	wantCode(t, err, "invalid")
	_, err = alice.Do("call.mute", map[string]any{"on": true}, wait)
	wantCode(t, err, "invalid")
	_, err = bob.Do("call.hold", map[string]any{"contact_id": "call-1", "on": true}, wait)
	wantCode(t, err, "forbidden")
	calls.mu.Lock()
	calls.gone["call-1"] = true
	calls.mu.Unlock()
	_, err = alice.Do("call.hold", map[string]any{"contact_id": "call-1", "on": true}, wait)
	wantCode(t, err, "conflict")
}

// Consultation from the desk: call.consult offers the call to a ready
// agent as a consultation (their phone rings through the channel's
// Consulter); both desks follow it (call.consult talking/ended); the
// conference goes to the voice channel; completion makes the call the
// consulted agent's.
func TestCallConsultation(t *testing.T) {
	ep, err := webphone.New(webphone.Config{IPs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	calls := &fakeCalls{did: make(chan string, 8), gone: map[string]bool{}}
	s := deskttest.New(t, deskttest.Options{Softphone: ep, OfferTimeout: time.Minute, Calls: calls})
	alice := dialDesk(t, s, "alice", "")
	bob := dialDesk(t, s, "bob", "")
	do(t, alice, "state.ready", nil)
	cs := &deskConsulter{rang: make(chan string, 4), ended: make(chan string, 4)}
	h, err := s.Bridge.Enqueue(context.Background(), bridge.Holder{Channel: acd.Voice,
		Ring: func(context.Context, string, string) error { return nil }, Consulter: cs},
		ivr.QueueRequest{ContactID: "call-1", Queue: "voice", ANI: "13900001234"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Cancel(context.Background(), acd.LeaveHangup) })
	if _, err := alice.Want("contact.started", nil, wait); err != nil {
		t.Fatal(err)
	}
	bobID := s.Accounts["bob"].ID

	_, err = alice.Do("call.consult", map[string]string{"contact_id": "call-1"}, wait)
	wantCode(t, err, "invalid")
	_, err = alice.Do("call.consult", map[string]string{"contact_id": "call-1", "agent_id": bobID}, wait)
	wantCode(t, err, "conflict") // bob is not ready
	_, err = alice.Do("call.consult_complete", map[string]string{"contact_id": "call-1"}, wait)
	wantCode(t, err, "conflict") // no consultation
	do(t, bob, "state.ready", nil)
	_, err = bob.Do("call.consult", map[string]string{"contact_id": "call-1", "agent_id": bobID}, wait)
	wantCode(t, err, "forbidden")
	do(t, alice, "call.consult", map[string]string{"contact_id": "call-1", "agent_id": bobID})
	if a := <-cs.rang; a != bobID {
		t.Fatalf("consult rang %s, want bob", a)
	}
	var consult struct {
		Contact string `json:"contact_id"`
		Consult string `json:"consult_agent_id"`
		State   string `json:"state"`
	}
	for _, desk := range []*deskttest.Client{alice, bob} {
		if _, err := desk.Want("call.consult", &consult, wait); err != nil {
			t.Fatal(err)
		}
		if consult.Contact != "call-1" || consult.Consult != bobID || consult.State != "talking" {
			t.Fatalf("consult %+v, want call-1 talking with bob", consult)
		}
	}
	do(t, alice, "call.conference", map[string]string{"contact_id": "call-1"})
	if got := <-calls.did; got != "call-1 conference" {
		t.Fatalf("got %q, want the conference", got)
	}
	do(t, alice, "call.consult_complete", map[string]string{"contact_id": "call-1"})
	if got := <-cs.ended; got != "call-1 true" {
		t.Fatalf("EndConsult(%s), want call-1 completed", got)
	}
	var ended struct {
		Reason string `json:"reason"`
	}
	if _, err := alice.Want("contact.ended", &ended, wait); err != nil || ended.Reason != "transferred" {
		t.Fatalf("alice: %+v, %v; want contact.ended transferred", ended, err)
	}
	if _, err := bob.Want("contact.started", nil, wait); err != nil {
		t.Fatal(err)
	}
	// The call is bob's now: bob's controls reach it, alice's do not.
	do(t, bob, "call.hold", map[string]any{"contact_id": "call-1", "on": true})
	if got := <-calls.did; got != "call-1 hold true" {
		t.Fatalf("got %q", got)
	}
	_, err = alice.Do("call.hold", map[string]any{"contact_id": "call-1", "on": true}, wait)
	wantCode(t, err, "forbidden")
}

// deskConsulter answers consultation rings at once.
type deskConsulter struct {
	rang, ended chan string
}

func (c *deskConsulter) Consult(_ context.Context, _, agent string) error {
	c.rang <- agent
	return nil
}

func (c *deskConsulter) EndConsult(contact string, completed bool) {
	c.ended <- fmt.Sprint(contact, " ", completed)
}

// A supervisor on the board listens to a live call, then whispers: each
// action is audited first and reaches the voice channel with the
// supervisor's own id; agents may not; a call that has just ended is a
// conflict naming the contact.
func TestSupervisorMonitorFromBoard(t *testing.T) {
	ep, err := webphone.New(webphone.Config{IPs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	calls := &fakeCalls{did: make(chan string, 8), gone: map[string]bool{}}
	s := deskttest.New(t, deskttest.Options{Softphone: ep, OfferTimeout: time.Minute, Calls: calls})
	board := dialDesk(t, s, "sam", "board")
	alice := dialDesk(t, s, "alice", "")
	samID := s.Accounts["sam"].ID
	do(t, alice, "state.ready", nil)
	connectedCall(t, s, alice, "call-1")

	_, err = board.Do("sup.monitor", map[string]string{"contact_id": "call-1", "mode": "spy"}, wait)
	wantCode(t, err, "invalid")
	_, err = alice.Do("sup.monitor", map[string]string{"contact_id": "call-1", "mode": "listen"}, wait)
	wantCode(t, err, "forbidden")
	var ack struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(do(t, board, "sup.monitor", map[string]string{"contact_id": "call-1", "mode": "listen"}), &ack); err != nil || ack.State != "ringing" {
		t.Fatalf("ack %+v, %v; want ringing", ack, err)
	}
	if got := <-calls.did; got != "call-1 monitor "+samID+" listen" {
		t.Fatalf("got %q", got)
	}
	var mon struct {
		Contact, Mode, State string
	}
	if _, err := board.Want("call.monitor", &mon, wait); err != nil || mon.State != "joined" || mon.Mode != "listen" {
		t.Fatalf("call.monitor %+v, %v; want joined in listen", mon, err)
	}
	do(t, board, "sup.monitor_mode", map[string]string{"contact_id": "call-1", "mode": "whisper"})
	if got := <-calls.did; got != "call-1 mode "+samID+" whisper" {
		t.Fatalf("got %q", got)
	}
	calls.mu.Lock()
	calls.gone["call-1"] = true
	calls.mu.Unlock()
	_, err = board.Do("sup.monitor", map[string]string{"contact_id": "call-1", "mode": "barge"}, wait)
	wantCode(t, err, "conflict")

	page, err := s.Audit.List(context.Background(), audit.Query{Action: audit.ActionCallMonitor})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 2 {
		t.Fatalf("%d call.monitor records, want 2 (listen, whisper)", len(page.Records))
	}
	for _, r := range page.Records {
		if r.Actor != samID || r.SubjectID != "call-1" {
			t.Fatalf("record %+v, want sam on call-1", r)
		}
	}
}

// A supervisor with only the board open has their phone there: the ring
// (with its role) reaches the board, which may decline it.
func TestSupervisorPhoneRingsOnBoard(t *testing.T) {
	s := phoneCenter(t)
	board := dialDesk(t, s, "sam", "board")
	samID := s.Accounts["sam"].ID
	res := make(chan error, 1)
	go func() {
		_, err := s.Gateway.Ring(context.Background(), samID, phone.CallInfo{ContactID: "call-1", Queue: "voice", Role: "listen"})
		res <- err
	}()
	var ring struct {
		CallID string `json:"call_id"`
		Role   string `json:"role"`
	}
	if _, err := board.Want("phone.ring", &ring, wait); err != nil {
		t.Fatal(err)
	}
	if ring.Role != "listen" {
		t.Fatalf("ring %+v, want role listen", ring)
	}
	do(t, board, "phone.decline", map[string]string{"call_id": ring.CallID})
	if err := <-res; !errors.Is(err, phone.ErrDeclined) {
		t.Fatalf("ring: %v, want declined", err)
	}
}

// The customer panel of a call shows what the IVR collected: the path
// through the menus and the flow's variables (ID numbers masked for the
// agent), the caller's number as the network gave it ("ani").
func TestVoicePanelShowsIVRPath(t *testing.T) {
	s := phoneCenter(t)
	alice := dialDesk(t, s, "alice", "")
	bob := dialDesk(t, s, "bob", "")
	do(t, alice, "state.ready", nil)
	h, err := s.Bridge.Enqueue(context.Background(), bridge.Holder{Channel: acd.Voice,
		Ring: func(context.Context, string, string) error { return nil }},
		ivr.QueueRequest{ContactID: "call-1", Channel: ivr.Voice, Queue: "voice", ANI: "13900001234",
			Context: map[string]string{ivr.PathVar: "宽带 > 报障", "verified_by": "ani", "id_number": "110101199003071234", "account": "A1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Cancel(context.Background(), acd.LeaveHangup) })
	if _, err := alice.Want("contact.started", nil, wait); err != nil {
		t.Fatal(err)
	}
	var panel struct {
		Contact  string            `json:"contact_id"`
		Verified string            `json:"verified"`
		Vars     map[string]string `json:"vars"`
		Customer struct {
			Phone string `json:"phone"`
		} `json:"customer"`
	}
	if err := json.Unmarshal(do(t, alice, "customer.get", map[string]string{"contact_id": "call-1"}), &panel); err != nil {
		t.Fatal(err)
	}
	if panel.Vars[ivr.PathVar] != "宽带 > 报障" || panel.Vars["account"] != "A1" || panel.Verified != "ani" || panel.Customer.Phone != "13900001234" {
		t.Fatalf("panel %+v, want the IVR path, variables, ani", panel)
	}
	if panel.Vars["id_number"] == "110101199003071234" {
		t.Fatal("the agent saw a whole ID number")
	}
	_, err = bob.Do("customer.get", map[string]string{"contact_id": "call-1"}, wait)
	wantCode(t, err, "forbidden")
	page, err := s.Audit.List(context.Background(), audit.Query{SubjectKind: audit.KindContact, SubjectID: "call-1"})
	if err != nil || len(page.Records) != 1 {
		t.Fatalf("audit %+v, %v; want the panel view recorded", page, err)
	}
}

// The board names an agent's contacts that are calls (listen, whisper and
// barge apply to them), apart from the chats.
func TestBoardListsCalls(t *testing.T) {
	s := phoneCenter(t)
	alice := dialDesk(t, s, "alice", "")
	board := dialDesk(t, s, "sam", "board")
	do(t, alice, "state.ready", nil)
	connectedCall(t, s, alice, "call-1")
	var b struct {
		Agents []struct {
			ID       string   `json:"agent_id"`
			Contacts []string `json:"contacts"`
			Calls    []string `json:"calls"`
		} `json:"agents"`
	}
	if err := json.Unmarshal(do(t, board, "board.get", nil), &b); err != nil {
		t.Fatal(err)
	}
	for _, a := range b.Agents {
		if a.ID != s.Accounts["alice"].ID {
			continue
		}
		if fmt.Sprint(a.Calls) != "[call-1]" || fmt.Sprint(a.Contacts) != "[call-1]" {
			t.Fatalf("alice on the board: contacts %v, calls %v; want call-1 in both", a.Contacts, a.Calls)
		}
		return
	}
	t.Fatalf("alice is not on the board: %+v", b.Agents)
}
