package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hotline10000/hotline/acd"
)

// Window is the span a KPI is computed over.
type Window string

// Windows. Hour is the current interval and the three before it (45 to 60
// minutes); Today starts at midnight in the center's time zone.
const (
	WindowInterval Window = "interval"
	WindowHour     Window = "hour"
	WindowToday    Window = "today"
)

// Windows lists the windows in order.
var Windows = []Window{WindowInterval, WindowHour, WindowToday}

// ParseWindow checks a window name.
func ParseWindow(s string) (Window, error) {
	switch w := Window(s); w {
	case WindowInterval, WindowHour, WindowToday:
		return w, nil
	case "":
		return WindowToday, nil
	}
	return "", fmt.Errorf("window: one of interval, hour, today")
}

// Filter selects the slices a report sums: a channel ("voice", "chat" or
// "" for both) and a queue ("" for all).
type Filter struct {
	Channel string `json:"channel"`
	Queue   string `json:"queue"`
}

// Value is one KPI in one report. Value is nil when the KPI had no input
// in the window ("no data", never 0 % or 100 %).
type Value struct {
	Definition
	Value       *float64 `json:"value"`
	Numerator   float64  `json:"numerator"`
	Denominator float64  `json:"denominator"`
	Target      string   `json:"target,omitempty"`
	Status      Status   `json:"status"`
	// Day is the day a batch KPI was computed for.
	Day string `json:"day,omitempty"`
}

// Extra is a figure exported beside the 23 (KPIS.md "Also export").
type Extra struct {
	ID    string   `json:"id"`
	Value *float64 `json:"value"`
	Doc   string   `json:"doc"`
}

// Report is every KPI for one window and filter at one instant.
type Report struct {
	At     time.Time `json:"at"`
	Window Window    `json:"window"`
	From   time.Time `json:"from"`
	Filter
	KPIs   []Value `json:"kpis"`
	Extras []Extra `json:"extras"`
}

// Get returns the KPI with id.
func (r Report) Get(id string) (Value, bool) {
	for _, v := range r.KPIs {
		if v.ID == id {
			return v, true
		}
	}
	return Value{}, false
}

// figures are the sums a report is computed from.
type figures struct {
	counters
	agentTime
	scheduled, loggedScheduled int64
	waiting                    int
	longest                    int64
	queues                     int // slices with a queue that matched
}

func (f Filter) match(s *slice) bool {
	if f.Queue != "" && s.key.queue != f.Queue {
		return false
	}
	if f.Channel != "" && s.key.ch.String() != f.Channel {
		return false
	}
	return true
}

// center says whether the filter is the whole center (agent time applies).
func (f Filter) center() bool { return f.Queue == "" && f.Channel == "" }

// windowStart returns the first interval of w at now and its start.
func (e *Engine) windowStart(w Window, now int64) (int, int64) {
	b := e.bucket(now)
	if b < 0 {
		return 0, e.dayStart
	}
	switch w {
	case WindowInterval:
	case WindowHour:
		b = max(b-3, 0)
	default:
		b = 0
	}
	return b, e.dayStart + int64(b)*int64(IntervalLength)
}

// windowSums sums each slice's intervals of window w at now, in e.order
// (a scrape reads every filter from one pass).
func (e *Engine) windowSums(w Window, now time.Time) []counters {
	n := now.UnixNano()
	e.roll(n)
	b0, _ := e.windowStart(w, n)
	b1 := e.bucket(n)
	out := make([]counters, len(e.order))
	for j, s := range e.order {
		for i := b0; i <= b1 && i >= 0; i++ {
			out[j].add(&s.b[i])
		}
	}
	return out
}

func (e *Engine) sum(w Window, f Filter, now time.Time) (figures, int64) {
	return e.sumWith(w, f, now, nil)
}

// sumWith adds up the figures of filter f; pre, when not nil, holds the
// slices' window sums (windowSums).
func (e *Engine) sumWith(w Window, f Filter, now time.Time, pre []counters) (figures, int64) {
	n := now.UnixNano()
	e.roll(n)
	b0, from := e.windowStart(w, n)
	b1 := e.bucket(n)
	var fg figures
	for j, s := range e.order {
		if !f.match(s) {
			continue
		}
		if s.key.queue != "" {
			fg.queues++
		}
		if pre != nil {
			fg.add(&pre[j])
		} else {
			for i := b0; i <= b1 && i >= 0; i++ {
				fg.add(&s.b[i])
			}
		}
		fg.waiting += len(s.waiting)
		for _, at := range s.waiting {
			fg.longest = max(fg.longest, n-at)
		}
	}
	if !f.center() {
		return fg, from
	}
	for i := b0; i <= b1 && i >= 0; i++ {
		fg.staffed += e.center[i].staffed
		fg.occupied += e.center[i].occupied
		fg.ready += e.center[i].ready
	}
	for _, a := range e.agents {
		logins := a.logins
		if a.state != acd.LoggedOut && n > a.since {
			var open [maxIntervals]agentTime
			lo := max(a.since, from)
			if n > lo {
				addTime(&open, e.dayStart, lo, n, a.state)
				for i := b0; i <= b1 && i >= 0; i++ {
					fg.staffed += open[i].staffed
					fg.occupied += open[i].occupied
					fg.ready += open[i].ready
				}
			}
			logins = append(slices.Clip(logins), span{max(a.since, e.dayStart), n})
		}
		for _, sh := range a.shifts {
			lo, hi := max(sh.from, from), min(sh.to, n)
			if hi <= lo {
				continue
			}
			fg.scheduled += hi - lo
			fg.loggedScheduled += overlap(logins, lo, hi)
		}
	}
	return fg, from
}

// Read reports every KPI of window w for filter f at now. Batch KPIs have
// no live value (see Batch).
func (e *Engine) Read(w Window, f Filter, now time.Time) Report {
	return e.read(w, f, now, nil)
}

func (e *Engine) read(w Window, f Filter, now time.Time, pre []counters) Report {
	fg, from := e.sumWith(w, f, now, pre)
	r := Report{At: now, Window: w, From: time.Unix(0, from).In(e.o.Location), Filter: f}
	sec := func(ns int64) float64 { return float64(ns) / 1e9 }
	hours := sec(fg.staffed) / 3600
	for _, d := range Definitions {
		v := Value{Definition: d}
		num, den, ok := 0.0, 0.0, true
		scale := 1.0
		switch d.ID {
		case "SL01":
			num, den = float64(fg.answered), float64(fg.requests)
		case "SL02":
			num, den = float64(fg.answeredInSL), float64(fg.requests)
		case "SL03":
			num, den = float64(fg.abandoned), float64(fg.requests)
		case "SL04":
			num, den = sec(fg.answerWait), float64(fg.answered)
		case "SL05":
			num, den, ok = float64(fg.waiting), 1, fg.queues > 0
		case "SL06":
			num, den, ok = sec(fg.longest), 1, fg.queues > 0
		case "EF01":
			num, den = sec(fg.talk+fg.hold+fg.acw), float64(fg.handled)
		case "EF02":
			num, den = sec(fg.acw), float64(fg.handled)
		case "EF03":
			num, den = sec(fg.occupied), sec(fg.occupied+fg.ready)
		case "EF04":
			num, den = sec(fg.loggedScheduled), sec(fg.scheduled)
		case "EF05":
			num, den = float64(fg.handled), hours
		case "EF06":
			num, den = float64(fg.ivrContained), float64(fg.ivrEnded)
		case "SQ03":
			num, den = float64(fg.satisfied), float64(fg.surveys)
		case "MK01":
			num, den = float64(fg.offeredContacts), float64(fg.answeredContacts)
		case "MK02":
			num, den = float64(fg.offersAccepted), float64(fg.offersPresented)
		case "MK03":
			num, den = float64(fg.sales), hours/8
		case "MK04":
			num, den = float64(fg.rightParty), float64(fg.outbound)
		case "MK05":
			num, den = float64(fg.outboundSales), float64(fg.rightParty)
		default: // batch: the latest day computed, center-wide
			ok = false
			for _, dv := range e.lastDay.KPIs {
				if dv.ID == d.ID && f.center() {
					num, den, ok, v.Day = dv.Numerator, dv.Denominator, dv.Value != nil, e.lastDay.Day
					if d.ID == "SQ06" {
						scale = 10000
					}
				}
			}
		}
		if d.CenterOnly && !f.center() {
			ok = false
		}
		v.Numerator, v.Denominator = round(num), round(den)
		if ok && den > 0 {
			x := round(num / den * scale)
			v.Value = &x
		}
		e.judge(&v, f.Channel)
		r.KPIs = append(r.KPIs, v)
	}
	ratio := func(num, den int64) *float64 {
		if den <= 0 {
			return nil
		}
		x := round(float64(num) / float64(den))
		return &x
	}
	cnt := func(n int64) *float64 { x := float64(n); return &x }
	r.Extras = []Extra{
		{ID: "loss_rate", Value: ratio(fg.abandoned+fg.lost, fg.requests), Doc: "呼损率: 1 − SL01 (abandoned and system-lost requests / agent requests)"},
		{ID: "requests", Value: cnt(fg.requests), Doc: "agent requests with an outcome (offered contacts)"},
		{ID: "short_abandons", Value: cnt(fg.shortAbandons), Doc: "abandons within the short-abandon limit (counted in SL03)"},
		{ID: "SL01_excl_short", Value: ratio(fg.answered, fg.requests-fg.shortAbandons), Doc: "SL01 without short abandons"},
		{ID: "SL02_excl_short", Value: ratio(fg.answeredInSL, fg.requests-fg.shortAbandons), Doc: "SL02 without short abandons"},
		{ID: "SL03_excl_short", Value: ratio(fg.abandoned-fg.shortAbandons, fg.requests-fg.shortAbandons), Doc: "SL03 without short abandons"},
		{ID: "system_lost", Value: cnt(fg.lost), Doc: "requests the system gave up (no agent, queue timeout, teardown)"},
		{ID: "ivr_contained", Value: cnt(fg.ivrContained), Doc: "IVR runs ended without an agent request (EF06's numerator)"},
		{ID: "survey_response_rate", Value: ratio(fg.surveys, fg.answered), Doc: "valid survey ratings / answered requests"},
		{ID: "outbound_attempts", Value: cnt(fg.outbound), Doc: "outbound attempts (MK04's denominator)"},
	}
	return r
}

func (e *Engine) judge(v *Value, channel string) {
	t, ok := e.o.Targets.For(v.ID, channel)
	if ok {
		v.Target = t.String()
	}
	switch {
	case v.Value == nil && v.Kind == Batch:
		v.Status = StatusNoData
	case v.Value == nil:
		v.Status = StatusNoData
	case !ok:
		v.Status = StatusNone
	default:
		v.Status = t.Judge(*v.Value)
	}
}

// round keeps six significant decimals, so reports compare exactly.
func round(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// Queues lists the slices' queues and channels with figures today, sorted.
func (e *Engine) Queues() []Filter {
	var out []Filter
	for _, s := range e.order {
		if s.key.queue != "" {
			out = append(out, Filter{Channel: s.key.ch.String(), Queue: s.key.queue})
		}
	}
	slices.SortFunc(out, func(a, b Filter) int {
		return cmp.Or(strings.Compare(a.Queue, b.Queue), strings.Compare(a.Channel, b.Channel))
	})
	return out
}
