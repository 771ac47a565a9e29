package sip

import "errors"

// Sentinel errors of the package.
var (
	// ErrNoFlowRunner: the server has no flows to run yet (the routing core
	// is starting); calls get 503.
	ErrNoFlowRunner = errors.New("sip: no flow runner attached")
	// ErrClosed: the server stopped.
	ErrClosed = errors.New("sip: server closed")
	// ErrNoCall: no call in progress has that contact id.
	ErrNoCall = errors.New("sip: no such call")
	// ErrUnknownUser: no agent has that SIP user name (Credentials).
	ErrUnknownUser = errors.New("sip: unknown sip user")
	// ErrNotBridged: the call is not bridged to an agent leg.
	ErrNotBridged = errors.New("sip: call not bridged to an agent")
	// ErrOnCall: the agent is on the call already.
	ErrOnCall = errors.New("sip: already on the call")
	// ErrNotOnCall: the supervisor is not on the call.
	ErrNotOnCall = errors.New("sip: not on the call")
	// ErrNoConsult: the call has no answered consultation.
	ErrNoConsult = errors.New("sip: no consultation on the call")
	// ErrBadMode: a supervisor mode other than listen, whisper, barge.
	ErrBadMode = errors.New("sip: bad monitor mode")
)

// Calls out (outbound.go).
var (
	// ErrForbiddenNumber: the dial plan does not allow the number.
	ErrForbiddenNumber = errors.New("sip: number not allowed by the dial plan")
	// ErrNoTrunk: no trunk is configured for calls out.
	ErrNoTrunk = errors.New("sip: no trunk configured")
	// ErrOriginRefused: only the system and authenticated agents originate.
	ErrOriginRefused = errors.New("sip: call out refused for this originator")
	// ErrCustomerUnreachable: the called number was busy, declined, did not
	// answer or the trunk refused the call.
	ErrCustomerUnreachable = errors.New("sip: the called number did not answer")
)
