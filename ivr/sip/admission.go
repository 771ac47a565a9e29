package sip

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxSources bounds the per-source buckets; past it, sources whose bucket
// is full again are forgotten (they carry no information).
const maxSources = 10000

// admission decides whether a new call may start: the node's concurrent
// call capacity, and per source address a token bucket of INVITEs (a
// flood from one peer is refused while the others' calls go on). Safe for
// concurrent use.
type admission struct {
	mu      sync.Mutex // guards calls and sources
	calls   int
	max     int
	sources map[string]*rate.Limiter
	limit   rate.Limit
	burst   int
}

func newAdmission(maxCalls, perSource int) *admission {
	return &admission{max: maxCalls, sources: map[string]*rate.Limiter{}, limit: rate.Limit(perSource), burst: 2 * perSource}
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
