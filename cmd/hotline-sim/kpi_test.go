package main

import (
	"math"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/metrics"
)

// The simulator drives the real KPI engine with the router's events: SL01,
// SL02, SL03, SL04 and EF03 from the engine equal the simulator's own
// tally of the same run.
func TestKPIEngineMatchesSimulatorTally(t *testing.T) {
	eng := metrics.NewEngine(metrics.Options{Location: time.UTC, VoiceThreshold: 20 * time.Second})
	eng.StartLive(simEpoch)
	var pending []acd.Event
	apply := func(upTo time.Time) {
		for len(pending) > 0 && !pending[0].At.After(upTo) {
			d := pending[0]
			pending = pending[1:]
			ev := event.Event{Type: event.Type(d.Kind.Type()), At: d.At, ContactID: d.Contact, AgentID: d.Agent, Data: d}
			eng.Apply(&ev)
		}
	}
	// 2000 contacts at 300 an hour (7 h, one day), with ring, wrap-up,
	// impatient callers and VIPs.
	p := acdParams{Agents: 12, Rate: 300, AHT: 120, Patience: 90, SLThreshold: 20, Contacts: 2000, Seed: 7, Runs: 1,
		VIPShare: 0.2, Ring: 3, WrapUp: 15, OccupancyFromStart: true,
		OnEvents: func(evs []acd.Event) { pending = append(pending, evs...) }}
	res, err := simulateOnce(p, p.Seed)
	if err != nil {
		t.Fatal(err)
	}
	// The simulator integrates occupancy up to the last arrival.
	var lastArrival time.Time
	for _, e := range pending {
		if e.Kind == acd.EventQueued && e.FirstEntry {
			lastArrival = e.At
		}
	}
	apply(lastArrival)
	occ, _ := eng.Read(metrics.WindowToday, metrics.Filter{}, lastArrival).Get("EF03")
	if occ.Value == nil || math.Abs(occ.Numerator/occ.Denominator-res.occupancy) > 1e-6 {
		t.Errorf("EF03: engine %v (%g/%g), simulator %g", occ.Value, occ.Numerator, occ.Denominator, res.occupancy)
	}
	if res.abandoned == 0 || res.answered == 0 {
		t.Fatalf("run has %d answered, %d abandoned: not a test of both", res.answered, res.abandoned)
	}
	last := pending[len(pending)-1].At
	apply(last)
	r := eng.Read(metrics.WindowToday, metrics.Filter{}, last)
	check := func(id string, num, den float64) {
		t.Helper()
		v, _ := r.Get(id)
		if math.Abs(v.Numerator-num) > 1e-6*math.Max(1, num) || math.Abs(v.Denominator-den) > 1e-6*math.Max(1, den) {
			t.Errorf("%s: engine %g/%g, simulator %g/%g", id, v.Numerator, v.Denominator, num, den)
		}
	}
	offered := float64(res.offered)
	check("SL01", float64(res.answered), offered)
	check("SL02", float64(res.withinSL), offered)
	check("SL03", float64(res.abandoned), offered)
	check("SL04", res.waitSum, float64(res.answered))
	t.Logf("engine = simulator: SL01 %d/%d, SL02 %d/%d, SL03 %d/%d, SL04 %.1f s, EF03 %.4f",
		res.answered, res.offered, res.withinSL, res.offered, res.abandoned, res.offered, res.waitSum/float64(res.answered), res.occupancy)
}
