package ivr

import "time"

// Calendar answers whether the center is open; internal/calendar's
// *Calendar satisfies it. Flows ask through open("name") in expressions.
type Calendar interface {
	IsOpen(t time.Time) bool
}
