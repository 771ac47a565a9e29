package agentdesk_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

type boardFrame struct {
	Queues []struct {
		Queue    string `json:"queue"`
		Waiting  int    `json:"waiting"`
		Answered int    `json:"answered"`
	} `json:"queues"`
	Agents []struct {
		ID       string   `json:"agent_id"`
		State    string   `json:"state"`
		Reason   string   `json:"reason"`
		Contacts []string `json:"contacts"`
		Offline  bool     `json:"offline"`
	} `json:"agents"`
}

// TestBoardAndSupervisorActions: the board is pushed as things change;
// the supervisor forces states, moves a waiting contact, changes skills and
// logs an agent out.
func TestBoardAndSupervisorActions(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	agent, _, contact := readyAgentWithChat(t, s)
	board := dialDesk(t, s, "sam", "board")
	aliceID, bobID := s.Accounts["alice"].ID, s.Accounts["bob"].ID

	var b boardFrame
	deadline := time.Now().Add(wait)
	for found := false; !found; {
		if time.Now().After(deadline) {
			t.Fatalf("board never showed alice busy with %s: %+v", contact, b)
		}
		if _, err := board.Want("board", &b, wait); err != nil {
			t.Fatal(err)
		}
		for _, a := range b.Agents {
			found = found || (a.ID == aliceID && a.State == "busy" && len(a.Contacts) == 1 && a.Contacts[0] == contact)
		}
	}
	for _, q := range b.Queues {
		if q.Queue == "general" && q.Answered != 1 {
			t.Fatalf("general answered %d today, want 1", q.Answered)
		}
	}

	bob := dialDesk(t, s, "bob", "")
	do(t, board, "sup.force_state", map[string]string{"agent_id": bobID, "state": "ready"})
	wantState(t, bob, "ready", "")
	do(t, board, "sup.force_state", map[string]string{"agent_id": bobID, "state": "not_ready", "reason": "meeting"})
	wantState(t, bob, "not_ready", "meeting")
	_, err := board.Do("sup.force_state", map[string]string{"agent_id": bobID, "state": "busy"}, wait)
	wantCode(t, err, agentdesk.CodeInvalid)
	_, err = board.Do("sup.force_state", map[string]string{"agent_id": "ghost", "state": "ready"}, wait)
	wantCode(t, err, agentdesk.CodeNotFound)

	do(t, board, "sup.skills", map[string]any{"agent_id": bobID, "skills": map[string]int{"general": 9}})
	ag, err := s.ACD.Agent(context.Background(), bobID)
	if err != nil || ag.Skills["general"] != 9 {
		t.Fatalf("bob's skills %v %v, want general 9", ag.Skills, err)
	}
	_, err = board.Do("sup.skills", map[string]any{"agent_id": bobID, "skills": map[string]int{"juggling": 3}}, wait)
	wantCode(t, err, agentdesk.CodeInvalid)

	// A waiting chat moves to another queue.
	do(t, agent, "state.not_ready", map[string]string{"reason": "break"})
	st2 := startChat(t, s, map[string]string{"name": "王五"})
	cust2 := dialChat(t, s, st2.Token)
	if _, err := cust2.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	do(t, cust2, "chat.send", map[string]string{"msg_id": "q", "text": "0"})
	s.Await(t, wait, func() bool {
		c, err := s.ACD.Contact(context.Background(), st2.Contact)
		return err == nil && c.Queue == "general"
	})
	do(t, board, "sup.move", map[string]string{"contact_id": st2.Contact, "queue": "billing"})
	if c, _ := s.ACD.Contact(context.Background(), st2.Contact); c.Queue != "billing" {
		t.Fatalf("contact in %s, want billing", c.Queue)
	}

	// Logging the agent out closes its desk.
	do(t, board, "sup.logout", map[string]string{"agent_id": bobID})
	var ce *websocket.CloseError
	if err := bob.Closed(wait); !errors.As(err, &ce) || ce.Code != agentdesk.CloseLoggedOut {
		t.Fatalf("bob's desk: got %v, want close %d", err, agentdesk.CloseLoggedOut)
	}
	if _, err := s.ACD.Agent(context.Background(), bobID); !errors.Is(err, acd.ErrUnknownAgent) {
		t.Fatalf("bob still in the acd: %v", err)
	}
	var snap boardFrame
	if err := json.Unmarshal(do(t, board, "board.get", nil), &snap); err != nil || len(snap.Queues) != 3 {
		t.Fatalf("board.get: %v %+v", err, snap)
	}
}

// wantState skips agent.state frames until one says state (and reason).
func wantState(t *testing.T, c *deskttest.Client, state, reason string) {
	t.Helper()
	for {
		var st struct {
			State  string `json:"state"`
			Reason string `json:"reason"`
		}
		if _, err := c.Want("agent.state", &st, wait); err != nil {
			t.Fatalf("waiting for %s: %v", state, err)
		}
		if st.State == state && (reason == "" || st.Reason == reason) {
			return
		}
	}
}
