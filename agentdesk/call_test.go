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
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/ivr"
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
