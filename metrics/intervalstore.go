package metrics

import (
	"context"
	"log/slog"
	"time"
)

// IntervalStore keeps the interval rows (the SQL store's kpi_intervals):
// the Runner writes each interval as it closes, again when after-contact
// work lands in it later, and the open one at shutdown; the reports of a
// past day read them.
type IntervalStore interface {
	// SaveIntervals writes rows, replacing a stored row with the same
	// start, queue and channel.
	SaveIntervals(ctx context.Context, rows []IntervalRow) error
	// Intervals lists the rows starting in [from, to), by queue, channel
	// and start.
	Intervals(ctx context.Context, from, to time.Time) ([]IntervalRow, error)
}

// rowWriter writes interval rows on its own goroutine, so the engine's
// goroutine never waits for the database. save and stop are called from
// the Runner's goroutine only.
type rowWriter struct {
	st      IntervalStore
	log     *slog.Logger
	timeout time.Duration
	in      chan []IntervalRow
	done    chan struct{}
	pending []IntervalRow // rows the writer was still too busy to take
}

func newRowWriter(st IntervalStore, log *slog.Logger) *rowWriter {
	w := &rowWriter{st: st, log: log, timeout: 30 * time.Second, in: make(chan []IntervalRow, 1), done: make(chan struct{})}
	go w.loop()
	return w
}

// save hands rows to the writer, or keeps them for the next call while it
// is busy.
func (w *rowWriter) save(rows []IntervalRow) {
	w.pending = append(w.pending, rows...)
	if len(w.pending) == 0 {
		return
	}
	select {
	case w.in <- w.pending:
		w.pending = nil
	default:
	}
}

// stop hands over the last rows, waits until they are written (or given
// up) and ends the writer.
func (w *rowWriter) stop(rows []IntervalRow) {
	w.pending = append(w.pending, rows...)
	if len(w.pending) > 0 {
		w.in <- w.pending
	}
	close(w.in)
	<-w.done
}

func (w *rowWriter) loop() {
	defer close(w.done)
	var failed []IntervalRow
	for rows := range w.in {
		rows = latestRows(append(failed, rows...))
		// Its own deadline, not the server's context: the last rows are
		// written while the server shuts down.
		ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
		err := w.st.SaveIntervals(ctx, rows)
		cancel()
		failed = nil
		if err != nil {
			w.log.Warn("kpi interval rows not stored; retried with the next interval", "rows", len(rows), "err", err)
			failed = rows
		}
	}
	if len(failed) > 0 {
		w.log.Error("kpi interval rows not stored at shutdown", "rows", len(failed))
	}
}

// latestRows keeps the last of the rows with the same start, queue and
// channel (a retried row and its newer value), in their order.
func latestRows(rows []IntervalRow) []IntervalRow {
	type key struct {
		start          int64
		queue, channel string
	}
	last := make(map[key]int, len(rows))
	for i, r := range rows {
		last[key{r.Start.UnixNano(), r.Queue, r.Channel}] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := make([]IntervalRow, 0, len(last))
	for i, r := range rows {
		if last[key{r.Start.UnixNano(), r.Queue, r.Channel}] == i {
			out = append(out, r)
		}
	}
	return out
}

// untilClose is the time from now to the end of now's interval.
func untilClose(now time.Time, loc *time.Location) time.Duration {
	lt := now.In(loc)
	midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	next := midnight.Add((now.Sub(midnight)/IntervalLength + 1) * IntervalLength)
	if end := midnight.AddDate(0, 0, 1); next.After(end) {
		next = end
	}
	return next.Sub(now)
}
