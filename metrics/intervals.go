package metrics

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/hotline10000/hotline/internal/event"
)

// IntervalRow is one 15-minute interval of one queue (interval reports).
// Ratios are nil without data.
type IntervalRow struct {
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	Queue         string    `json:"queue"`
	Channel       string    `json:"channel"`
	Requests      int64     `json:"requests"`
	Answered      int64     `json:"answered"`
	AnsweredInSL  int64     `json:"answered_in_sl"`
	Abandoned     int64     `json:"abandoned"`
	ShortAbandons int64     `json:"short_abandons"`
	SystemLost    int64     `json:"system_lost"`
	Handled       int64     `json:"handled"`
	SL01          *float64  `json:"SL01"`
	SL02          *float64  `json:"SL02"`
	SL03          *float64  `json:"SL03"`
	SL04          *float64  `json:"SL04"`
	EF01          *float64  `json:"EF01"`
	EF02          *float64  `json:"EF02"`
}

// Intervals returns today's rows up to now, per queue in name order, each
// queue's intervals in time order.
func (e *Engine) Intervals(now time.Time) []IntervalRow {
	e.Advance(now)
	last := e.bucket(now.UnixNano())
	var rows []IntervalRow
	for _, q := range e.Queues() {
		s := e.slices[sliceKey{q.Queue, channelOf(q.Channel)}]
		for i := 0; i <= last; i++ {
			c := &s.b[i]
			start := time.Unix(0, e.dayStart+int64(i)*int64(IntervalLength)).In(e.o.Location)
			r := IntervalRow{Start: start, End: start.Add(IntervalLength), Queue: q.Queue, Channel: q.Channel,
				Requests: c.requests, Answered: c.answered, AnsweredInSL: c.answeredInSL, Abandoned: c.abandoned,
				ShortAbandons: c.shortAbandons, SystemLost: c.lost, Handled: c.handled}
			r.SL01 = ratioOf(float64(c.answered), float64(c.requests))
			r.SL02 = ratioOf(float64(c.answeredInSL), float64(c.requests))
			r.SL03 = ratioOf(float64(c.abandoned), float64(c.requests))
			r.SL04 = ratioOf(float64(c.answerWait)/1e9, float64(c.answered))
			r.EF01 = ratioOf(float64(c.talk+c.hold+c.acw)/1e9, float64(c.handled))
			r.EF02 = ratioOf(float64(c.acw)/1e9, float64(c.handled))
			rows = append(rows, r)
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
