package sip

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/time/rate"
)

// maxSources bounds the per-source buckets; past it, sources whose bucket
// is full again are forgotten (they carry no information).
const maxSources = 10000

// cpuSampleEvery is how often the CPU load is sampled: the load admission
// compares is that of the last second, short enough to stop a surge of
// INVITEs before live calls' media starve, long enough not to flap on one
// busy scheduler tick.
const cpuSampleEvery = time.Second

// admission decides whether a new call may start: the node's concurrent
// call capacity, the machine's CPU load, and per source address a token
// bucket of INVITEs (a flood from one peer is refused while the others'
// calls go on). Safe for concurrent use.
type admission struct {
	mu      sync.Mutex // guards calls and sources
	calls   int
	max     int
	sources map[string]*rate.Limiter
	limit   rate.Limit
	burst   int

	maxCPU float64 // busy fraction 0..1 above which calls are refused; 0: no check
	cpu    *cpuLoad
}

func newAdmission(maxCalls, perSource int, maxCPU float64, times CPUTimes) *admission {
	return &admission{max: maxCalls, sources: map[string]*rate.Limiter{}, limit: rate.Limit(perSource), burst: 2 * perSource,
		maxCPU: maxCPU, cpu: newCPULoad(times)}
}

// refusal says why a call is refused, "" when it may start (and is then
// counted until release).
func (a *admission) admit(source string, now time.Time) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.sources[source]
	if !ok {
		if len(a.sources) >= maxSources {
			for k, v := range a.sources {
				if v.TokensAt(now) >= float64(a.burst) {
					delete(a.sources, k)
				}
			}
		}
		b = rate.NewLimiter(a.limit, a.burst)
		a.sources[source] = b
	}
	if !b.AllowN(now, 1) {
		return "too many calls from this source"
	}
	if a.max > 0 && a.calls >= a.max {
		return "at capacity"
	}
	if a.maxCPU > 0 && a.cpu.load() > a.maxCPU {
		return "cpu load"
	}
	a.calls++
	return ""
}

func (a *admission) release() {
	a.mu.Lock()
	a.calls--
	a.mu.Unlock()
}

func (a *admission) inProgress() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

// CPUTimes reads the machine's cumulative CPU time: busy and total (busy
// plus idle), in any unit. The default reads /proc/stat.
type CPUTimes func() (busy, total float64, err error)

// procStat is the default CPUTimes: all CPUs of the machine from
// /proc/stat (github.com/prometheus/procfs, already in the module graph
// through the Prometheus client). The machine's load and not only the
// process's is what decides, because whatever else runs on the host
// takes the CPU the live calls' paced RTP needs.
func procStat() (busy, total float64, err error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0, 0, err
	}
	st, err := fs.Stat()
	if err != nil {
		return 0, 0, err
	}
	c := st.CPUTotal
	idle := c.Idle + c.Iowait
	busy = c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ + c.Steal
	return busy, busy + idle, nil
}

// cpuLoad is the busy fraction of the machine's CPU between the last two
// samples (livekit/sip refuses calls on the same measure). Sampled by one
// goroutine (run); read by admission without a lock.
type cpuLoad struct {
	times CPUTimes

	mu               sync.Mutex // guards the previous sample
	lastBusy, lastAt float64
	have             bool

	frac atomic.Uint64 // float64 bits
}

func newCPULoad(times CPUTimes) *cpuLoad {
	if times == nil {
		times = procStat
	}
	return &cpuLoad{times: times}
}

func (c *cpuLoad) load() float64 { return math.Float64frombits(c.frac.Load()) }

// sample reads the counters and sets the load over the time since the
// previous sample; with no CPU time elapsed it keeps the last load.
func (c *cpuLoad) sample() error {
	busy, total, err := c.times()
	if err != nil {
		return fmt.Errorf("cpu load: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.have && total > c.lastAt {
		f := (busy - c.lastBusy) / (total - c.lastAt)
		c.frac.Store(math.Float64bits(min(max(f, 0), 1)))
	}
	c.lastBusy, c.lastAt, c.have = busy, total, true
	return nil
}

// run samples every cpuSampleEvery until ctx ends; a failing source
// leaves the load at its last value (a one-line warning from the caller's
// report).
func (c *cpuLoad) run(ctx context.Context, report func(error)) {
	if err := c.sample(); err != nil {
		report(err)
		return
	}
	t := time.NewTicker(cpuSampleEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.sample(); err != nil {
				report(err)
				return
			}
		}
	}
}
