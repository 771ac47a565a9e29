package ticket

import (
	"slices"
	"time"
)

// Status is where a ticket stands in its lifecycle:
//
//	new → pooled → assigned → in_progress ⇄ pending → resolved → return_visit → closed
//
// with reopen from resolved, return_visit and closed; merge of a duplicate
// into its original; and cancel of any ticket not yet resolved.
type Status string

// The statuses.
const (
	New        Status = "new"          // created, no group yet
	Pooled     Status = "pooled"       // waiting in its group's pool
	Assigned   Status = "assigned"     // claimed by an agent or dispatched to one
	InProgress Status = "in_progress"  // the assignee works it
	Pending    Status = "pending"      // waits for the customer or a third party; SLA paused
	Resolved   Status = "resolved"     // fixed; awaits the return visit or closing
	Visiting   Status = "return_visit" // return visit under way
	Closed     Status = "closed"
	Merged     Status = "merged"    // a duplicate folded into its original
	Cancelled  Status = "cancelled" //
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{New, Pooled, Assigned, InProgress, Pending, Resolved, Visiting, Closed, Merged, Cancelled}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Terminal reports whether no more work happens on the ticket (reopen aside).
func (s Status) Terminal() bool { return s == Closed || s == Merged || s == Cancelled }

// clockRuns reports whether the resolution clock runs in status s.
func (s Status) clockRuns() bool {
	return s == New || s == Pooled || s == Assigned || s == InProgress
}

// Action is a lifecycle step asked for by a person or a system.
type Action string

// The actions.
const (
	Pool       Action = "pool"     // new → pooled (group chosen by rules or a supervisor)
	Claim      Action = "claim"    // pooled → assigned, by an agent of the group
	Dispatch   Action = "dispatch" // to a group (pooled) or a person (assigned)
	Release    Action = "release"  // assigned/in_progress → pooled
	Start      Action = "start"    // assigned → in_progress
	Pend       Action = "pend"     // in_progress → pending (reason customer or third_party)
	Resume     Action = "resume"   // pending → in_progress
	Resolve    Action = "resolve"  // assigned/in_progress → resolved
	BeginVisit Action = "visit"    // resolved → return_visit (fault, complaint)
	Close      Action = "close"    // resolved (no visit needed) or return_visit → closed
	Reopen     Action = "reopen"   // resolved/return_visit/closed → assigned or pooled
	Merge      Action = "merge"    // open duplicate → merged into its original
	Cancel     Action = "cancel"   // not yet resolved → cancelled
)

// Actions lists every action.
var Actions = []Action{Pool, Claim, Dispatch, Release, Start, Pend, Resume, Resolve, BeginVisit, Close, Reopen, Merge, Cancel}

// Valid reports whether a is a known action.
func (a Action) Valid() bool { return slices.Contains(Actions, a) }

// from lists the statuses each action may start from.
var from = map[Action][]Status{
	Pool:       {New},
	Claim:      {Pooled},
	Dispatch:   {New, Pooled, Assigned, InProgress},
	Release:    {Assigned, InProgress},
	Start:      {Assigned},
	Pend:       {InProgress},
	Resume:     {Pending},
	Resolve:    {Assigned, InProgress},
	BeginVisit: {Resolved},
	Close:      {Resolved, Visiting},
	Reopen:     {Resolved, Visiting, Closed},
	Merge:      {New, Pooled, Assigned, InProgress, Pending},
	Cancel:     {New, Pooled, Assigned, InProgress, Pending},
}

// Allowed reports whether action a is legal from status s (parameters aside).
func Allowed(a Action, s Status) bool { return slices.Contains(from[a], s) }

// Pending reasons.
const (
	WaitCustomer   = "customer"
	WaitThirdParty = "third_party"
)

// Command is one action with its parameters, as asked through the API.
type Command struct {
	Action     Action      `json:"action"`
	Version    int64       `json:"version"`              // the version the caller saw; 0 skips the check
	Group      string      `json:"group,omitempty"`      // dispatch, pool
	Assignee   string      `json:"assignee,omitempty"`   // dispatch to a person
	Reason     string      `json:"reason,omitempty"`     // pend: customer|third_party; cancel, reopen: free text
	Resolution string      `json:"resolution,omitempty"` // resolve
	Result     VisitResult `json:"result,omitempty"`     // close after a return visit
	Note       string      `json:"note,omitempty"`       // close after a return visit
	Into       int64       `json:"into,omitempty"`       // merge: the original ticket's id
}

// validate checks the parameters an action needs, independent of the ticket.
func (c Command) validate() error {
	if !c.Action.Valid() {
		return fieldErr("action", "unknown action %q", c.Action)
	}
	if c.Version < 0 {
		return fieldErr("version", "must not be negative")
	}
	for _, f := range []struct{ name, v string }{{"group", c.Group}, {"assignee", c.Assignee}} {
		if err := checkName(f.name, f.v); err != nil {
			return err
		}
	}
	if err := checkText("reason", c.Reason, 0, maxNote); err != nil {
		return err
	}
	if err := checkText("resolution", c.Resolution, 0, maxBody); err != nil {
		return err
	}
	if err := checkText("note", c.Note, 0, maxNote); err != nil {
		return err
	}
	switch c.Action {
	case Pool:
		if c.Group == "" {
			return fieldErr("group", "required")
		}
	case Dispatch:
		if c.Group == "" && c.Assignee == "" {
			return fieldErr("group", "group or assignee required")
		}
	case Pend:
		if c.Reason != WaitCustomer && c.Reason != WaitThirdParty {
			return fieldErr("reason", "must be %q or %q", WaitCustomer, WaitThirdParty)
		}
	case Resolve:
		if c.Resolution == "" {
			return fieldErr("resolution", "required")
		}
	case Merge:
		if c.Into <= 0 {
			return fieldErr("into", "required")
		}
	}
	if c.Result != "" && !c.Result.Valid() {
		return fieldErr("result", "unknown result %q", c.Result)
	}
	return nil
}

// step applies cmd to t's status and fields. It checks legality but not
// permissions, and leaves SLA clocks to the caller.
func step(t *Ticket, cmd Command, actor Actor, now time.Time) error {
	if !Allowed(cmd.Action, t.Status) {
		return &TransitionError{Action: cmd.Action, From: t.Status}
	}
	switch cmd.Action {
	case Pool:
		t.Group, t.Assignee, t.Status = cmd.Group, "", Pooled
	case Claim:
		t.Assignee, t.Status = actor.ID, Assigned
	case Dispatch:
		if cmd.Group != "" {
			t.Group = cmd.Group
		}
		if t.Group == "" {
			return fieldErr("group", "required: the ticket has no group yet")
		}
		if cmd.Assignee != "" {
			t.Assignee, t.Status = cmd.Assignee, Assigned
		} else {
			t.Assignee, t.Status = "", Pooled
		}
	case Release:
		t.Assignee, t.Status = "", Pooled
	case Start:
		t.Status = InProgress
	case Pend:
		t.Status, t.Pending = Pending, cmd.Reason
	case Resume:
		t.Status, t.Pending = InProgress, ""
	case Resolve:
		t.Status, t.Resolution = Resolved, cmd.Resolution
	case BeginVisit:
		if !t.Type.NeedsVisit() {
			return &TransitionError{Action: BeginVisit, From: t.Status}
		}
		t.Status = Visiting
	case Close:
		if t.Type.NeedsVisit() {
			if t.Status != Visiting {
				return &TransitionError{Action: Close, From: t.Status}
			}
			if cmd.Result == "" {
				return fieldErr("result", "required to close after a return visit")
			}
			if cmd.Result == Unsatisfied {
				return fieldErr("result", "an unsatisfied customer reopens the ticket, it does not close")
			}
			t.Visit.Result, t.Visit.Note, t.Visit.By, t.Visit.At = cmd.Result, cmd.Note, actor.ID, now
		}
		t.Status, t.ClosedAt = Closed, now
	case Reopen:
		if t.Status == Visiting && t.Visit != nil {
			t.Visit.Result, t.Visit.Note, t.Visit.By, t.Visit.At = Unsatisfied, cmd.Note, actor.ID, now
		}
		t.Resolution, t.ClosedAt = "", time.Time{}
		if t.Assignee != "" {
			t.Status = Assigned
		} else {
			t.Status = Pooled
		}
	case Merge:
		if cmd.Into == t.ID {
			return fieldErr("into", "a ticket cannot be merged into itself")
		}
		t.Status, t.MergedInto, t.ClosedAt = Merged, cmd.Into, now
	case Cancel:
		t.Status, t.ClosedAt = Cancelled, now
	}
	if t.Status != Pending {
		t.Pending = ""
	}
	return nil
}
