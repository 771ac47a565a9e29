package calendar

import (
	"sort"
	"sync/atomic"
	"time"
)

// Set is a node's administered calendars, replaced whole on every change
// (the administration API calls Replace after each committed edit). Its
// users hold Live calendars, which ask the Set at every question, so a
// holiday added through the API reaches the IVR and the ticket SLAs at
// once without reloading anything. Safe for concurrent use.
type Set struct {
	cals atomic.Pointer[map[string]*Calendar]
}

// NewSet returns an empty Set.
func NewSet() *Set {
	s := &Set{}
	s.Replace(nil)
	return s
}

// Replace installs cals (by name) as the administered calendars.
func (s *Set) Replace(cals map[string]*Calendar) {
	m := make(map[string]*Calendar, len(cals))
	for k, v := range cals {
		m[k] = v
	}
	s.cals.Store(&m)
}

// Get returns the administered calendar named name.
func (s *Set) Get(name string) (*Calendar, bool) {
	if s == nil {
		return nil, false
	}
	c, ok := (*s.cals.Load())[name]
	return c, ok
}

// Names lists the administered calendars' names, sorted.
func (s *Set) Names() []string {
	if s == nil {
		return nil
	}
	m := *s.cals.Load()
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Live returns the calendar named name as it is at each question: the
// administered one while the Set has it, else fallback (a calendar of a
// file: the flow set's calendars.yaml, the ticket settings file). With
// neither, it is never open and Add returns the zero Time.
func (s *Set) Live(name string, fallback *Calendar) *Live {
	return &Live{set: s, name: name, fallback: fallback}
}

// Live is a named calendar that follows its Set (see Set.Live).
type Live struct {
	set      *Set
	name     string
	fallback *Calendar
}

var never = &Calendar{name: "never", loc: time.UTC}

// Current is the calendar that answers now.
func (l *Live) Current() *Calendar {
	if c, ok := l.set.Get(l.name); ok {
		return c
	}
	if l.fallback != nil {
		return l.fallback
	}
	return never
}

// Name returns the calendar's name.
func (l *Live) Name() string { return l.name }

// IsOpen reports whether the current calendar is open at t.
func (l *Live) IsOpen(t time.Time) bool { return l.Current().IsOpen(t) }

// NextOpen is Calendar.NextOpen of the current calendar.
func (l *Live) NextOpen(t time.Time) time.Time { return l.Current().NextOpen(t) }

// NextClose is Calendar.NextClose of the current calendar.
func (l *Live) NextClose(t time.Time) time.Time { return l.Current().NextClose(t) }

// Add is Calendar.Add of the current calendar.
func (l *Live) Add(t time.Time, d time.Duration) time.Time { return l.Current().Add(t, d) }

// Between is Calendar.Between of the current calendar.
func (l *Live) Between(a, b time.Time) time.Duration { return l.Current().Between(a, b) }
