package ticket

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Calendar is business time: internal/calendar.Calendar implements it.
type Calendar interface {
	Name() string
	Add(t time.Time, d time.Duration) time.Time
	Between(a, b time.Time) time.Duration
}

// Policy sets the SLA targets for tickets matching Type × Priority × Tier. An
// empty selector matches anything; the most specific matching policy wins.
type Policy struct {
	Name          string        `yaml:"name" json:"name"`
	Type          Type          `yaml:"type" json:"type,omitempty"`
	Priority      Priority      `yaml:"priority" json:"priority,omitempty"`
	Tier          Tier          `yaml:"tier" json:"tier,omitempty"`
	FirstResponse time.Duration `yaml:"first_response" json:"first_response"` // business time; 0 = no target
	Resolution    time.Duration `yaml:"resolution" json:"resolution"`         // business time; 0 = no target
	Calendar      string        `yaml:"calendar" json:"calendar,omitempty"`   // name; empty = the default calendar
}

func (p Policy) specificity() int {
	n := 0
	for _, set := range []bool{p.Type != "", p.Priority != "", p.Tier != ""} {
		if set {
			n++
		}
	}
	return n
}

func (p Policy) matches(t *Ticket) bool {
	return (p.Type == "" || p.Type == t.Type) &&
		(p.Priority == "" || p.Priority == t.Priority) &&
		(p.Tier == "" || p.Tier == t.Customer.Tier)
}

// EscalationStep is one rung of the chain climbed after a resolution breach.
// After is business time past the deadline (0 = at the breach itself).
type EscalationStep struct {
	After         time.Duration `yaml:"after" json:"after"`
	NotifyLead    bool          `yaml:"notify_lead" json:"notify_lead"`
	RaisePriority bool          `yaml:"raise_priority" json:"raise_priority"`
	MoveTo        string        `yaml:"move_to" json:"move_to,omitempty"` // escalation group; empty = stay
}

// SLAConfig is the whole time-limit configuration.
type SLAConfig struct {
	Policies   []Policy         `yaml:"policies"`
	WarnAt     []float64        `yaml:"warn_at"` // fractions of a target, e.g. 0.75
	Escalation []EscalationStep `yaml:"escalation"`
}

// Validate checks the configuration; errors name the offending entry.
func (c SLAConfig) Validate(calendars map[string]Calendar) error {
	for i, p := range c.Policies {
		at := fmt.Sprintf("sla.policies[%d]", i)
		switch {
		case p.Name == "":
			return fmt.Errorf("%s.name: required", at)
		case p.Type != "" && !p.Type.Valid():
			return fmt.Errorf("%s.type: unknown type %q", at, p.Type)
		case p.Priority != "" && !p.Priority.Valid():
			return fmt.Errorf("%s.priority: unknown priority %q", at, p.Priority)
		case p.Tier != "" && !p.Tier.Valid():
			return fmt.Errorf("%s.tier: unknown tier %q", at, p.Tier)
		case p.FirstResponse < 0 || p.Resolution < 0:
			return fmt.Errorf("%s: targets must not be negative", at)
		case p.FirstResponse > 0 && p.Resolution > 0 && p.FirstResponse > p.Resolution:
			return fmt.Errorf("%s.first_response: longer than resolution", at)
		}
		if _, ok := calendars[p.Calendar]; p.Calendar != "" && !ok {
			return fmt.Errorf("%s.calendar: unknown calendar %q", at, p.Calendar)
		}
		for j, q := range c.Policies[:i] {
			if q.Type == p.Type && q.Priority == p.Priority && q.Tier == p.Tier {
				return fmt.Errorf("%s: same selector as sla.policies[%d]", at, j)
			}
		}
	}
	for i, f := range c.WarnAt {
		if !(f > 0 && f < 1) {
			return fmt.Errorf("sla.warn_at[%d]: %v is not a fraction between 0 and 1", i, f)
		}
	}
	for i, s := range c.Escalation {
		if s.After < 0 {
			return fmt.Errorf("sla.escalation[%d].after: must not be negative", i)
		}
		if i > 0 && s.After < c.Escalation[i-1].After {
			return fmt.Errorf("sla.escalation[%d].after: steps must be in order", i)
		}
		if err := checkName("move_to", s.MoveTo); err != nil {
			return fmt.Errorf("sla.escalation[%d].%w", i, err)
		}
	}
	return nil
}

// policyFor returns the most specific policy matching t, if any.
func (c SLAConfig) policyFor(t *Ticket) (Policy, bool) {
	best, found := Policy{}, false
	for _, p := range c.Policies {
		if p.matches(t) && (!found || p.specificity() > best.specificity()) {
			best, found = p, true
		}
	}
	return best, found
}

// SLA is a ticket's time-limit state. The resolution clock runs from creation,
// stops while pending or resolved, and counts business time only: Used is what
// was consumed before Since, the start of the current running stretch (zero
// while stopped). Deadlines are projections of the running clocks.
type SLA struct {
	Policy           string        `json:"policy,omitempty"`
	Calendar         string        `json:"calendar,omitempty"`
	FirstResponse    time.Duration `json:"-"` // business time; "first_response_target" in seconds on the wire
	Resolution       time.Duration `json:"-"` // business time; "resolution_target" in seconds on the wire
	FirstResponseDue time.Time     `json:"first_response_due,omitzero"`
	FirstResponseAt  time.Time     `json:"first_response_at,omitzero"`
	ResolutionDue    time.Time     `json:"resolution_due,omitzero"` // zero while the clock is stopped
	ResolvedAt       time.Time     `json:"resolved_at,omitzero"`
	Used             time.Duration `json:"-"` // "used" in seconds on the wire
	Since            time.Time     `json:"since,omitzero"`
	FirstBreached    bool          `json:"first_response_breached"`
	Breached         bool          `json:"resolution_breached"`
	OnTime           bool          `json:"on_time"` // resolved within the target (valid once resolved)
	Fired            []string      `json:"fired"`   // timers already fired, never again
	NextDue          time.Time     `json:"-"`       // earliest unfired timer; indexed by the store
	Deadline         time.Time     `json:"-"`       // earliest running deadline; pool urgency, indexed
}

// timerKind is what a timer does when it fires.
type timerKind int

const (
	warnFirst timerKind = iota
	breachFirst
	warnResolution
	breachResolution
	escalate
)

// timer is one instant at which something fires, keyed for exactly-once.
type timer struct {
	key      string
	kind     timerKind
	at       time.Time
	fraction float64 // warnings
	step     int     // escalations
}

// timers lists t's unfired timers that are armed now (clock running), in order
// of their instants.
func (c SLAConfig) timers(t *Ticket, cal Calendar) []timer {
	s := &t.SLA
	var out []timer
	add := func(tm timer) {
		if !slices.Contains(s.Fired, tm.key) {
			out = append(out, tm)
		}
	}
	if !t.Open() {
		return nil
	}
	if s.FirstResponse > 0 && s.FirstResponseAt.IsZero() {
		for _, f := range c.WarnAt {
			add(timer{key: "first_warn_" + pct(f), kind: warnFirst, fraction: f,
				at: cal.Add(t.CreatedAt, frac(s.FirstResponse, f))})
		}
		add(timer{key: "first_breach", kind: breachFirst, at: s.FirstResponseDue})
	}
	if s.Resolution > 0 && !s.Since.IsZero() {
		at := func(threshold time.Duration) time.Time {
			left := threshold - s.Used
			if left <= 0 {
				return s.Since
			}
			return cal.Add(s.Since, left)
		}
		for _, f := range c.WarnAt {
			add(timer{key: "warn_" + pct(f), kind: warnResolution, fraction: f, at: at(frac(s.Resolution, f))})
		}
		add(timer{key: "breach", kind: breachResolution, at: at(s.Resolution)})
		for i, e := range c.Escalation {
			add(timer{key: "escalate_" + strconv.Itoa(i+1), kind: escalate, step: i, at: at(s.Resolution + e.After)})
		}
	}
	slices.SortStableFunc(out, func(a, b timer) int { return a.at.Compare(b.at) })
	return out
}

func frac(d time.Duration, f float64) time.Duration {
	return time.Duration(math.Round(float64(d) * f))
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) }

// plan recomputes the projected deadlines and the next timer instant.
func (c SLAConfig) plan(t *Ticket, cal Calendar) {
	s := &t.SLA
	s.ResolutionDue = time.Time{}
	if s.Resolution > 0 && !s.Since.IsZero() {
		if left := s.Resolution - s.Used; left > 0 {
			s.ResolutionDue = cal.Add(s.Since, left)
		} else {
			s.ResolutionDue = s.Since
		}
	}
	s.Deadline = time.Time{}
	if t.Open() {
		if s.FirstResponse > 0 && s.FirstResponseAt.IsZero() {
			s.Deadline = s.FirstResponseDue
		}
		if !s.ResolutionDue.IsZero() && (s.Deadline.IsZero() || s.ResolutionDue.Before(s.Deadline)) {
			s.Deadline = s.ResolutionDue
		}
	}
	s.NextDue = time.Time{}
	if ts := c.timers(t, cal); len(ts) > 0 {
		s.NextDue = ts[0].at
	}
}

// start sets up the clocks of a new ticket created at now.
func (c SLAConfig) start(t *Ticket, cal Calendar, now time.Time) {
	s := &t.SLA
	if p, ok := c.policyFor(t); ok {
		s.Policy, s.Calendar = p.Name, p.Calendar
		s.FirstResponse, s.Resolution = p.FirstResponse, p.Resolution
	}
	if s.FirstResponse > 0 {
		s.FirstResponseDue = cal.Add(now, s.FirstResponse)
	}
	s.Since = now
	c.plan(t, cal)
}

// stop halts the resolution clock at now, banking the business time used.
func stop(s *SLA, cal Calendar, now time.Time) {
	if s.Since.IsZero() {
		return
	}
	s.Used += cal.Between(s.Since, now)
	s.Since = time.Time{}
}

// move updates the clocks after a status change made at now.
func (c SLAConfig) move(t *Ticket, before Status, cal Calendar, now time.Time) {
	s := &t.SLA
	runs := t.Status.clockRuns()
	switch {
	case runs && s.Since.IsZero():
		s.Since = now
	case !runs && !s.Since.IsZero():
		stop(s, cal, now)
	}
	if t.Status == InProgress && s.FirstResponseAt.IsZero() {
		s.FirstResponseAt = now
	}
	switch {
	case t.Status == Resolved && before != Resolved:
		s.ResolvedAt = now
		// A breach that fired at the deadline instant counts, so the
		// on-time flag never contradicts the breach event.
		s.OnTime = s.Resolution == 0 || (s.Used <= s.Resolution && !s.Breached)
	case t.Status == Assigned || t.Status == Pooled:
		if before == Resolved || before == Visiting || before == Closed {
			s.ResolvedAt, s.OnTime = time.Time{}, false
		}
	}
	c.plan(t, cal)
}

// respond records a first response (a customer-visible reply) at now.
func (c SLAConfig) respond(t *Ticket, cal Calendar, now time.Time) {
	if t.SLA.FirstResponseAt.IsZero() {
		t.SLA.FirstResponseAt = now
		c.plan(t, cal)
	}
}
