package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/store"
)

// A caller who hangs up while queued is an abandoned contact (issue 12,
// "Proof"), through `hotline serve` over real sockets: the agent wang.fang
// is signed in and not ready (the queue is staffed, nobody is offered the
// call); a SIP caller dials 10000 and presses 0; the call waits on the
// supervisor's board; the caller hangs up (BYE); the board no longer shows
// it, and the event log has the contact abandoned (acd.abandoned), not
// answered or lost.
func TestCallerHangsUpWhileQueued(t *testing.T) {
	dir := t.TempDir()
	r := start(t, "--data-dir", dir, "--ivr-always-open")
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
	board, _, err := deskttest.Dial(ctx, r.base, "/ws/desk", agentdesk.DeskProtocol, r.login(t, "sun.li"))
	if err != nil {
		t.Fatal(err)
	}
	defer board.Close()
	if _, err := board.Hello("board", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := board.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	// waiting is the voice contact waiting on the next board pushed, if any.
	waiting := func() string {
		var b struct {
			Queues []struct {
				Contacts []struct {
					ID      string `json:"contact_id"`
					Channel string `json:"channel"`
				} `json:"contacts"`
			} `json:"queues"`
		}
		if _, err := board.Want("board", &b, 20*time.Second); err != nil {
			t.Fatalf("board: %v", err)
		}
		for _, q := range b.Queues {
			for _, c := range q.Contacts {
				if c.Channel == "voice" {
					return c.ID
				}
			}
		}
		return ""
	}

	caller := dialSIP(t, sipUDPAddr(t, r))
	// Press 0 until the call waits on the board (the key may come before
	// the menu listens); each board push is a turn.
	contact := ""
	for i := 0; contact == ""; i++ {
		if i == 60 {
			t.Fatalf("the call never waited in a queue: %s", tail(r.stderr.String(), 3000))
		}
		if i%3 == 0 {
			caller.digit('0')
		}
		contact = waiting()
	}
	caller.hangup()
	for i := 0; waiting() == contact; i++ {
		if i == 60 {
			t.Fatalf("%s still waits after the caller hung up", contact)
		}
	}
	if code := r.stop(); code != 0 {
		t.Fatalf("serve exited with %d: %s", code, tail(r.stderr.String(), 2000))
	}
	st, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Events(ctx, store.EventFilter{TypePrefix: "acd."})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	abandoned := false
	for _, e := range evs {
		if e.ContactID != contact {
			continue
		}
		seen = append(seen, string(e.Type))
		switch e.Type {
		case "acd.abandoned":
			abandoned = true
		case "acd.answered", "acd.lost":
			t.Errorf("%s: %s, want abandoned", contact, e.Type)
		}
	}
	if !abandoned {
		t.Fatalf("%s's events %s, want acd.abandoned", contact, strings.Join(seen, ", "))
	}
}
