package metrics

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
)

// benchEvents is a day of traffic over 50 queues × 2 channels: each
// contact queued, offered, accepted, answered, ended, wrapped up, with its
// agent's state changes (11 events), or abandoned (2 events).
func benchEvents(contacts int) []event.Event {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	t := time.Date(2026, 11, 23, 0, 0, 0, 0, loc)
	step := 24 * time.Hour / time.Duration(contacts*12)
	evs := make([]event.Event, 0, contacts*11)
	add := func(d acd.Event) {
		t = t.Add(step)
		d.At = t
		evs = append(evs, event.Event{Type: event.Type(d.Kind.Type()), At: t, ContactID: d.Contact, AgentID: d.Agent, Data: d})
	}
	for i := range contacts {
		ch := acd.Voice
		if i%2 == 1 {
			ch = acd.Chat
		}
		q := fmt.Sprintf("q%02d-%s", i%50, ch)
		c := fmt.Sprintf("c%d", i)
		a := fmt.Sprintf("a%d", i%2000)
		add(acd.Event{Kind: acd.EventQueued, Contact: c, Queue: q, Channel: ch, FirstEntry: true, RequestQueue: q})
		if i%10 == 9 {
			add(acd.Event{Kind: acd.EventAbandoned, Contact: c, Queue: q, Channel: ch, RequestQueue: q, Wait: 30 * time.Second, Outcome: acd.Abandoned})
			continue
		}
		add(acd.Event{Kind: acd.EventOffered, Contact: c, Queue: q, Channel: ch, Agent: a, RequestQueue: q})
		add(acd.Event{Kind: acd.EventAgentStateChanged, Agent: a, State: acd.Reserved, PrevState: acd.Ready})
		add(acd.Event{Kind: acd.EventAccepted, Contact: c, Queue: q, Channel: ch, Agent: a, RequestQueue: q})
		add(acd.Event{Kind: acd.EventAgentStateChanged, Agent: a, State: acd.Busy, PrevState: acd.Reserved})
		add(acd.Event{Kind: acd.EventAnswered, Contact: c, Queue: q, Channel: ch, Agent: a, RequestQueue: q, Wait: 12 * time.Second, Outcome: acd.Answered})
		add(acd.Event{Kind: acd.EventEnded, Contact: c, Queue: q, Channel: ch, Agent: a, RequestQueue: q})
		add(acd.Event{Kind: acd.EventWrapUpStarted, Contact: c, Queue: q, Channel: ch, Agent: a})
		add(acd.Event{Kind: acd.EventAgentStateChanged, Agent: a, State: acd.WrapUp, PrevState: acd.Busy})
		add(acd.Event{Kind: acd.EventWrapUpEnded, Contact: c, Queue: q, Channel: ch, Agent: a, Wait: 20 * time.Second})
		add(acd.Event{Kind: acd.EventAgentStateChanged, Agent: a, State: acd.Ready, PrevState: acd.WrapUp})
	}
	return evs
}

// BenchmarkEngineApply reports events per second through the engine on
// one goroutine (target ≥ 1 000 000/s on one core).
func BenchmarkEngineApply(b *testing.B) {
	evs := benchEvents(100_000)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	cpu0 := cpuTime()
	for b.Loop() {
		e := NewEngine(Options{Location: loc})
		e.StartLive(time.Time{})
		for i := range evs {
			e.Apply(&evs[i])
		}
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
	// On a shared machine the wall clock counts other people's work: the
	// process's CPU time (GC included) is the honest denominator.
	b.ReportMetric(float64(n)/(cpuTime()-cpu0).Seconds(), "events/cpu-s")
}

// BenchmarkEngineRead is one report (today, center-wide) over a day of 50
// queues × 2 channels and 2000 agents.
func BenchmarkEngineRead(b *testing.B) {
	evs := benchEvents(100_000)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	e := NewEngine(Options{Location: loc})
	for i := range evs {
		e.Apply(&evs[i])
	}
	now := evs[len(evs)-1].At
	b.ReportAllocs()
	for b.Loop() {
		e.Read(WindowToday, Filter{}, now)
	}
}

// BenchmarkScrape is one Prometheus scrape of the engine (raw series and
// every KPI in every window for the center, both channels and 100 queues).
func BenchmarkScrape(b *testing.B) {
	evs := benchEvents(100_000)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	e := NewEngine(Options{Location: loc})
	e.StartLive(evs[0].At)
	for i := range evs {
		e.Apply(&evs[i])
	}
	now := evs[len(evs)-1].At
	b.ReportAllocs()
	for b.Loop() {
		_ = e.collect(now)
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
