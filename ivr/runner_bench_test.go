package ivr

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// nopChannel plays instantly and answers every wait with key 1.
type nopChannel struct{}

func (nopChannel) Kind() ChannelKind                              { return Voice }
func (nopChannel) Play(context.Context, Utterance) (Input, error) { return Input{}, nil }
func (nopChannel) Transfer(context.Context, string) error         { return nil }
func (nopChannel) Hangup(context.Context) error                   { return nil }
func (nopChannel) Receive(context.Context, time.Time, <-chan QueueEvent) (Input, error) {
	return Input{Kind: InputDigits, Digits: "1"}, nil
}

// chainFlow is n nodes cycling through play, set, branch and menu, then a
// hangup.
func chainFlow(n int) string {
	var b strings.Builder
	b.WriteString("flow: main\nstart: n0\nnodes:\n")
	for i := 0; i < n; i++ {
		next := fmt.Sprintf("n%d", i+1)
		if i == n-1 {
			next = "end"
		}
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "  n%d:\n    kind: play\n    prompt: [balance.is, {money: amount}]\n    next: %s\n", i, next)
		case 1:
			fmt.Fprintf(&b, "  n%d:\n    kind: set\n    values: {amount: \"=%d.5\"}\n    next: %s\n", i, i, next)
		case 2:
			fmt.Fprintf(&b, "  n%d:\n    kind: branch\n    cases:\n      - if: tier == \"vip\" && open(\"c\")\n        then: %s\n    else: %s\n", i, next, next)
		case 3:
			fmt.Fprintf(&b, "  n%d:\n    kind: menu\n    prompt: main.menu\n    options: {\"1\": %s}\n    exhausted: %s\n", i, next, next)
		}
	}
	b.WriteString("  end:\n    kind: hangup\n")
	return b.String()
}

const benchCalendar = "calendars:\n  - name: c\n    time_zone: Asia/Shanghai\n    weekly: {mon: [\"08:00-20:00\"]}\n"

// BenchmarkRunnerPerNode measures the runner's own cost per node (the
// channel and sink do nothing).
func BenchmarkRunnerPerNode(b *testing.B) {
	const nodes = 100
	lib := loadLib(b, map[string]string{"main.yaml": chainFlow(nodes), "calendars.yaml": benchCalendar})
	sink := SinkFunc(func(Event) {})
	r := NewRunner(lib, Config{Clock: &manualClock{t: time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)}, Sink: sink})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Run(ctx, Contact{ID: "c", Vars: map[string]any{"tier": "vip"}}, nopChannel{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(nodes+1), "ns/node")
}

// parkedChannel waits in Receive until released, like a caller thinking
// at a menu.
type parkedChannel struct {
	nopChannel
	parked  *sync.WaitGroup
	release <-chan struct{}
}

func (p parkedChannel) Receive(ctx context.Context, _ time.Time, _ <-chan QueueEvent) (Input, error) {
	p.parked.Done()
	<-p.release
	return Input{}, ErrHangup
}

// BenchmarkConcurrentRuns holds b.N runs waiting at the main menu, each
// on its own goroutine as the SIP and chat adapters run them, and reports
// the memory each one holds (heap and stack).
func BenchmarkConcurrentRuns(b *testing.B) {
	lib, err := LoadDir(osDirFS("flows"), ".")
	if err != nil {
		b.Fatal(err)
	}
	r := NewRunner(lib, Config{Clock: &manualClock{t: time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)}, Sink: SinkFunc(func(Event) {})})
	b.ReportAllocs()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	release := make(chan struct{})
	var parked, done sync.WaitGroup
	parked.Add(b.N)
	done.Add(b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		go func(i int) {
			defer done.Done()
			ch := parkedChannel{parked: &parked, release: release}
			r.Run(context.Background(), Contact{ID: fmt.Sprint("c", i), ANI: "13900000000", Entry: "10000"}, ch)
		}(i)
	}
	parked.Wait()
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	used := (after.HeapInuse + after.StackInuse) - (before.HeapInuse + before.StackInuse)
	b.ReportMetric(float64(used)/float64(b.N), "B/run")
	close(release)
	done.Wait()
}

var osDirFS = os.DirFS
