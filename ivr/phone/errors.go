package phone

import "errors"

// Why a ring did not end in an answered Leg. The bridge rejects the offer
// on any of them: the caller keeps their place in the queue.
var (
	// ErrNoPhone: the agent has no phone of their kind that can ring now
	// (no SIP registration, no desk connected, no Ringer for the kind).
	ErrNoPhone = errors.New("phone: agent has no phone to ring")
	// ErrBusy: the phone is busy (SIP 486, a softphone already in a call).
	ErrBusy = errors.New("phone: agent's phone is busy")
	// ErrDeclined: the agent declined the call (SIP 603, desk decline).
	ErrDeclined = errors.New("phone: agent declined the call")
	// ErrNoAnswer: the phone rang out (SIP 408/480, no answer in time).
	ErrNoAnswer = errors.New("phone: agent did not answer")
	// ErrUnknownCall: Ring for a contact no voice call expects.
	ErrUnknownCall = errors.New("phone: no call expected for the contact")
)
