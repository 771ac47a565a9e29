package metrics

import (
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
)

// IntervalRow is one 15-minute interval of one queue and channel
// (interval reports; the SQL store's kpi_intervals). The counts and the
// time sums are what is stored; the ratios are derived from them
// (WithRatios) and nil without data.
type IntervalRow struct {
	Start         time.Time     `json:"start"`
	End           time.Time     `json:"end"`
	Queue         string        `json:"queue"`
	Channel       string        `json:"channel"`
	Requests      int64         `json:"requests"`
	Answered      int64         `json:"answered"`
	AnsweredInSL  int64         `json:"answered_in_sl"`
	Abandoned     int64         `json:"abandoned"`
	ShortAbandons int64         `json:"short_abandons"`
	SystemLost    int64         `json:"system_lost"`
	Handled       int64         `json:"handled"`
	AnswerWait    time.Duration `json:"-"` // Σ wait of the answered
	Talk          time.Duration `json:"-"` // Σ talk, hold and after-contact work of the handled
	Hold          time.Duration `json:"-"`
	ACW           time.Duration `json:"-"`
	SL01          *float64      `json:"SL01"`
	SL02          *float64      `json:"SL02"`
	SL03          *float64      `json:"SL03"`
	SL04          *float64      `json:"SL04"`
	EF01          *float64      `json:"EF01"`
	EF02          *float64      `json:"EF02"`
}

// WithRatios returns r with End and the ratios derived from its sums.
func (r IntervalRow) WithRatios() IntervalRow {
	r.End = r.Start.Add(IntervalLength)
	r.SL01 = ratioOf(float64(r.Answered), float64(r.Requests))
	r.SL02 = ratioOf(float64(r.AnsweredInSL), float64(r.Requests))
	r.SL03 = ratioOf(float64(r.Abandoned), float64(r.Requests))
	r.SL04 = ratioOf(r.AnswerWait.Seconds(), float64(r.Answered))
	r.EF01 = ratioOf((r.Talk + r.Hold + r.ACW).Seconds(), float64(r.Handled))
	r.EF02 = ratioOf(r.ACW.Seconds(), float64(r.Handled))
	return r
}

// row is slice s's interval i of the day starting at day (ns).
func (e *Engine) row(s *slice, day int64, i int) IntervalRow {
	c := &s.b[i]
	return IntervalRow{Start: time.Unix(0, day+int64(i)*int64(IntervalLength)).In(e.o.Location),
		Queue: s.key.queue, Channel: s.key.ch.String(), Requests: c.requests, Answered: c.answered,
		AnsweredInSL: c.answeredInSL, Abandoned: c.abandoned, ShortAbandons: c.shortAbandons, SystemLost: c.lost,
		Handled: c.handled, AnswerWait: time.Duration(c.answerWait), Talk: time.Duration(c.talk),
		Hold: time.Duration(c.hold), ACW: time.Duration(c.acw)}.WithRatios()
}

// Intervals returns today's rows up to now, per queue and channel in name
// order, each one's intervals in time order.
func (e *Engine) Intervals(now time.Time) []IntervalRow {
	e.Advance(now)
	last := e.bucket(now.UnixNano())
	var rows []IntervalRow
	for _, q := range e.Queues() {
		s := e.slices[sliceKey{q.Queue, channelOf(q.Channel)}]
		for i := 0; i <= last; i++ {
			rows = append(rows, e.row(s, e.dayStart, i))
		}
	}
	return rows
}

// intervalsOf is the number of intervals of the day [start, end).
func intervalsOf(start, end int64) int {
	return min(int((end-start+int64(IntervalLength)-1)/int64(IntervalLength)), maxIntervals)
}

// takeRows returns the rows to store at now: those of a day that ended
// since the last call, then today's intervals up to the last closed one
// (up to the open one too when open) that were never taken or changed
// since (after-contact work lands in the interval where the talk ended).
// Every queue's closed interval is taken once even without contacts, so
// the stored day has the rows the live engine shows.
func (e *Engine) takeRows(now time.Time, open bool) []IntervalRow {
	n := now.UnixNano()
	e.roll(n)
	rows := e.closedDay
	e.closedDay = nil
	cur := e.bucket(n)
	if cur < 0 {
		return rows
	}
	last := cur - 1
	if open {
		last = cur
	}
	rows = append(rows, e.dirtyRows(last)...)
	e.taken = max(e.taken, cur-1)
	return rows
}

// dirtyRows takes today's rows up to interval last that changed or were
// never taken, in the order of Intervals.
func (e *Engine) dirtyRows(last int) []IntervalRow {
	var rows []IntervalRow
	for _, q := range e.Queues() {
		s := e.slices[sliceKey{q.Queue, channelOf(q.Channel)}]
		for i := 0; i <= last; i++ {
			if i > e.taken || s.dirty[i/64]&(1<<(i%64)) != 0 {
				rows = append(rows, e.row(s, e.dayStart, i))
				s.dirty[i/64] &^= 1 << (i % 64)
			}
		}
	}
	return rows
}

func ratioOf(num, den float64) *float64 {
	if den <= 0 {
		return nil
	}
	x := round(num / den)
	return &x
}

// WriteIntervalsCSV writes rows as CSV that opens in Excel: a UTF-8 byte
// order mark, a header row, times in the center's zone, empty cells for no
// data.
func WriteIntervalsCSV(w io.Writer, rows []IntervalRow) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	_ = cw.Write([]string{"start", "end", "queue", "channel", "requests", "answered", "answered_in_sl", "abandoned",
		"short_abandons", "system_lost", "handled", "SL01", "SL02", "SL03", "SL04_s", "EF01_s", "EF02_s"})
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	val := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	for _, r := range rows {
		_ = cw.Write([]string{r.Start.Format("2006-01-02 15:04"), r.End.Format("2006-01-02 15:04"), r.Queue, r.Channel,
			num(r.Requests), num(r.Answered), num(r.AnsweredInSL), num(r.Abandoned), num(r.ShortAbandons), num(r.SystemLost),
			num(r.Handled), val(r.SL01), val(r.SL02), val(r.SL03), val(r.SL04), val(r.EF01), val(r.EF02)})
	}
	cw.Flush()
	return cw.Error()
}

// DayIntervals rebuilds a past day in a fresh engine from the stored log
// (the day before too, for the agents' states) and returns its rows.
func DayIntervals(ctx context.Context, o Options, day time.Time, replay Replay) ([]IntervalRow, error) {
	e := NewEngine(o)
	if err := replay(ctx, day.AddDate(0, 0, -1), day.AddDate(0, 0, 1), func(ev event.Event) { e.Apply(&ev) }); err != nil {
		return nil, err
	}
	return e.Intervals(day.AddDate(0, 0, 1).Add(-time.Nanosecond)), nil
}

// AgentRow is one agent's day (per-agent figures live here, never in
// Prometheus). Times are seconds; ratios nil without data.
type AgentRow struct {
	AgentID   string   `json:"agent_id"`
	Handled   int64    `json:"handled"`
	TalkS     float64  `json:"talk_s"`
	HoldS     float64  `json:"hold_s"`
	ACWS      float64  `json:"acw_s"`
	StaffedS  float64  `json:"staffed_s"`
	ReadyS    float64  `json:"ready_s"`
	OccupiedS float64  `json:"occupied_s"`
	EF01      *float64 `json:"EF01"` // average handle time
	EF02      *float64 `json:"EF02"` // average after-contact work
	EF03      *float64 `json:"EF03"` // occupancy
	EF05      *float64 `json:"EF05"` // handled per staffed hour
}

// Agents returns every agent's figures today up to now, by agent id.
func (e *Engine) Agents(now time.Time) []AgentRow {
	e.Advance(now)
	n := now.UnixNano()
	var rows []AgentRow
	for id, a := range e.agents {
		d := a.day
		if a.state != acd.LoggedOut && n > a.since {
			d.add(a.state, n-max(a.since, e.dayStart))
		}
		if d.staffed == 0 && d.handled == 0 {
			continue
		}
		sec := func(ns int64) float64 { return round(float64(ns) / 1e9) }
		r := AgentRow{AgentID: id, Handled: d.handled, TalkS: sec(d.talk), HoldS: sec(d.hold), ACWS: sec(d.acw),
			StaffedS: sec(d.staffed), ReadyS: sec(d.ready), OccupiedS: sec(d.occupied)}
		r.EF01 = ratioOf(float64(d.talk+d.hold+d.acw)/1e9, float64(d.handled))
		r.EF02 = ratioOf(float64(d.acw)/1e9, float64(d.handled))
		r.EF03 = ratioOf(float64(d.occupied), float64(d.occupied+d.ready))
		r.EF05 = ratioOf(float64(d.handled), float64(d.staffed)/3.6e12)
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b AgentRow) int { return strings.Compare(a.AgentID, b.AgentID) })
	return rows
}

// WriteAgentsCSV writes agent rows as CSV for Excel (see WriteIntervalsCSV).
func WriteAgentsCSV(w io.Writer, rows []AgentRow) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	_ = cw.Write([]string{"agent_id", "handled", "talk_s", "hold_s", "acw_s", "staffed_s", "ready_s", "occupied_s",
		"EF01_s", "EF02_s", "EF03", "EF05"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	val := func(p *float64) string {
		if p == nil {
			return ""
		}
		return f(*p)
	}
	for _, r := range rows {
		_ = cw.Write([]string{r.AgentID, strconv.FormatInt(r.Handled, 10), f(r.TalkS), f(r.HoldS), f(r.ACWS),
			f(r.StaffedS), f(r.ReadyS), f(r.OccupiedS), val(r.EF01), val(r.EF02), val(r.EF03), val(r.EF05)})
	}
	cw.Flush()
	return cw.Error()
}

// DayAgents rebuilds a past day's agent figures from the stored log.
func DayAgents(ctx context.Context, o Options, day time.Time, replay Replay) ([]AgentRow, error) {
	e := NewEngine(o)
	if err := replay(ctx, day.AddDate(0, 0, -1), day.AddDate(0, 0, 1), func(ev event.Event) { e.Apply(&ev) }); err != nil {
		return nil, err
	}
	return e.Agents(day.AddDate(0, 0, 1).Add(-time.Nanosecond)), nil
}
