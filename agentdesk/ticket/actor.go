package ticket

import (
	"context"
	"slices"
)

// Role is what the caller may do on the desk.
type Role string

// The roles.
const (
	AgentRole      Role = "agent"      // works tickets of its groups
	LeadRole       Role = "lead"       // group lead: dispatches, merges, cancels in its groups
	SupervisorRole Role = "supervisor" // everything, every group
	SystemRole     Role = "system"     // an outside system (operations/EOMS) over the API
)

// Actor is who asks for a change. It comes from the authentication layer in
// front of the API (see rest.Identify) or is System for timers.
type Actor struct {
	ID     string   `json:"id"`
	Role   Role     `json:"role"`
	Groups []string `json:"groups,omitempty"`
}

// Timer is the actor recorded for SLA warnings, breaches and escalations.
var Timer = Actor{ID: "sla", Role: SystemRole}

// Identify returns the caller's identity from a request context. The
// authentication middleware provides it.
type Identify func(ctx context.Context) (Actor, bool)

func (a Actor) in(group string) bool { return group != "" && slices.Contains(a.Groups, group) }

// may reports whether a can perform action on t. Supervisors may do
// everything; systems everything but dispatch and merge; leads everything
// within their groups; agents work tickets of their groups and the ones
// assigned to them.
func (a Actor) may(action Action, t *Ticket) bool {
	switch a.Role {
	case SupervisorRole:
		return true
	case SystemRole:
		// Outside systems work tickets but do not redistribute them: that
		// takes a person holding tickets.admin.
		return action != Dispatch && action != Merge
	case LeadRole:
		return a.in(t.Group) || t.Group == "" || a.ID == t.Assignee
	case AgentRole:
		switch action {
		case Claim:
			return a.in(t.Group)
		case Release, Start, Pend, Resume, Resolve:
			return t.Assignee == a.ID
		case BeginVisit, Close, Reopen:
			return a.in(t.Group) || t.Assignee == a.ID
		default: // pool, dispatch, merge, cancel
			return false
		}
	}
	return false
}

// mayRead reports whether a can see t.
func (a Actor) mayRead(t *Ticket) bool {
	switch a.Role {
	case SupervisorRole, SystemRole, LeadRole, AgentRole:
		// The desk is shared: any staff member may look a ticket up, as a
		// customer calling back reaches any agent.
		return true
	}
	return false
}

// mayCreate reports whether a can open tickets.
func (a Actor) mayCreate() bool {
	switch a.Role {
	case SupervisorRole, SystemRole, LeadRole, AgentRole:
		return true
	}
	return false
}
