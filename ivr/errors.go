package ivr

import "errors"

var (
	// ErrInvalidFlow is matched (errors.Is) by every *LoadError.
	ErrInvalidFlow = errors.New("invalid flow")
	// ErrHangup: the caller (or chat customer) left.
	ErrHangup = errors.New("caller hung up")
	// ErrTimeout: Channel.Receive reached its deadline without input.
	ErrTimeout = errors.New("input timeout")
	// ErrNotFound: a Backend has no such customer or account.
	ErrNotFound = errors.New("not found")
	// ErrUnavailable: a Backend, queue or ticket service cannot serve now
	// (circuit open, retries exhausted).
	ErrUnavailable = errors.New("service unavailable")
	// ErrNoFlow: the library has no flow for an entry point.
	ErrNoFlow = errors.New("no flow")
	// ErrStepLimit: a run executed more nodes than Config.MaxSteps without
	// ending (a loop the validator could not see, e.g. through subflows).
	ErrStepLimit = errors.New("step limit reached")
)
