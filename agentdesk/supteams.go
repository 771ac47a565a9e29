package agentdesk

import (
	"context"
	"errors"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
)

// mayActOn reports whether the board's user may change agentID's state,
// sign-in or skills: an administrator any agent's, a supervisor only an
// agent sharing one of their teams (as in administration's REST API).
// Without a store there are no teams to go by.
func (d *deskClient) mayActOn(ctx context.Context, agentID string) *Error {
	st := d.g.o.Store
	if d.p.Can(auth.PermAgentsManage) || st == nil || agentID == "" {
		return nil
	}
	ok, err := st.ShareTeam(ctx, d.p.AgentID, agentID)
	if err != nil {
		return failf(CodeUnavailable, "teams: "+err.Error())
	}
	if !ok {
		if _, err := st.Agent(ctx, agentID); errors.Is(err, store.ErrNotFound) {
			return nil // no such agent: the ACD says so
		}
		return failf(CodeForbidden, "the agent is not in one of your teams")
	}
	return nil
}
