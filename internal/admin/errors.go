package admin

import (
	"errors"
	"fmt"
)

// Sentinel errors of the package's own checks.
var (
	ErrForbidden = errors.New("forbidden")
	ErrReplay    = errors.New("idempotency key used before")
)

// fieldError is a request field (or If-Match header, or CSV line) that
// failed validation: answered 400 (or Status) naming Field.
type fieldError struct {
	Field   string
	Message string
	Status  int    // 0: 400
	Code    string // "": invalid_field
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Message }

func badField(field, format string, args ...any) *fieldError {
	return &fieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}
