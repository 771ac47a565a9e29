package metrics

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func acdEv(id string, at time.Time, d acd.Event) event.Event {
	d.At = at
	return event.Event{ID: id, Type: event.Type(d.Kind.Type()), At: at, ContactID: d.Contact, AgentID: d.Agent, Data: d}
}

// A restart at 15:00 does not zero the day: the runner rebuilds today
// from the log, skips what it also receives live, and counts live events.
func TestRunnerRebuildsTodayAndCountsLiveOnce(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, loc)
	yesterday := time.Date(2026, 11, 22, 10, 0, 0, 0, loc)
	stored := []event.Event{
		// yesterday's request: not today's
		acdEv("y1", yesterday, acd.Event{Kind: acd.EventQueued, Contact: "y", Queue: "gv", Channel: acd.Voice, FirstEntry: true}),
		acdEv("y2", yesterday.Add(5*time.Second), acd.Event{Kind: acd.EventAnswered, Contact: "y", Queue: "gv", Channel: acd.Voice, Agent: "a1", Wait: 5 * time.Second, Outcome: acd.Answered}),
		acdEv("e1", now.Add(-2*time.Hour), acd.Event{Kind: acd.EventQueued, Contact: "c1", Queue: "gv", Channel: acd.Voice, FirstEntry: true}),
		acdEv("e2", now.Add(-2*time.Hour+10*time.Second), acd.Event{Kind: acd.EventAnswered, Contact: "c1", Queue: "gv", Channel: acd.Voice, Agent: "a1", Wait: 10 * time.Second, Outcome: acd.Answered}),
		// recorded and also still in the bus buffer
		acdEv("e3", now.Add(-10*time.Second), acd.Event{Kind: acd.EventQueued, Contact: "c2", Queue: "gv", Channel: acd.Voice, FirstEntry: true}),
	}
	bus := event.NewBus(event.Options{})
	var from time.Time
	r := NewRunner(bus, RunnerOptions{Engine: Options{Location: loc}, Clock: func() time.Time { return now },
		Replay: func(ctx context.Context, f, to time.Time, fn func(event.Event)) error {
			if to.IsZero() {
				from = f
			}
			for _, e := range stored {
				if !e.At.Before(f) && (to.IsZero() || e.At.Before(to)) {
					fn(e)
				}
			}
			return nil
		}})
	ctx := context.Background()
	if _, err := bus.Publish(ctx, stored[4]); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	runCtx, stop := context.WithCancel(ctx)
	wg.Go(func() { _ = r.Run(runCtx) })
	defer func() { stop(); wg.Wait() }()
	<-r.Built()
	if want := time.Date(2026, 11, 22, 0, 0, 0, 0, loc); !from.Equal(want) {
		t.Errorf("replay from %v, want %v (yesterday, for agents logged in over midnight)", from, want)
	}
	_, _ = bus.Publish(ctx, acdEv("l1", now, acd.Event{Kind: acd.EventAbandoned, Contact: "c2", Queue: "gv", Channel: acd.Voice, Wait: 10 * time.Second, Outcome: acd.Abandoned}))
	rep, err := r.Report(ctx, WindowToday, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := rep.Get("SL01")
	if v.Numerator != 1 || v.Denominator != 2 {
		t.Errorf("SL01 %g/%g, want 1/2 (one rebuilt answer, one live abandon, the duplicate once)", v.Numerator, v.Denominator)
	}
	if v, _ := rep.Get("SL05"); v.Value == nil || *v.Value != 0 {
		t.Errorf("SL05 %v, want 0", v.Value)
	}
	// Interval reports: today's from the engine, yesterday's rebuilt from the log.
	rows, err := r.Intervals(ctx, "")
	if err != nil || len(rows) != 61 || rows[52].Requests != 1 || rows[52].Answered != 1 {
		t.Errorf("today's rows: %d (%v), want 61 with c1 answered in 13:00", len(rows), err)
	}
	rows, err = r.Intervals(ctx, "2026-11-22")
	if err != nil || len(rows) != 96 || rows[40].Answered != 1 || rows[40].SL04 == nil || *rows[40].SL04 != 5 {
		t.Errorf("yesterday's rows: %d (%v), want 96 with y answered in 10:00 after 5 s", len(rows), err)
	}
	if _, err := r.Intervals(ctx, "2026-11-24"); err != ErrBadDay {
		t.Errorf("tomorrow: %v, want ErrBadDay", err)
	}
	// Raw Prometheus totals count live events only.
	var live int64
	_ = r.Do(ctx, func(e *Engine) { live = e.slice("gv", acd.Voice).total.requests })
	if live != 1 {
		t.Errorf("raw requests %d, want 1 (the live abandon; a rebuild does not count twice)", live)
	}
}

func TestRunnerStopsWithTheBus(t *testing.T) {
	bus := event.NewBus(event.Options{})
	r := NewRunner(bus, RunnerOptions{})
	if _, err := r.Report(context.Background(), WindowToday, Filter{}); err != ErrNotReady {
		t.Fatalf("report before run: %v, want ErrNotReady", err)
	}
	done := make(chan struct{})
	go func() { _ = r.Run(context.Background()); close(done) }()
	<-r.Built()
	bus.Close()
	<-done
	if _, err := r.Report(context.Background(), WindowToday, Filter{}); err != ErrStopped {
		t.Fatalf("report after stop: %v, want ErrStopped", err)
	}
}

// The board's tiles: today's value and status, this interval's, and the
// trend of the last intervals, oldest first.
func TestTiles(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	e := NewEngine(Options{Location: loc})
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, loc)
	for i, m := range []int{8*60 + 1, 8*60 + 20, 8*60 + 31} {
		at := day.Add(time.Duration(m) * time.Minute)
		c := fmt.Sprint("c", i)
		for _, ev := range []event.Event{
			acdEv(c+"q", at, acd.Event{Kind: acd.EventQueued, Contact: c, Queue: "gv", Channel: acd.Voice, FirstEntry: true}),
			acdEv(c+"a", at.Add(30*time.Second), acd.Event{Kind: acd.EventAnswered, Contact: c, Queue: "gv", Channel: acd.Voice, Agent: "a1", Wait: time.Duration(i*10) * time.Second, Outcome: acd.Answered}),
		} {
			e.Apply(&ev)
		}
	}
	ts := e.Tiles(day.Add(8*time.Hour + 35*time.Minute))
	if len(ts) != len(Definitions) {
		t.Fatalf("%d tiles, want %d", len(ts), len(Definitions))
	}
	sl04 := ts[3]
	if sl04.ID != "SL04" || sl04.Today == nil || *sl04.Today != 10 || sl04.Interval == nil || *sl04.Interval != 20 || sl04.Status != StatusOK {
		t.Fatalf("SL04 tile %+v, want today 10 s ok, interval 20 s", sl04)
	}
	if len(sl04.Trend) != TrendIntervals {
		t.Fatalf("trend %d long, want %d", len(sl04.Trend), TrendIntervals)
	}
	var got []string
	for _, v := range sl04.Trend {
		got = append(got, show(v))
	}
	if want := "[no data no data no data no data no data 0 10 20]"; fmt.Sprint(got) != want {
		t.Errorf("SL04 trend %v, want %s (06:45 … 08:30)", got, want)
	}
}

// The board's queue rows count where SL01 and SL03 do: an overflowed
// contact's answer in the queue it first entered.
func TestQueueDays(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	e := NewEngine(Options{Location: loc, Queues: []Filter{{Queue: "idle", Channel: "chat"}}})
	day := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	for _, ev := range []event.Event{
		acdEv("1", day, acd.Event{Kind: acd.EventQueued, Contact: "c1", Queue: "gv", Channel: acd.Voice, FirstEntry: true}),
		acdEv("2", day.Add(time.Minute), acd.Event{Kind: acd.EventQueued, Contact: "c1", Queue: "overflow", RequestQueue: "gv", Channel: acd.Voice}),
		acdEv("3", day.Add(2*time.Minute), acd.Event{Kind: acd.EventAnswered, Contact: "c1", Queue: "overflow", RequestQueue: "gv", Channel: acd.Voice, Agent: "a1", Wait: 2 * time.Minute, Outcome: acd.Answered}),
		acdEv("4", day.Add(3*time.Minute), acd.Event{Kind: acd.EventQueued, Contact: "c2", Queue: "gv", Channel: acd.Voice, FirstEntry: true}),
		acdEv("5", day.Add(4*time.Minute), acd.Event{Kind: acd.EventAbandoned, Contact: "c2", Queue: "gv", Channel: acd.Voice, Wait: time.Minute, Outcome: acd.Abandoned}),
	} {
		e.Apply(&ev)
	}
	got := e.QueueDays(day.Add(time.Hour))
	if got["gv"] != (QueueDay{Answered: 1, Abandoned: 1}) || got["overflow"] != (QueueDay{}) || got["idle"] != (QueueDay{}) || len(got) != 3 {
		t.Fatalf("got %+v, want gv 1 answered 1 abandoned, overflow and idle at zero", got)
	}
	if got := e.QueueDays(day.Add(24 * time.Hour)); got["gv"] != (QueueDay{}) {
		t.Fatalf("the next day: %+v, want zeros", got["gv"])
	}
}
