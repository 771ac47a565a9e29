package sip

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline10000/hotline/ivr"
)

// fakeCPU is a CPUTimes whose counters the test sets; first is closed on
// the first read.
type fakeCPU struct {
	busy, total atomic.Int64
	fail        atomic.Bool
	once        sync.Once
	first       chan struct{}
}

func newFakeCPU() *fakeCPU { return &fakeCPU{first: make(chan struct{})} }

func (f *fakeCPU) times() (float64, float64, error) {
	f.once.Do(func() { close(f.first) })
	if f.fail.Load() {
		return 0, 0, errors.New("no /proc")
	}
	return float64(f.busy.Load()), float64(f.total.Load()), nil
}

func (f *fakeCPU) advance(busy, idle int64) {
	f.busy.Add(busy)
	f.total.Add(busy + idle)
}

func TestCPULoad(t *testing.T) {
	f := newFakeCPU()
	c := newCPULoad(f.times)
	steps := []struct {
		name       string
		busy, idle int64
		want       float64
	}{
		{"first sample sets the base", 50, 50, 0},
		{"busy 90 of 100", 90, 10, 0.9},
		{"no time elapsed keeps the load", 0, 0, 0.9},
		{"idle", 0, 100, 0},
		{"all busy", 200, 0, 1},
	}
	for _, s := range steps {
		f.advance(s.busy, s.idle)
		if err := c.sample(); err != nil {
			t.Fatal(err)
		}
		if got := c.load(); got != s.want {
			t.Errorf("%s: got load %v, want %v", s.name, got, s.want)
		}
	}
	f.fail.Store(true)
	if err := c.sample(); err == nil {
		t.Error("got no error from a failing source")
	}
	if got := c.load(); got != 1 {
		t.Errorf("a failed sample changed the load: got %v, want 1", got)
	}
}

func TestProcStat(t *testing.T) {
	busy, total, err := procStat()
	if err != nil {
		t.Skipf("no /proc/stat here: %v", err)
	}
	if busy <= 0 || total < busy {
		t.Fatalf("got busy %v total %v", busy, total)
	}
}

func TestAdmissionCPU(t *testing.T) {
	f := newFakeCPU()
	ts := startServer(t, Options{MaxCPU: 0.8, CPUTimes: f.times, RetryAfter: 3 * time.Second},
		func(ctx context.Context, ch ivr.Channel) error { return nil })
	<-f.first // the server's sampler took its base sample
	f.advance(90, 10)
	if err := ts.adm.cpu.sample(); err != nil {
		t.Fatal(err)
	}
	u := newUAC(t, ts.Addr("udp"))
	u.send(u.request("INVITE", "10000", callerSDP))
	res := u.final()
	if res.StatusCode != 503 || res.GetHeader("Retry-After") == nil || res.GetHeader("Retry-After").Value() != "3" {
		t.Fatalf("at 90%% cpu: got %s, want 503 with Retry-After: 3", res.StartLine())
	}
	if got := ts.attempts("503"); got != 1 {
		t.Errorf("got %v attempts with 503, want 1", got)
	}
	f.advance(10, 90)
	if err := ts.adm.cpu.sample(); err != nil {
		t.Fatal(err)
	}
	v := newUAC(t, ts.Addr("udp"))
	v.answered()
	if err := waitFlow(t, ts.runner); err != nil {
		t.Fatalf("flow at 10%% cpu: %v", err)
	}
}
