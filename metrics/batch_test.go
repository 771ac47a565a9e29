package metrics

import (
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/event"
)

func TestComputeDay(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, loc)
	at := func(d, h int) time.Time { return day.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour) }
	var evs []event.Event
	answered := func(when time.Time, customer string) {
		evs = append(evs, event.Event{At: when, Data: acd.Event{Kind: acd.EventAnswered, At: when, Customer: customer, Outcome: acd.Answered}})
	}
	// Customer A: answered on the day at 09:00 and again the next day at
	// 08:00 (within 24 h: not resolved first time).
	answered(at(0, 9), "A")
	answered(at(1, 8), "A")
	// Customer B: answered at 10:00 and again 25 h later: resolved.
	answered(at(0, 10), "B")
	answered(at(1, 11), "B")
	// Customer C: three answers in the six days before and one on the day:
	// a repeat caller (4 in 7 days); the earlier ones are not the day's.
	answered(at(-6, 9), "C")
	answered(at(-3, 9), "C")
	answered(at(-1, 9), "C")
	answered(at(0, 12), "C")
	// An answer without customer identity: in SQ06's denominator only.
	answered(at(0, 13), "")
	// A second answer after a transfer carries no outcome: not a request.
	evs = append(evs, event.Event{At: at(0, 14), Data: acd.Event{Kind: acd.EventAnswered, At: at(0, 14), Customer: "A"}})
	evs = append(evs,
		event.Event{At: at(0, 9), Data: Evaluation{ID: "q1", Score: 90, PassMark: 80, EvaluatedAt: at(0, 9)}},
		event.Event{At: at(0, 9), Data: Evaluation{ID: "q2", Score: 95, PassMark: 80, Fatal: true, EvaluatedAt: at(0, 9)}},
		event.Event{At: at(0, 9), Data: Evaluation{ID: "q3", Score: 70, PassMark: 80, EvaluatedAt: at(0, 9)}},
		event.Event{At: at(-1, 9), Data: Evaluation{ID: "q4", Score: 99, PassMark: 80, EvaluatedAt: at(-1, 9)}},
		event.Event{At: at(0, 8), Data: ticket.Event{Kind: ticket.EventCreated, At: at(0, 8), Ticket: 1, Type: ticket.Complaint, AboutService: true}},
		event.Event{At: at(0, 8), Data: ticket.Event{Kind: ticket.EventCreated, At: at(0, 8), Ticket: 2, Type: ticket.Complaint}},
		event.Event{At: at(0, 18), Data: ticket.Event{Kind: ticket.EventBreached, At: at(0, 18), Ticket: 3, Type: ticket.Complaint, Clock: "first_response", Due: at(0, 18)}},
		event.Event{At: at(0, 18), Data: ticket.Event{Kind: ticket.EventChanged, Action: ticket.Resolve, At: at(0, 18), Ticket: 4, Type: ticket.Fault, OnTime: true, Clock: "resolution", Due: at(0, 19)}},
	)
	// SQ05 counts complaints by the day their resolution deadline falls
	// in, whenever they were resolved.
	resolve := func(id int64, when, due time.Time, onTime bool) {
		evs = append(evs, event.Event{At: when, Data: ticket.Event{Kind: ticket.EventChanged, Action: ticket.Resolve, At: when,
			Ticket: id, Type: ticket.Complaint, OnTime: onTime, Clock: "resolution", Due: due}})
	}
	breach := func(id int64, due time.Time) {
		evs = append(evs, event.Event{At: due.Add(time.Second), Data: ticket.Event{Kind: ticket.EventBreached, At: due.Add(time.Second),
			Ticket: id, Type: ticket.Complaint, Clock: "resolution", Due: due}})
	}
	resolve(10, at(-20, 9), at(0, 9), true) // resolved 20 days early, due on the day: on time
	resolve(11, at(0, 15), at(0, 16), true) // on time
	resolve(12, at(0, 15), at(1, 9), true)  // resolved on the day, due the next: not the day's
	breach(13, at(0, 17))                   // deadline passed on the day, resolved the next: late
	resolve(13, at(1, 10), at(0, 17), false)
	breach(14, at(-1, 17))                    // due the day before: not the day's
	resolve(15, at(0, 11), at(0, 12), true)   // resolved on time, reopened,
	resolve(15, at(1, 9), at(1, 12), true)    // resolved again: due with its last resolve, the next day
	resolve(16, at(0, 10), time.Time{}, true) // no resolution target: never due
	evs = append(evs, event.Event{At: at(0, 20), Data: ticket.Event{Kind: ticket.EventChanged, Action: ticket.Resolve,
		At: at(0, 20), Ticket: 17, Type: ticket.Complaint, OnTime: false}}) // logged before resolves carried their deadline: due when resolved
	got := ComputeDay(day, evs, day.AddDate(0, 0, 1))
	want := map[string][2]float64{"SQ01": {2, 3}, "SQ02": {1, 3}, "SQ04": {1, 3}, "SQ05": {2, 4}, "SQ06": {1 * 10000, 4}}
	if got.Day != "2026-11-23" || len(got.KPIs) != 5 {
		t.Fatalf("got %+v", got)
	}
	for _, v := range got.KPIs {
		w := want[v.ID]
		num := v.Numerator
		if v.ID == "SQ06" {
			num *= 10000
		}
		if num != w[0] || v.Denominator != w[1] || v.Value == nil {
			t.Errorf("%s: got %g/%g, want %g/%g", v.ID, v.Numerator, v.Denominator, w[0], w[1])
		}
	}
	empty := ComputeDay(day, nil, day)
	for _, v := range empty.KPIs {
		if v.Value != nil {
			t.Errorf("%s without input: %g, want no data", v.ID, *v.Value)
		}
	}
}
