package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hotline10000/hotline/internal/event"
)

// ErrStopped is returned by the Runner's reads after Run has returned,
// ErrNotReady before it has rebuilt today from the log.
var (
	ErrStopped  = errors.New("kpi engine stopped")
	ErrNotReady = errors.New("kpi engine not ready: rebuilding today from the event log")
)

// Replay reads the stored event log from from (inclusive) to to
// (exclusive; zero: up to now), in the log's order, calling fn for each
// event the engine reads (Wanted); the server pages through store.Events
// with it.
type Replay func(ctx context.Context, from, to time.Time, fn func(event.Event)) error

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	Engine Options
	// Clock gives the instant of reads (default time.Now).
	Clock func() time.Time
	// Replay rebuilds today on start (nil: start from zero).
	Replay Replay
	// Queues lists the configured queues at start (Engine.AddQueues).
	Queues func(context.Context) ([]Filter, error)
	// Buffer is the bus subscription's size (default 16384); Wait the
	// publisher back-pressure before a drop (default 2 s).
	Buffer int
	Wait   time.Duration
	Logger *slog.Logger
	// Intervals stores the 15-minute rows as each interval closes and
	// at shutdown (nil: none stored; a past day's report is replayed from
	// the log).
	Intervals IntervalStore
	// After is the timer of interval closes (default time.After; tests
	// inject theirs with Clock).
	After func(time.Duration) <-chan time.Time
	// OnApply, when set, runs on the owner goroutine after each live
	// event (the Prometheus collector's raw series read the engine).
	OnApply func(*Engine, *event.Event)
}

// Runner owns one Engine in one goroutine: it rebuilds today from the log,
// then applies the bus's events and serves reads between them.
type Runner struct {
	o     RunnerOptions
	sub   *event.Subscription
	eng   *Engine
	reqs  chan func(*Engine)
	done  chan struct{}
	built chan struct{}
}

// NewRunner subscribes to bus now (so no event published after it returns
// is missed, WaitUpTo: none silently lost); Run consumes.
func NewRunner(bus *event.Bus, o RunnerOptions) *Runner {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Buffer <= 0 {
		o.Buffer = 16384
	}
	if o.Wait <= 0 {
		o.Wait = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.After == nil {
		o.After = time.After
	}
	r := &Runner{o: o, eng: NewEngine(o.Engine), reqs: make(chan func(*Engine)), done: make(chan struct{}),
		built: make(chan struct{})}
	r.eng.keepRows = o.Intervals != nil
	r.sub = bus.Subscribe("kpi-engine", o.Buffer, event.WaitUpTo(o.Wait), func(e *event.Event) bool { return Wanted(e.Type) })
	return r
}

// Dropped counts the bus events the engine missed.
func (r *Runner) Dropped() uint64 { return r.sub.Dropped() }

// Run rebuilds today from the log (the agent states from the day before,
// so agents logged in over midnight are known), then applies live events
// until ctx ends or the bus closes.
func (r *Runner) Run(ctx context.Context) error {
	defer close(r.done)
	defer r.sub.Close()
	r.addQueues(ctx)
	var pending []event.Event
	seen, err := r.rebuild(ctx, &pending)
	if err != nil {
		r.o.Logger.Error("kpi engine: today not rebuilt from the event log; counting from now", "err", err)
	}
	r.eng.StartLive(r.o.Clock())
	closed := r.drain(&pending)
	for i := range pending {
		r.apply(&pending[i], seen)
	}
	close(r.built)
	// The interval rows: stored as each interval closes, the open one at
	// the end (shutdown), before reads are refused.
	var rows *rowWriter
	var closeC <-chan time.Time
	if r.o.Intervals != nil {
		rows = newRowWriter(r.o.Intervals, r.o.Logger)
		defer func() { rows.stop(r.eng.takeRows(r.o.Clock(), true)) }()
		rows.save(r.eng.takeRows(r.o.Clock(), false))
		closeC = r.o.After(untilClose(r.o.Clock(), r.eng.o.Location))
	}
	if closed {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-r.sub.C():
			if !ok {
				return nil
			}
			r.apply(&e, seen)
		case <-closeC:
			// What was published before the close counts in it.
			var buf []event.Event
			closed := r.drain(&buf)
			for i := range buf {
				r.apply(&buf[i], seen)
			}
			// Queues added since (the demo seeded after the start, an
			// administrator's new queue) get their rows and series.
			r.addQueues(ctx)
			now := r.o.Clock()
			rows.save(r.eng.takeRows(now, false))
			closeC = r.o.After(untilClose(now, r.eng.o.Location))
			if closed {
				return nil
			}
		case fn := <-r.reqs:
			// A read sees every event published before it was asked.
			var buf []event.Event
			closed := r.drain(&buf)
			for i := range buf {
				r.apply(&buf[i], seen)
			}
			fn(r.eng)
			if closed {
				return nil
			}
		}
	}
}

// addQueues makes the configured queues known to the engine.
func (r *Runner) addQueues(ctx context.Context) {
	if r.o.Queues == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	qs, err := r.o.Queues(ctx)
	if err != nil {
		r.o.Logger.Warn("kpi engine: queues not read; their series appear with their first contact", "err", err)
	}
	r.eng.AddQueues(qs)
}

// apply counts one live event, unless the rebuild already did.
func (r *Runner) apply(e *event.Event, seen map[string]struct{}) {
	if _, dup := seen[e.ID]; dup {
		delete(seen, e.ID)
		return
	}
	if err := normalize(e); err != nil {
		r.o.Logger.Warn("kpi engine: event not read", "type", string(e.Type), "err", err)
		return
	}
	r.eng.Apply(e)
	if r.o.OnApply != nil {
		r.o.OnApply(r.eng, e)
	}
}

// drain moves what the subscription holds to pending without waiting, so
// publishers are not held back while the log is replayed. It reports
// whether the subscription is closed.
func (r *Runner) drain(pending *[]event.Event) bool {
	for {
		select {
		case e, ok := <-r.sub.C():
			if !ok {
				return true
			}
			*pending = append(*pending, e)
		default:
			return false
		}
	}
}

// rebuild replays the log from the start of yesterday and returns the ids
// of the replayed events recent enough to also be in the subscription's
// buffer (published after NewRunner), which Run then skips.
func (r *Runner) rebuild(ctx context.Context, pending *[]event.Event) (map[string]struct{}, error) {
	seen := map[string]struct{}{}
	if r.o.Replay == nil {
		return seen, nil
	}
	now := r.o.Clock()
	loc := r.eng.o.Location
	lt := now.In(loc)
	today := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	recent := now.Add(-time.Minute)
	start := time.Now()
	n := 0
	err := r.o.Replay(ctx, today.AddDate(0, 0, -1), time.Time{}, func(e event.Event) {
		n++
		if n%256 == 0 {
			r.drain(pending)
		}
		r.eng.Apply(&e)
		if !e.At.Before(recent) {
			seen[e.ID] = struct{}{}
		}
	})
	r.eng.Advance(now)
	if err != nil {
		return seen, fmt.Errorf("replay: %w", err)
	}
	r.o.Logger.Info("kpi engine rebuilt from the event log", "events", n, "took", time.Since(start).Round(time.Millisecond))
	return seen, nil
}

// Do runs fn on the engine's goroutine and waits for it.
func (r *Runner) Do(ctx context.Context, fn func(*Engine)) error {
	select {
	case <-r.built:
	case <-r.done:
		return ErrStopped
	default:
		return ErrNotReady
	}
	doneFn := make(chan struct{})
	select {
	case r.reqs <- func(e *Engine) { fn(e); close(doneFn) }:
	case <-r.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	<-doneFn
	return nil
}

// Report reads one window and filter at the clock's instant.
func (r *Runner) Report(ctx context.Context, w Window, f Filter) (Report, error) {
	var rep Report
	err := r.Do(ctx, func(e *Engine) {
		now := r.o.Clock()
		e.Advance(now)
		rep = e.Read(w, f, now)
	})
	return rep, err
}

// Built is closed once the rebuild from the log is over.
func (r *Runner) Built() <-chan struct{} { return r.built }

// Close drops the bus subscription of a Runner whose Run was never
// called (Run closes it itself), so publishers do not wait for it.
func (r *Runner) Close() { r.sub.Close() }

// ErrBadDay is returned by Intervals for a day that is not YYYY-MM-DD or
// is in the future.
var ErrBadDay = errors.New("day: want YYYY-MM-DD, today or earlier")

// day parses a report's day ("" today) in the center's time zone.
func (r *Runner) day(day string) (d time.Time, today bool, now time.Time, err error) {
	loc := r.eng.o.Location
	now = r.o.Clock()
	lt := now.In(loc)
	midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	d = midnight
	if day != "" {
		if d, err = time.ParseInLocation("2006-01-02", day, loc); err != nil || d.After(midnight) {
			return d, false, now, ErrBadDay
		}
	}
	if !d.Equal(midnight) && r.o.Replay == nil && r.o.Intervals == nil {
		return d, false, now, ErrNotReady
	}
	return d, d.Equal(midnight), now, nil
}

// Intervals returns the interval rows of day (YYYY-MM-DD in the center's
// time zone; "" today): today's from the live engine (which stores them),
// a past day's from the interval store, or, for a day it has no rows of
// (before it was kept), rebuilt from the stored log.
func (r *Runner) Intervals(ctx context.Context, day string) ([]IntervalRow, error) {
	d, today, now, err := r.day(day)
	switch {
	case err != nil:
		return nil, err
	case today:
		var rows []IntervalRow
		err := r.Do(ctx, func(e *Engine) { rows = e.Intervals(now) })
		return rows, err
	}
	if r.o.Intervals != nil {
		rows, err := r.o.Intervals.Intervals(ctx, d, d.AddDate(0, 0, 1))
		if err != nil {
			return nil, fmt.Errorf("stored interval rows: %w", err)
		}
		if len(rows) > 0 || r.o.Replay == nil {
			for i := range rows {
				rows[i].Start = rows[i].Start.In(r.eng.o.Location)
				rows[i] = rows[i].WithRatios()
			}
			return rows, nil
		}
	}
	return DayIntervals(ctx, r.o.Engine, d, r.o.Replay)
}

// Agents returns every agent's figures of day, like Intervals.
func (r *Runner) Agents(ctx context.Context, day string) ([]AgentRow, error) {
	d, today, now, err := r.day(day)
	switch {
	case err != nil:
		return nil, err
	case today:
		var rows []AgentRow
		err := r.Do(ctx, func(e *Engine) { rows = e.Agents(now) })
		return rows, err
	case r.o.Replay == nil:
		return nil, ErrNotReady
	}
	return DayAgents(ctx, r.o.Engine, d, r.o.Replay)
}
