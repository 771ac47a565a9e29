package main

import (
	"context"
	"math"
	"runtime"
	rtmetrics "runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

// TestLoadSmoke runs the load tool small, with the server in this process.
func TestLoadSmoke(t *testing.T) {
	inProcess := func(ctx context.Context, agents int) (*target, error) {
		s, err := deskttest.Start(ctx, t.TempDir(), deskttest.Options{Agents: agents, OfferTimeout: offerTimeout,
			WrapUp: time.Minute, RatePerSec: 200, RateBurst: 400, ChatStarts: 5000})
		if err != nil {
			return nil, err
		}
		return &target{base: s.URL, mem: func() (memory, error) { return measure(), nil }, stop: s.Stop}, nil
	}
	cfg := config{agents: 20, customers: 4, messages: 2, duration: 2 * time.Second}
	rep, err := run(context.Background(), cfg, inProcess)
	if err != nil {
		t.Fatal(err)
	}
	// A chat may still fail now and then on a machine this busy (the race
	// detector, other tests); the tool counts it as an error.
	if rep.chats == 0 || rep.messages < 4*rep.chats || len(rep.latencies) < int(rep.chats) || rep.errors > 1+rep.chats/100 {
		t.Fatalf("got %d chats, %d messages, %d offers, %d errors; want chats with 4 messages each, an offer each, errors under 1%%",
			rep.chats, rep.messages, len(rep.latencies), rep.errors)
	}
	if runtime.GOOS == "linux" && len(rep.kernelLatencies) == 0 {
		t.Fatalf("%d offers, none with the kernel's receive stamp", len(rep.latencies))
	}
	var b strings.Builder
	rep.print(&b)
	if !strings.Contains(b.String(), "offer-to-desktop latency") {
		t.Fatalf("report lacks the latency line:\n%s", b.String())
	}
}

func TestConfigBounds(t *testing.T) {
	for _, c := range []config{
		{agents: 0, customers: 1, messages: 1, duration: time.Second},
		{agents: maxAgents + 1, customers: 1, messages: 1, duration: time.Second},
		{agents: 1, customers: maxCustomers + 1, messages: 1, duration: time.Second},
		{agents: 1, customers: 1, messages: 101, duration: time.Second},
		{agents: 1, customers: 1, messages: 1, duration: maxDuration + 1},
	} {
		if c.validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestDeliveryQuantiles: quantiles come from the counts added between two
// readings of the node's cumulative histogram.
func TestDeliveryQuantiles(t *testing.T) {
	before := buckets{0.001: 5, 0.002: 5, 0.004: 5, math.Inf(1): 5}
	after := buckets{0.001: 55, 0.002: 103, 0.004: 104, math.Inf(1): 105}
	n, q := after.quantiles(before, .50, .99, 1)
	if n != 100 || len(q) != 3 || q[0] != 0.001 || q[1] != 0.004 || !math.IsInf(q[2], 1) {
		t.Fatalf("got %v offers, quantiles %v; want 100, [0.001 0.004 +Inf]", n, q)
	}
	if n, _ := (buckets{}).quantiles(nil, .5); n != 0 {
		t.Fatalf("empty histogram counted %v", n)
	}
}

// TestNodeFigures: the node's histograms and counters are read from its
// /metrics text and taken as differences over the traffic.
func TestNodeFigures(t *testing.T) {
	page := func(sched0, sched1, cpu string) scrape {
		s, err := parseScrape(strings.NewReader(`# HELP go_sched_latencies_seconds x
# TYPE go_sched_latencies_seconds histogram
go_sched_latencies_seconds_bucket{le="0.0009175039999999999"} ` + sched0 + `
go_sched_latencies_seconds_bucket{le="0.010485759999999998"} ` + sched1 + `
go_sched_latencies_seconds_bucket{le="+Inf"} ` + sched1 + `
go_sched_latencies_seconds_sum 1
go_sched_latencies_seconds_count ` + sched1 + `
go_cpu_classes_gc_total_cpu_seconds_total ` + cpu + `
process_cpu_seconds_total 10
`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	n := nodeFiguresOf(page("10", "10", "1"), page("1000", "1020", "1.5"))
	if n.schedCount != 1010 || n.schedP50 != 0.0009175039999999999 || n.schedP99 != 0.010485759999999998 {
		t.Fatalf("scheduler: %+v", n)
	}
	if n.gcCPU != 0.5 || n.cpu != 0 || n.offers != 0 {
		t.Fatalf("counters: %+v", n)
	}
}

func TestClientSchedQuantiles(t *testing.T) {
	before := &rtmetrics.Float64Histogram{Counts: []uint64{1, 1, 1}, Buckets: []float64{0, 0.001, 0.01, math.Inf(1)}}
	after := &rtmetrics.Float64Histogram{Counts: []uint64{91, 10, 2}, Buckets: before.Buckets}
	n, q := schedQuantiles(before, after, .5, .99, 1)
	if n != 100 || q[0] != time.Millisecond || q[1] != 10*time.Millisecond || q[2] != -1 {
		t.Fatalf("got %d waits, %v; want 100, [1ms 10ms -1]", n, q)
	}
	if clientSched() == nil {
		t.Fatal("no /sched/latencies in this runtime")
	}
}
