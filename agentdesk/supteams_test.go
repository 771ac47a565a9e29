package agentdesk_test

import (
	"context"
	"testing"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/auth"
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
