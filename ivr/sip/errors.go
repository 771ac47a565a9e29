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
	// ErrNotBridged: the call is not bridged to an agent leg.
	ErrNotBridged = errors.New("sip: call not bridged to an agent")
)
