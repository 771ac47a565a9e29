package agentdesk

import (
	"context"
	"errors"
	"sort"

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

// mayMonitor reports whether the board's user may listen to, whisper into
// or barge into the call of contact: an administrator any call, a
// supervisor only a call one of whose agents (the agent talking, or the
// agent consulted) shares one of their teams, as mayActOn. The agents are
// the hub's view of the ACD; a call nobody holds is a conflict, as a call
// that has ended.
func (d *deskClient) mayMonitor(ctx context.Context, contact string) *Error {
	st := d.g.o.Store
	if d.p.Can(auth.PermAgentsManage) || st == nil {
		return nil
	}
	var holders []string
	if err := d.g.do(func(h *hub) {
		for id, a := range h.agents {
			if a.chats[contact] {
				holders = append(holders, id)
			}
		}
	}); err != nil {
		return failf(CodeUnavailable, err.Error())
	}
	if len(holders) == 0 {
		return failf(CodeConflict, "contact_id: the call has ended or is not with an agent")
	}
	sort.Strings(holders)
	for _, id := range holders {
		ok, err := st.ShareTeam(ctx, d.p.AgentID, id)
		if err != nil {
			return failf(CodeUnavailable, "teams: "+err.Error())
		}
		if ok {
			return nil
		}
	}
	return failf(CodeForbidden, "contact_id: the call's agent is not in one of your teams")
}
