package acd

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every command that fails leaves the Router unchanged.
var (
	ErrInvalidConfig     = errors.New("invalid acd configuration")
	ErrUnknownQueue      = errors.New("unknown queue")
	ErrUnknownAgent      = errors.New("unknown agent")
	ErrUnknownContact    = errors.New("unknown contact")
	ErrUnknownTier       = errors.New("unknown service tier")
	ErrUnknownSkill      = errors.New("unknown skill")
	ErrDuplicateContact  = errors.New("contact already in the acd")
	ErrChannelMismatch   = errors.New("contact channel does not match queue channel")
	ErrIllegalTransition = errors.New("illegal state transition")
	ErrNoOffer           = errors.New("no such offer pending")
	ErrAgentUnavailable  = errors.New("agent is not available for this channel")
	ErrNoAgents          = errors.New("no agent logged in for queue")
	ErrQueueClosed       = errors.New("queue closed by its opening calendar")
	ErrNoWrapUp          = errors.New("no wrap-up open for contact")
	ErrInvalidArgument   = errors.New("invalid argument")
	ErrSnapshot          = errors.New("invalid snapshot")
	ErrStopped           = errors.New("acd engine stopped")
)

// ConfigError names the configuration key that failed validation. It wraps
// ErrInvalidConfig.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("acd config %s: %s", e.Field, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidConfig) true.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// TransitionError says which command was refused in which state. It wraps
// ErrIllegalTransition.
type TransitionError struct {
	Command string
	ID      string
	State   string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("%s %s: not allowed in state %s", e.Command, e.ID, e.State)
}

// Unwrap makes errors.Is(err, ErrIllegalTransition) true.
func (e *TransitionError) Unwrap() error { return ErrIllegalTransition }

func illegal(cmd, id, state string) error {
	return &TransitionError{Command: cmd, ID: id, State: state}
}
