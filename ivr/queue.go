package ivr

import (
	"context"
	"time"

	"github.com/hotline10000/hotline/acd"
)

// Queuer puts a contact into an agent queue (the ACD). The lead's adapter
// implements it over package acd.
type Queuer interface {
	Enqueue(ctx context.Context, req QueueRequest) (QueueHandle, error)
}

// QueueRequest is what a transfer node hands to the ACD.
type QueueRequest struct {
	ContactID string
	Channel   ChannelKind
	Queue     string
	Skills    []string
	Priority  int    // higher is served first; flows derive it from the tier
	Tier      string // caller's service tier ("vip", "gold", "" ...)
	Lang      string
	ANI       string
	// Context is the flow's variables for the agent's screen; masked
	// variables (passwords) are never included.
	Context map[string]string
}

// QueueHandle follows one queued contact.
type QueueHandle interface {
	// Events delivers position updates and then exactly one of
	// QueueConnected (later QueueAgentLeft), QueueMaxWait or QueueLost. A
	// voice contact transferred by its agent gets QueueTransferred, then
	// positions and QueueConnected again.
	// The runner passes it to Channel.Receive.
	Events() <-chan QueueEvent
	// Cancel withdraws the contact, saying why: the caller hung up
	// (acd.LeaveHangup: abandoned), the node is stopping the run
	// (acd.LeaveDrain) or the channel failed (acd.LeaveTeardown: lost).
	// Safe to call after the outcome.
	Cancel(ctx context.Context, why acd.LeaveReason) error
}

// QueueEventKind says what happened in the queue.
type QueueEventKind uint8

// Queue event kinds.
const (
	QueuePosition  QueueEventKind = iota + 1 // Position/ExpectedWait changed
	QueueConnected                           // Agent accepted; talk begins
	QueueAgentLeft                           // the agent ended their leg, the customer is still here
	QueueMaxWait                             // max wait reached: Action says what the queue wants
	QueueLost                                // no agent can take it (none logged in, queue closed)
	// QueueTransferred: the connected agent transferred the contact to a
	// queue or another agent; the agent's leg ends and the customer waits
	// for the next QueueConnected. Sent only to channels with a ring step
	// (voice); a chat's transport owner follows transfers itself.
	QueueTransferred
)

// Max-wait actions a queue may ask for.
const (
	ActionCallback = "callback" // take a call-back request
	ActionMessage  = "message"  // take a message (ticket)
	ActionOverflow = "overflow" // go to the node's overflow target
)

// QueueEvent is one update from the queue.
type QueueEvent struct {
	Kind         QueueEventKind
	Position     int           // 1 = next to be served
	ExpectedWait time.Duration // 0 = unknown
	Agent        string        // QueueConnected: the agent's id
	Action       string        // QueueMaxWait
	// Kept: with Action callback, the ACD kept the contact as a callback
	// (it is still waiting); the run keeps it (CallbackHandle) or leaves.
	Kept bool
}

// CallbackHandle is a QueueHandle whose contact may leave the line and keep
// its place: when an agent is reserved, the center rings the agent and then
// calls the customer back (voice). The contact channel's queue handles
// implement it when the center can call out (a trunk with a dial plan).
type CallbackHandle interface {
	QueueHandle
	// KeepAsCallback makes the contact a callback to number. On success
	// the contact stays in the ACD after the run ends: the run must not
	// Cancel the handle. An error (no trunk, a number the dial plan
	// refuses, a contact no longer waiting) leaves everything as it was.
	KeepAsCallback(ctx context.Context, number string) error
}
