package agentdesk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/ivr/phone/webphone"
)

// A supervisor forces the state of, logs out and changes the skills of
// the agents of their own teams only (issue 15, as administration's REST
// API limits them); an administrator acts on any agent.
func TestSupervisorActsOnTheirTeamsOnly(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	ctx := context.Background()
	bobID := s.Accounts["bob"].ID
	bob := dialDesk(t, s, "bob", "")
	for login, role := range map[string]auth.Role{"sue": auth.RoleSupervisor, "ada": auth.RoleAdmin} {
		if _, err := s.Auth.CreateAgent(ctx, login, login, role, deskttest.Password); err != nil {
			t.Fatal(err)
		}
	}
	sue, err := s.Store.AgentByLogin(ctx, "sue")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Store.SetAgentTeams(ctx, sue.ID, []string{"floor-2"}); err != nil {
		t.Fatal(err)
	}
	other := dialDesk(t, s, "sue", "board")
	for _, c := range []struct {
		typ  string
		data any
	}{
		{"sup.force_state", map[string]string{"agent_id": bobID, "state": "ready"}},
		{"sup.skills", map[string]any{"agent_id": bobID, "skills": map[string]int{"general": 9}}},
		{"sup.logout", map[string]string{"agent_id": bobID}},
	} {
		_, err := other.Do(c.typ, c.data, wait)
		wantCode(t, err, agentdesk.CodeForbidden)
	}
	// sam shares floor-1 with bob; an administrator needs no team.
	do(t, dialDesk(t, s, "sam", "board"), "sup.force_state", map[string]string{"agent_id": bobID, "state": "ready"})
	wantState(t, bob, "ready", "")
	do(t, dialDesk(t, s, "ada", "board"), "sup.force_state", map[string]string{"agent_id": bobID, "state": "not_ready", "reason": "meeting"})
	wantState(t, bob, "not_ready", "meeting")
	// Once in bob's team, sue may.
	if err := s.Store.SetAgentTeams(ctx, sue.ID, []string{"floor-2", deskttest.Team}); err != nil {
		t.Fatal(err)
	}
	do(t, other, "sup.force_state", map[string]string{"agent_id": bobID, "state": "ready"})
	wantState(t, bob, "ready", "")
}

// sup.monitor and sup.monitor_mode reach only the calls of the
// supervisor's own teams' agents (forbidden naming contact_id otherwise,
// nothing rung, nothing audited); an administrator monitors any call.
func TestSupervisorMonitorsTheirTeamsOnly(t *testing.T) {
	ep, err := webphone.New(webphone.Config{IPs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	calls := &fakeCalls{did: make(chan string, 8), gone: map[string]bool{}}
	s := deskttest.New(t, deskttest.Options{Softphone: ep, OfferTimeout: time.Minute, Calls: calls})
	ctx := context.Background()
	for login, role := range map[string]auth.Role{"sue": auth.RoleSupervisor, "ada": auth.RoleAdmin} {
		if _, err := s.Auth.CreateAgent(ctx, login, login, role, deskttest.Password); err != nil {
			t.Fatal(err)
		}
	}
	sue, err := s.Store.AgentByLogin(ctx, "sue")
	if err != nil {
		t.Fatal(err)
	}
	ada, err := s.Store.AgentByLogin(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Store.SetAgentTeams(ctx, sue.ID, []string{"floor-2"}); err != nil {
		t.Fatal(err)
	}
	alice := dialDesk(t, s, "alice", "")
	do(t, alice, "state.ready", nil)
	connectedCall(t, s, alice, "call-1")

	sueBoard := dialDesk(t, s, "sue", "board")
	for _, typ := range []string{"sup.monitor", "sup.monitor_mode"} {
		_, err := sueBoard.Do(typ, map[string]string{"contact_id": "call-1", "mode": "listen"}, wait)
		wantCode(t, err, agentdesk.CodeForbidden)
		var de *agentdesk.Error
		if !errors.As(err, &de) || !strings.Contains(de.Message, "contact_id") {
			t.Fatalf("%s: %v, want an error naming contact_id", typ, err)
		}
	}
	// sam shares floor-1 with alice; ada administers and needs no team.
	for _, who := range []struct{ login, id string }{{"sam", s.Accounts["sam"].ID}, {"ada", ada.ID}} {
		do(t, dialDesk(t, s, who.login, "board"), "sup.monitor", map[string]string{"contact_id": "call-1", "mode": "listen"})
		if got, want := <-calls.did, "call-1 monitor "+who.id+" listen"; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	select {
	case got := <-calls.did:
		t.Fatalf("voice channel did %q for a supervisor of another team", got)
	default:
	}
	page, err := s.Audit.List(ctx, audit.Query{Action: audit.ActionCallMonitor})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Records {
		if r.Actor == sue.ID {
			t.Fatalf("refused monitor audited as done: %+v", r)
		}
	}
	if len(page.Records) != 2 {
		t.Fatalf("%d call.monitor records, want 2 (sam, ada)", len(page.Records))
	}
	// Once in alice's team, sue may.
	if err := s.Store.SetAgentTeams(ctx, sue.ID, []string{"floor-2", deskttest.Team}); err != nil {
		t.Fatal(err)
	}
	do(t, sueBoard, "sup.monitor", map[string]string{"contact_id": "call-1", "mode": "barge"})
	if got, want := <-calls.did, "call-1 monitor "+sue.ID+" barge"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
