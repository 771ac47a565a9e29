package metrics

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/event"
)

// TypeDayComputed is the stored result of the batch KPIs for one day (its
// event time is the day's midnight in the center's time zone): the log is
// where the nightly job and `hotline kpi run --day` keep them.
const TypeDayComputed = "kpi.day_computed"

// DayResult is the batch KPIs of one day.
type DayResult struct {
	Day        string     `json:"day"` // YYYY-MM-DD in the center's time zone
	ComputedAt time.Time  `json:"computed_at"`
	KPIs       []DayValue `json:"kpis"`
}

// DayValue is one batch KPI of a day; Value is nil without data.
type DayValue struct {
	ID          string   `json:"id"`
	Value       *float64 `json:"value"`
	Numerator   float64  `json:"numerator"`
	Denominator float64  `json:"denominator"`
}

// BatchSpan is the stretch of the log a day's batch KPIs read: the six days
// before it (SQ02's 7 days) and the day after (SQ01's 24 hours).
func BatchSpan(day time.Time) (from, to time.Time) {
	return day.AddDate(0, 0, -6), day.AddDate(0, 0, 2)
}

// ComplaintLookback is how long before its day a complaint due that day
// can have been resolved and still be counted in SQ05: the ticket events
// (only they) are read from that far back.
const ComplaintLookback = 31 * 24 * time.Hour

// DecodeBatch reads a stored payload for the batch job: the engine's types
// and the ticket events; ok is false for the others.
func DecodeBatch(t event.Type, data json.RawMessage) (any, bool, error) {
	switch string(t) {
	case ticket.EventCreated, ticket.EventChanged, ticket.EventBreached:
		var e ticket.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, false, fmt.Errorf("decode %s: %w", t, err)
		}
		return e, true, nil
	}
	return Decode(t, data)
}

// ComputeDay computes SQ01, SQ02, SQ04, SQ05 and SQ06 of day (midnight in
// the center's time zone) from the events of BatchSpan(day), in order:
//
//   - SQ01: answered requests of the day whose customer reached no agent
//     again (another answered request) within 24 h / answered requests of
//     the day with a known customer.
//   - SQ02: answered requests of the day from customers with ≥ 4 answered
//     requests in the 7 days ending with the day / answered requests of
//     the day with a known customer.
//   - SQ04: evaluations of the day that passed (score ≥ pass mark, no fatal
//     error) / evaluations of the day.
//   - SQ05: complaint tickets due during the day that were resolved by
//     their deadline / complaint tickets due during the day. A complaint's
//     due instant is its resolution deadline (business time, paused while
//     pending): the one its resolve was judged against (the resolve
//     ticket.changed event's due), or, when the deadline passed first,
//     the breach's (ticket.sla_breached, clock resolution: late, whatever
//     follows). A reopened complaint counts with its last resolve. A
//     complaint cancelled or merged before its deadline, or without a
//     resolution target, is never due.
//   - SQ06: complaints about the hotline's own service created during the
//     day / answered requests of the day × 10 000.
func ComputeDay(day time.Time, events []event.Event, now time.Time) DayResult {
	start, end := day, day.AddDate(0, 0, 1)
	in := func(t time.Time) bool { return !t.Before(start) && t.Before(end) }
	type answer struct {
		customer string
		at       time.Time
	}
	var answers []answer // every answered request in the span, in order
	var evals, passed, answeredToday, complaintsService float64
	type complaint struct {
		due      time.Time // the resolution deadline
		resolved time.Time // of the last resolve counted
		onTime   bool
		breached bool
	}
	complaints := map[int64]*complaint{}
	complaintOf := func(id int64) *complaint {
		c := complaints[id]
		if c == nil {
			c = &complaint{}
			complaints[id] = c
		}
		return c
	}
	for i := range events {
		switch d := events[i].Data.(type) {
		case acd.Event:
			if d.Kind == acd.EventAnswered && d.Outcome == acd.Answered {
				answers = append(answers, answer{d.Customer, d.At})
				if in(d.At) {
					answeredToday++
				}
			}
		case Evaluation:
			if in(d.EvaluatedAt) {
				evals++
				if d.Passed() {
					passed++
				}
			}
		case ticket.Event:
			if d.Type != ticket.Complaint {
				continue
			}
			switch {
			case d.Kind == ticket.EventCreated:
				if d.AboutService && in(d.At) {
					complaintsService++
				}
			case d.Kind == ticket.EventChanged && d.Action == ticket.Resolve:
				// Without a deadline (no resolution target) it is
				// never due; a resolve logged before resolves carried
				// their deadline (no clock) counts on the day it was
				// made.
				if c := complaintOf(d.Ticket); !c.breached && !d.At.Before(c.resolved) {
					c.due, c.resolved, c.onTime = d.Due, d.At, d.OnTime
					if d.Due.IsZero() && d.Clock == "" {
						c.due = d.At
					}
				}
			case d.Kind == ticket.EventBreached && d.Clock == "resolution":
				c := complaintOf(d.Ticket)
				c.due, c.onTime, c.breached = d.Due, false, true
				if d.Due.IsZero() {
					c.due = d.At
				}
			}
		}
	}
	byCustomer := map[string][]time.Time{}
	for _, a := range answers {
		if a.customer != "" {
			byCustomer[a.customer] = append(byCustomer[a.customer], a.at)
		}
	}
	week := start.AddDate(0, 0, -6)
	var fcrNum, fcrDen, repNum float64
	for _, a := range answers {
		if !in(a.at) || a.customer == "" {
			continue
		}
		fcrDen++
		again, n := false, 0
		for _, t := range byCustomer[a.customer] {
			if t.After(a.at) && t.Sub(a.at) <= 24*time.Hour {
				again = true
			}
			if !t.Before(week) && t.Before(end) {
				n++
			}
		}
		if !again {
			fcrNum++
		}
		if n >= 4 {
			repNum++
		}
	}
	var onTime, dueToday float64
	for _, c := range complaints {
		if c.due.IsZero() || !in(c.due) {
			continue
		}
		dueToday++
		if c.onTime {
			onTime++
		}
	}
	val := func(id string, num, den, scale float64) DayValue {
		v := DayValue{ID: id, Numerator: num, Denominator: den}
		if den > 0 {
			x := round(num / den * scale)
			v.Value = &x
		}
		return v
	}
	return DayResult{Day: day.Format("2006-01-02"), ComputedAt: now.UTC(), KPIs: []DayValue{
		val("SQ01", fcrNum, fcrDen, 1),
		val("SQ02", repNum, fcrDen, 1),
		val("SQ04", passed, evals, 1),
		val("SQ05", onTime, dueToday, 1),
		val("SQ06", complaintsService, answeredToday, 10000),
	}}
}
