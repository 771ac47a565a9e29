package agentdesk_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/ivr"
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
