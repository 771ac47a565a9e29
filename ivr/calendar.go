package ivr

import "time"

// Calendar answers whether the center is open; internal/calendar's
// *Calendar satisfies it. Flows ask through open("name") in expressions.
type Calendar interface {
	IsOpen(t time.Time) bool
}

// CalendarSource supplies calendars kept outside the flow set (the
// administration API's): flows may name them in open("name") besides
// those of calendars.yaml, and the source decides which one answers.
type CalendarSource interface {
	// Names lists the calendars the source has.
	Names() []string
	// Calendar is the calendar flows ask for name; file is the one of
	// calendars.yaml (nil when it has none).
	Calendar(name string, file Calendar) Calendar
}
