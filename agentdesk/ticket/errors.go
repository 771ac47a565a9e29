package ticket

import (
	"errors"
	"fmt"
)

// Sentinel errors. Each has a stable code used by the REST API.
var (
	ErrNotFound        = errors.New("ticket not found")
	ErrConflict        = errors.New("ticket was changed by someone else")
	ErrAlreadyClaimed  = errors.New("ticket already claimed")
	ErrForbidden       = errors.New("not permitted")
	ErrDuplicateKey    = errors.New("idempotency key already used")
	ErrIdempotencyUsed = errors.New("idempotency key reused with a different request")
	ErrUndeliverable   = errors.New("message cannot be delivered")
)

// TransitionError reports an action that the lifecycle does not allow from the
// ticket's current status.
type TransitionError struct {
	Action Action
	From   Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s a ticket that is %s", e.Action, e.From)
}

// FieldError reports one invalid input field by its JSON name.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// ForbiddenFieldError refuses one input field the caller may not set (a
// dispatch target without the dispatch permission). It is ErrForbidden.
type ForbiddenFieldError struct {
	Field  string
	Reason string
}

func (e *ForbiddenFieldError) Error() string { return e.Field + ": " + e.Reason }

// Is makes errors.Is(err, ErrForbidden) hold.
func (e *ForbiddenFieldError) Is(target error) bool { return target == ErrForbidden }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Code maps an error to the stable machine-readable code of the API.
func Code(err error) string {
	var te *TransitionError
	var fe *FieldError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &fe):
		return "invalid_field"
	case errors.As(err, &te):
		return "illegal_transition"
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrAlreadyClaimed):
		return "already_claimed"
	case errors.Is(err, ErrConflict):
		return "version_conflict"
	case errors.Is(err, ErrForbidden):
		return "forbidden"
	case errors.Is(err, ErrIdempotencyUsed):
		return "idempotency_key_reused"
	default:
		return "internal"
	}
}
