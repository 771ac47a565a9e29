package metrics

import (
	"context"
	"time"
)

// TrendIntervals is how many 15-minute intervals a tile's trend shows.
const TrendIntervals = 8

// Tile is one KPI on the supervisor board: today's value against its
// target, this interval's, and the trend of the last intervals (oldest
// first; nil where no data).
type Tile struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	NameZH   string     `json:"name_zh"`
	Category Category   `json:"category"`
	Unit     Unit       `json:"unit"`
	Target   string     `json:"target,omitempty"`
	Today    *float64   `json:"today"`
	Status   Status     `json:"status"`
	Interval *float64   `json:"interval"`
	Trend    []*float64 `json:"trend"`
	Day      string     `json:"day,omitempty"` // batch KPIs: the day computed
}

// Tiles are the center-wide KPI tiles at now.
func (e *Engine) Tiles(now time.Time) []Tile {
	e.Advance(now)
	today := e.Read(WindowToday, Filter{}, now)
	cur := e.Read(WindowInterval, Filter{}, now)
	n := now.UnixNano()
	b := e.bucket(n)
	var trend []Report
	for i := max(b-TrendIntervals+1, 0); i <= b && b >= 0; i++ {
		end := time.Unix(0, e.dayStart+int64(i+1)*int64(IntervalLength)-1)
		if i == b {
			end = now
		}
		trend = append(trend, e.Read(WindowInterval, Filter{}, end))
	}
	out := make([]Tile, 0, len(today.KPIs))
	for k, v := range today.KPIs {
		t := Tile{ID: v.ID, Name: v.Name, NameZH: v.NameZH, Category: v.Category, Unit: v.Unit, Target: v.Target,
			Today: v.Value, Status: v.Status, Interval: cur.KPIs[k].Value, Day: v.Day, Trend: []*float64{}}
		if v.Kind == Gauge {
			t.Today = cur.KPIs[k].Value // exact now, whatever the window
		}
		for _, r := range trend {
			t.Trend = append(t.Trend, r.KPIs[k].Value)
		}
		out = append(out, t)
	}
	return out
}

// Tiles reads the board's tiles at the clock's instant.
func (r *Runner) Tiles(ctx context.Context) ([]Tile, error) {
	var ts []Tile
	err := r.Do(ctx, func(e *Engine) { ts = e.Tiles(r.o.Clock()) })
	return ts, err
}

// QueueDay is one queue's agent requests today by outcome, counted where
// SL01 and SL03 count them (in the queue first entered, in the interval of
// the outcome): the supervisor board's queue rows show these, so the board
// and Prometheus show one truth.
type QueueDay struct {
	Answered  int `json:"answered"`
	Abandoned int `json:"abandoned"`
	Lost      int `json:"lost"`
}

// QueueDays returns every known queue's day at now (both channels summed).
func (e *Engine) QueueDays(now time.Time) map[string]QueueDay {
	n := now.UnixNano()
	e.roll(n)
	last := e.bucket(n)
	out := map[string]QueueDay{}
	for _, s := range e.order {
		if s.key.queue == "" {
			continue
		}
		d := out[s.key.queue]
		for i := 0; i <= last; i++ {
			c := &s.b[i]
			d.Answered += int(c.answered)
			d.Abandoned += int(c.abandoned)
			d.Lost += int(c.lost)
		}
		out[s.key.queue] = d
	}
	return out
}

// QueueDays reads every queue's day at the clock's instant.
func (r *Runner) QueueDays(ctx context.Context) (map[string]QueueDay, error) {
	var out map[string]QueueDay
	err := r.Do(ctx, func(e *Engine) { out = e.QueueDays(r.o.Clock()) })
	return out, err
}
