package knowledge

import "errors"

// Sentinel errors; check them with errors.Is.
var (
	ErrNotFound   = errors.New("article not found")
	ErrConflict   = errors.New("article version conflict") // If-Match lost to another editor
	ErrExists     = errors.New("article already exists")
	ErrTransition = errors.New("status change not allowed")
)

// FieldError names the field of an article or query that is wrong.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }
