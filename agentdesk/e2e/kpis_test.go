package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/metrics"
)

// TestBrowserBoardKPIs: the board shows the KPI engine's tiles, each
// coloured against its target, with this interval's value, the trend, and
// "no data" where a KPI had no input (kpis.mjs).
func TestBrowserBoardKPIs(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, loc)
	eng := metrics.NewEngine(metrics.Options{Location: loc})
	apply := func(at time.Time, d acd.Event) {
		d.At = at
		ev := event.Event{Type: event.Type(d.Kind.Type()), At: at, ContactID: d.Contact, AgentID: d.Agent, Data: d}
		eng.Apply(&ev)
	}
	// Two requests answered quickly, one abandoned after 40 s: SL01 2/3
	// (below 90 %: breach), SL04 5 s (within 15 s: ok).
	for i, c := range []string{"c1", "c2", "c3"} {
		at := day.Add(8*time.Hour + time.Duration(i*20)*time.Minute)
		apply(at, acd.Event{Kind: acd.EventQueued, Contact: c, Queue: "general", Channel: acd.Chat, FirstEntry: true})
		if i < 2 {
			apply(at.Add(5*time.Second), acd.Event{Kind: acd.EventAnswered, Contact: c, Queue: "general", Channel: acd.Chat,
				Agent: "a1", Wait: 5 * time.Second, Outcome: acd.Answered})
		} else {
			apply(at.Add(40*time.Second), acd.Event{Kind: acd.EventAbandoned, Contact: c, Queue: "general", Channel: acd.Chat,
				Wait: 40 * time.Second, Outcome: acd.Abandoned})
		}
	}
	now := day.Add(8*time.Hour + 50*time.Minute)
	s := deskttest.New(t, deskttest.Options{KPIs: func(context.Context) (any, error) { return eng.Tiles(now), nil }})
	runScript(t, s, "kpis.mjs", "board-kpis.png")
}
