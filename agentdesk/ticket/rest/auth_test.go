package rest_test

import (
	"context"
	"slices"
	"testing"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/rest"
	"github.com/hotline10000/hotline/internal/auth"
)

func TestFromAuth(t *testing.T) {
	id := rest.FromAuth(func(_ context.Context, p auth.Principal) []string {
		if p.Login == "zhang.wei" {
			return []string{"fault-desk"}
		}
		return nil
	})
	tests := []struct {
		p    *auth.Principal
		want ticket.Actor
		ok   bool
	}{
		{nil, ticket.Actor{}, false},
		// People by their stable agent id (the desk's), not their login.
		{&auth.Principal{Role: auth.RoleAgent, AgentID: "a1", Login: "zhang.wei"}, ticket.Actor{ID: "a1", Role: ticket.AgentRole, Groups: []string{"fault-desk"}}, true},
		{&auth.Principal{Role: auth.RoleSupervisor, AgentID: "a2", Login: "li.na"}, ticket.Actor{ID: "a2", Role: ticket.SupervisorRole}, true},
		{&auth.Principal{Role: auth.RoleAdmin, AgentID: "a3", Login: "root"}, ticket.Actor{ID: "a3", Role: ticket.SupervisorRole}, true},
		{&auth.Principal{Role: auth.RoleIntegration, Login: "eoms", APIKeyID: "k1"}, ticket.Actor{ID: "api:eoms", Role: ticket.SystemRole}, true},
		{&auth.Principal{Role: auth.RoleSupervisor, Login: "ops", APIKeyID: "k2"}, ticket.Actor{ID: "api:ops", Role: ticket.SupervisorRole}, true},
		{&auth.Principal{Role: "janitor", Login: "x"}, ticket.Actor{}, false},
	}
	for _, tt := range tests {
		ctx := context.Background()
		if tt.p != nil {
			ctx = auth.WithPrincipal(ctx, *tt.p)
		}
		got, ok := id(ctx)
		if ok != tt.ok || got.ID != tt.want.ID || got.Role != tt.want.Role || !slices.Equal(got.Groups, tt.want.Groups) {
			t.Errorf("%+v: got %+v %v, want %+v %v", tt.p, got, ok, tt.want, tt.ok)
		}
	}
}
