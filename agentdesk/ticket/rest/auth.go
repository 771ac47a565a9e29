package rest

import (
	"context"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/auth"
)

// FromAuth is the ticket.Identify for principals of the auth middleware
// (internal/auth): holders of tickets.admin act as supervisors, other
// holders of tickets as agents, API keys of the integration role as outside
// systems. People are named on tickets by their stable agent id, the same
// id the desk uses; API keys as "api:<key name>". groups returns an
// agent's ticket groups (the pools it may claim from); nil gives none.
func FromAuth(groups func(ctx context.Context, p auth.Principal) []string) ticket.Identify {
	return func(ctx context.Context) (ticket.Actor, bool) {
		p, ok := auth.PrincipalFrom(ctx)
		if !ok {
			return ticket.Actor{}, false
		}
		a := ticket.Actor{ID: p.AgentID}
		if p.APIKeyID != "" || p.AgentID == "" {
			a.ID = "api:" + p.Login
		}
		switch {
		case p.Role == auth.RoleIntegration && p.Can(auth.PermTickets):
			a.Role = ticket.SystemRole
		case p.Can(auth.PermTicketsAdmin):
			a.Role = ticket.SupervisorRole
		case p.Can(auth.PermTickets):
			a.Role = ticket.AgentRole
		default:
			return ticket.Actor{}, false
		}
		if groups != nil {
			a.Groups = groups(ctx, p)
		}
		return a, true
	}
}
