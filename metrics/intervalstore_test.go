package metrics

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
)

// memIntervals is an IntervalStore in memory that reports each save.
type memIntervals struct {
	mu    sync.Mutex
	rows  map[string]IntervalRow
	saved chan int
}

func newMemIntervals() *memIntervals {
	return &memIntervals{rows: map[string]IntervalRow{}, saved: make(chan int, 16)}
}

func rowKey(r IntervalRow) string {
	return r.Start.UTC().Format(time.RFC3339) + "|" + r.Queue + "|" + r.Channel
}

func (m *memIntervals) SaveIntervals(_ context.Context, rows []IntervalRow) error {
	m.mu.Lock()
	for _, r := range rows {
		// What a database keeps: the sums, not the derived ratios.
		m.rows[rowKey(r)] = IntervalRow{Start: r.Start.UTC(), Queue: r.Queue, Channel: r.Channel, Requests: r.Requests,
			Answered: r.Answered, AnsweredInSL: r.AnsweredInSL, Abandoned: r.Abandoned, ShortAbandons: r.ShortAbandons,
			SystemLost: r.SystemLost, Handled: r.Handled, AnswerWait: r.AnswerWait, Talk: r.Talk, Hold: r.Hold, ACW: r.ACW}
	}
	m.mu.Unlock()
	m.saved <- len(rows)
	return nil
}

func (m *memIntervals) Intervals(_ context.Context, from, to time.Time) ([]IntervalRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []IntervalRow
	for _, r := range m.rows {
		if !r.Start.Before(from) && r.Start.Before(to) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b IntervalRow) int { return strings.Compare(rowKey(a), rowKey(b)) })
	return out, nil
}

func (m *memIntervals) get(t *testing.T, start time.Time) IntervalRow {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rows[rowKey(IntervalRow{Start: start, Queue: "gv", Channel: "voice"})]
	if !ok {
		t.Fatalf("no stored row at %v", start)
	}
	return r
}

// The interval rows are stored as each interval closes (every queue's,
// without contacts too), written again when after-contact work lands in a
// closed interval, the open one at shutdown, and a restarted server's
// report of that day reads them from the store.
func TestRunnerStoresIntervalRows(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, loc)
	at := func(h, m, s int) time.Time {
		return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
	}
	var mu sync.Mutex
	now := at(10, 5, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	setClock := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	afters := make(chan chan time.Time, 4)
	var waits []time.Duration
	st := newMemIntervals()
	bus := event.NewBus(event.Options{})
	r := NewRunner(bus, RunnerOptions{Engine: Options{Location: loc}, Clock: clock, Intervals: st,
		Queues: func(context.Context) ([]Filter, error) { return []Filter{{Queue: "gv", Channel: "voice"}}, nil },
		After: func(d time.Duration) <-chan time.Time {
			c := make(chan time.Time, 1)
			waits = append(waits, d)
			afters <- c
			return c
		}})
	ctx := context.Background()
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.Run(runCtx) })
	defer func() { stop(); wg.Wait() }()
	<-r.Built()
	// At start: today's closed intervals, 00:00 to 09:45, at zero.
	if n := <-st.saved; n != 40 {
		t.Fatalf("stored %d rows at start, want 40 (00:00 … 09:45)", n)
	}
	timer := <-afters
	if waits[0] != 10*time.Minute {
		t.Errorf("first close in %v, want 10m (10:05 → 10:15)", waits[0])
	}
	publish := func(evs ...event.Event) {
		for _, e := range evs {
			if _, err := bus.Publish(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	ev := func(id string, t time.Time, k acd.EventKind, wait time.Duration, o acd.Outcome) event.Event {
		return acdEv(id, t, acd.Event{Kind: k, Contact: id[:2], Queue: "gv", Channel: acd.Voice, Agent: "a1", FirstEntry: k == acd.EventQueued, Wait: wait, Outcome: o})
	}
	publish(ev("c1q", at(10, 6, 0), acd.EventQueued, 0, acd.NoOutcome), ev("c1a", at(10, 6, 10), acd.EventAnswered, 10*time.Second, acd.Answered),
		ev("c1e", at(10, 14, 0), acd.EventEnded, 0, acd.NoOutcome))
	setClock(at(10, 15, 0))
	timer <- at(10, 15, 0)
	if n := <-st.saved; n != 1 {
		t.Fatalf("stored %d rows at 10:15, want 1 (10:00)", n)
	}
	if got := st.get(t, at(10, 0, 0)); got.Requests != 1 || got.Answered != 1 || got.Handled != 1 || got.AnswerWait != 10*time.Second || got.ACW != 0 {
		t.Fatalf("10:00 row %+v, want one answered after 10 s, handled, no ACW yet", got)
	}
	timer = <-afters
	// After-contact work ends in the next interval: it belongs to 10:00.
	publish(acdEv("c1w", at(10, 16, 0), acd.Event{Kind: acd.EventWrapUpEnded, Contact: "c1", Agent: "a1", Wait: 30 * time.Second}))
	setClock(at(10, 30, 0))
	timer <- at(10, 30, 0)
	if n := <-st.saved; n != 2 {
		t.Fatalf("stored %d rows at 10:30, want 2 (10:00 again, 10:15)", n)
	}
	if got := st.get(t, at(10, 0, 0)); got.ACW != 30*time.Second {
		t.Fatalf("10:00 row ACW %v, want 30s", got.ACW)
	}
	<-afters
	// Shutdown writes the open interval.
	publish(ev("c2q", at(10, 31, 0), acd.EventQueued, 0, acd.NoOutcome), ev("c2b", at(10, 31, 4), acd.EventAbandoned, 4*time.Second, acd.Abandoned))
	setClock(at(10, 32, 0))
	if _, err := r.Report(ctx, WindowToday, Filter{}); err != nil { // the events are in
		t.Fatal(err)
	}
	stop()
	wg.Wait()
	if n := <-st.saved; n != 1 {
		t.Fatalf("stored %d rows at shutdown, want 1 (10:30, open)", n)
	}
	if got := st.get(t, at(10, 30, 0)); got.Abandoned != 1 || got.ShortAbandons != 1 {
		t.Fatalf("10:30 row %+v, want one short abandon", got)
	}

	// The next day, a new server with no event log: the day's report
	// comes from the stored rows.
	r2 := NewRunner(bus, RunnerOptions{Engine: Options{Location: loc}, Intervals: st,
		Clock: func() time.Time { return at(24+9, 0, 0) }})
	defer r2.Close()
	rows, err := r2.Intervals(ctx, "2026-11-23")
	if err != nil || len(rows) != 43 {
		t.Fatalf("stored day: %d rows (%v), want 43 (00:00 … 10:30)", len(rows), err)
	}
	got := rows[40]
	if !got.Start.Equal(at(10, 0, 0)) || got.Start.Location() != loc || !got.End.Equal(at(10, 15, 0)) ||
		show(got.SL01) != "1" || show(got.SL04) != "10" || show(got.EF02) != "30" || show(got.EF01) != "500" {
		t.Fatalf("10:00 from the store: %+v, want SL01 1, SL04 10 s, EF01 500 s (470 talk + 30 ACW), EF02 30 s", got)
	}
	if show(rows[42].SL03) != "1" || rows[0].SL01 != nil {
		t.Fatalf("10:30 SL03 %s, 00:00 SL01 %s; want 1 and no data", show(rows[42].SL03), show(rows[0].SL01))
	}
}

// A day that ends before its last rows were taken keeps them: the next
// take returns them with today's.
func TestTakeRowsAcrossMidnight(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	e := NewEngine(Options{Location: loc, Queues: []Filter{{Queue: "gv", Channel: "voice"}}})
	e.keepRows = true
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, loc)
	if rows := e.takeRows(day.Add(23*time.Hour+46*time.Minute), false); len(rows) != 95 {
		t.Fatalf("%d rows at 23:46, want 95", len(rows))
	}
	for _, ev := range []event.Event{
		acdEv("q", day.Add(23*time.Hour+50*time.Minute), acd.Event{Kind: acd.EventQueued, Contact: "c", Queue: "gv", Channel: acd.Voice, FirstEntry: true}),
		acdEv("a", day.Add(23*time.Hour+51*time.Minute), acd.Event{Kind: acd.EventAbandoned, Contact: "c", Queue: "gv", Channel: acd.Voice, Wait: time.Minute, Outcome: acd.Abandoned}),
		// the next day's first event rolls the day over
		acdEv("q2", day.Add(24*time.Hour+time.Minute), acd.Event{Kind: acd.EventQueued, Contact: "d", Queue: "gv", Channel: acd.Voice, FirstEntry: true}),
	} {
		e.Apply(&ev)
	}
	rows := e.takeRows(day.Add(24*time.Hour+20*time.Minute), false)
	if len(rows) != 2 || !rows[0].Start.Equal(day.Add(23*time.Hour+45*time.Minute)) || rows[0].Abandoned != 1 ||
		!rows[1].Start.Equal(day.Add(24*time.Hour)) || rows[1].Requests != 0 {
		t.Fatalf("rows after midnight: %+v, want 23:45 with the abandon, then 00:00", rows)
	}
}
