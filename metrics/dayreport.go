package metrics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline10000/hotline/internal/event"
)

// DayReport is the report of one day e-mailed to the managers: every KPI
// center-wide over the whole day, and each queue and channel's day summed
// from the interval rows.
type DayReport struct {
	Day  time.Time     // midnight in the center's time zone
	KPIs Report        // window today, read at the day's last instant
	Rows []IntervalRow // the day's interval rows (the interval store's)
}

// DayKPIs rebuilds day in a fresh engine from the stored log (the day
// before too, for the agents' states) and reads every KPI of the whole
// day, center-wide; the batch KPIs are batch's.
func DayKPIs(ctx context.Context, o Options, day time.Time, replay Replay, batch DayResult) (Report, error) {
	e := NewEngine(o)
	if err := replay(ctx, day.AddDate(0, 0, -1), day.AddDate(0, 0, 1), func(ev event.Event) { e.Apply(&ev) }); err != nil {
		return Report{}, err
	}
	e.Apply(&event.Event{Type: TypeDayComputed, Data: batch})
	return e.Read(WindowToday, Filter{}, day.AddDate(0, 0, 1).Add(-time.Nanosecond)), nil
}

// Mail renders the report as a plain-text e-mail (the outbox's mailer sends
// text): the subject and the body.
func (d DayReport) Mail() (subject, body string) {
	day := d.Day.Format("2006-01-02")
	subject = fmt.Sprintf("Hotline day report %s / 10000号日报", day)
	var b strings.Builder
	fmt.Fprintf(&b, "Hotline day report for %s (%s), center-wide.\n", day, d.Day.Location())
	b.WriteString("No data means no input that day, not 0 % or 100 %.\n\n")
	fmt.Fprintf(&b, "%-5s %-30s %12s  %-10s %-9s %s\n", "KPI", "name", "value", "target", "status", "指标")
	for _, v := range d.KPIs.KPIs {
		fmt.Fprintf(&b, "%-5s %-30s %12s  %-10s %-9s %s\n", v.ID, v.Name, Show(v.Unit, v.Value), cmp.Or(v.Target, "-"), v.Status, v.NameZH)
	}
	for _, x := range d.KPIs.Extras {
		if x.ID == "loss_rate" {
			fmt.Fprintf(&b, "\n呼损率 (loss rate, 1 − SL01): %s\n", Show(Fraction, x.Value))
		}
	}
	b.WriteString("\nQueues, the day's 15-minute rows summed:\n")
	fmt.Fprintf(&b, "%-16s %-7s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n", "queue", "channel", "requests", "answered",
		"in SL", "abandon", "lost", "SL01", "SL02", "SL03", "SL04")
	for _, r := range d.queueDays() {
		fmt.Fprintf(&b, "%-16s %-7s %8d %8d %8d %8d %8d %8s %8s %8s %8s\n", r.Queue, r.Channel, r.Requests, r.Answered,
			r.AnsweredInSL, r.Abandoned, r.SystemLost, Show(Fraction, r.SL01), Show(Fraction, r.SL02), Show(Fraction, r.SL03),
			Show(Seconds, r.SL04))
	}
	fmt.Fprintf(&b, "\nEvery 15-minute row (CSV for Excel): GET /api/v1/kpis/intervals?day=%s&format=csv\n", day)
	fmt.Fprintf(&b, "Per-agent figures: GET /api/v1/kpis/agents?day=%s&format=csv\n", day)
	return subject, b.String()
}

// queueDays sums the rows per queue and channel, in name order.
func (d DayReport) queueDays() []IntervalRow {
	var out []IntervalRow
	for _, r := range d.Rows {
		i := slices.IndexFunc(out, func(o IntervalRow) bool { return o.Queue == r.Queue && o.Channel == r.Channel })
		if i < 0 {
			out = append(out, IntervalRow{Start: d.Day, Queue: r.Queue, Channel: r.Channel})
			i = len(out) - 1
		}
		o := &out[i]
		o.Requests += r.Requests
		o.Answered += r.Answered
		o.AnsweredInSL += r.AnsweredInSL
		o.Abandoned += r.Abandoned
		o.ShortAbandons += r.ShortAbandons
		o.SystemLost += r.SystemLost
		o.Handled += r.Handled
		o.AnswerWait += r.AnswerWait
		o.Talk += r.Talk
		o.Hold += r.Hold
		o.ACW += r.ACW
	}
	for i := range out {
		out[i] = out[i].WithRatios()
	}
	slices.SortFunc(out, func(a, b IntervalRow) int {
		return cmp.Or(strings.Compare(a.Queue, b.Queue), strings.Compare(a.Channel, b.Channel))
	})
	return out
}

// Show formats a value in its unit for people: "92.5 %", "12.3 s",
// "1.25 ‱", "no data".
func Show(u Unit, v *float64) string {
	if v == nil {
		return "no data"
	}
	x := *v
	switch u {
	case Fraction:
		return strconv.FormatFloat(x*100, 'f', 1, 64) + " %"
	case Seconds:
		return strconv.FormatFloat(x, 'f', 1, 64) + " s"
	case PerTenThousd:
		return strconv.FormatFloat(x, 'f', 2, 64) + " ‱"
	case PerHour:
		return strconv.FormatFloat(x, 'f', 2, 64) + " /h"
	case Count:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}
