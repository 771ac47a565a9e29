package calendar

import (
	"errors"
	"fmt"
)

// ErrInvalidSpec is matched (errors.Is) by every validation error New returns.
var ErrInvalidSpec = errors.New("invalid calendar spec")

// SpecError is one problem in a Spec: the field path (e.g. "weekly.mon[1]"),
// the offending value as written, and the reason.
type SpecError struct {
	Calendar string // Spec.Name
	Field    string // e.g. "time_zone", "weekly.mon[1]", "workdays[0].like"
	Value    string // the value as written
	Reason   string // e.g. "end before start"
	Err      error  // underlying cause, if any (e.g. from time.LoadLocation)
}

func (e *SpecError) Error() string {
	msg := fmt.Sprintf("calendar %q: %s: %q: %s", e.Calendar, e.Field, e.Value, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrInvalidSpec) true for every SpecError.
func (e *SpecError) Is(target error) bool { return target == ErrInvalidSpec }

func (e *SpecError) Unwrap() error { return e.Err }
