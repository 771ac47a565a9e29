package bridge

import (
	"time"

	"github.com/hotline10000/hotline/acd"
)

// DayCount is one queue's outcomes today, as the supervisor board shows
// them: each agent request counted once, by the event that carries its
// outcome (KPIS.md counting rule 2), in the queue the contact was in then.
type DayCount struct {
	Answered  int `json:"answered"`
	Abandoned int `json:"abandoned"`
	Lost      int `json:"lost"`
}

// count adds an event's outcome to today's counts. Call with b.mu held.
func (b *Bridge) count(ev *acd.Event) {
	b.rollDay(ev.At)
	if ev.Outcome == acd.NoOutcome || ev.Queue == "" {
		return
	}
	d := b.today[ev.Queue]
	switch ev.Outcome {
	case acd.Answered:
		d.Answered++
	case acd.Abandoned:
		d.Abandoned++
	case acd.SystemLost:
		d.Lost++
	}
	b.today[ev.Queue] = d
}

// rollDay starts a new day at midnight in the center's time zone. Call
// with b.mu held.
func (b *Bridge) rollDay(at time.Time) {
	if d := at.In(b.o.Location).Format(time.DateOnly); d != b.date {
		b.date = d
		clear(b.today)
	}
}

// Today returns each queue's outcomes since midnight (center time) as of
// now: a new day shows zeros before its first event.
func (b *Bridge) Today(now time.Time) map[string]DayCount {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rollDay(now)
	out := make(map[string]DayCount, len(b.today))
	for q, d := range b.today {
		out[q] = d
	}
	return out
}
