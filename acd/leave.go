package acd

import (
	"fmt"
	"time"
)

// LeaveReason says why a contact leaves the ACD from the channel's side.
// It decides the outcome the KPIs count (KPIS.md counting rule 2): the
// customer hanging up is an abandon, the platform going away is
// system_lost.
type LeaveReason uint8

// Leave reasons. The zero value is not a reason.
const (
	// LeaveHangup: the customer left (hung up, closed the chat).
	LeaveHangup LeaveReason = iota + 1
	// LeaveDrain: the node is draining and cannot keep the contact.
	LeaveDrain
	// LeaveTeardown: the platform lost the contact's channel (a restart
	// the customer did not come back from, a channel failure).
	LeaveTeardown
)

var leaveReasonNames = []string{"", "customer", "drain", "teardown"}

func (l LeaveReason) String() string { return enumName(leaveReasonNames, int(l)) }

// MarshalText implements encoding.TextMarshaler.
func (l LeaveReason) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *LeaveReason) UnmarshalText(b []byte) error {
	return enumParse(leaveReasonNames, "leave reason", b, (*uint8)(l))
}

// Left is what Leave did.
type Left uint8

// What Leave did.
const (
	// LeftNothing: the contact was not (or no longer) in the ACD.
	LeftNothing Left = iota
	// LeftQueue: the contact had no agent yet (waiting, offered, or its
	// agent leg connecting): abandoned or lost.
	LeftQueue
	// LeftAgent: the contact was connected: it ended and its agent starts
	// wrap-up.
	LeftAgent
)

// Leave takes a contact out of the ACD in one step, whatever its state:
// waiting, offered or accepted (the agent leg not yet connected) it is
// abandoned when the customer left (LeaveHangup) and lost otherwise;
// connected it ends. A contact the ACD no longer holds is LeftNothing, not
// an error, so a channel may leave as often as its paths cross.
func (r *Router) Leave(now time.Time, contactID string, why LeaveReason) (Left, error) {
	r.tick(now)
	if why < LeaveHangup || why > LeaveTeardown {
		return LeftNothing, fmt.Errorf("%w: leave reason %d", ErrInvalidArgument, why)
	}
	c, ok := r.contacts[contactID]
	if !ok {
		return LeftNothing, nil
	}
	if c.state == stateConnected {
		r.end(c, why.String())
		return LeftAgent, nil
	}
	kind, out := EventLost, SystemLost
	if why == LeaveHangup {
		kind, out = EventAbandoned, Abandoned
	}
	if err := r.finishUnanswered(c, kind, out, why.String()); err != nil {
		return LeftNothing, err
	}
	return LeftQueue, nil
}
