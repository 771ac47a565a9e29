package rest

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// probeGuard limits failed public status checks per client address, so
// ticket numbers cannot be probed with guessed phone numbers. Each address
// has a token bucket of n failures refilling over window; buckets that are
// full again are dropped when the map grows.
type probeGuard struct {
	mu      sync.Mutex // guards buckets
	buckets map[string]*rate.Limiter
	every   rate.Limit
	n       int
}

func newProbeGuard(n int, window time.Duration) *probeGuard {
	return &probeGuard{buckets: map[string]*rate.Limiter{}, every: rate.Limit(float64(n) / window.Seconds()), n: n}
}

// wait reports how long addr must wait before its next check (0: go ahead).
func (g *probeGuard) wait(addr string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.buckets[addr]
	if !ok {
		return 0
	}
	if tok := b.TokensAt(now); tok < 1 {
		return time.Duration(math.Ceil((1 - tok) / float64(g.every) * float64(time.Second)))
	}
	return 0
}

// fail spends one failure of addr.
func (g *probeGuard) fail(addr string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.buckets[addr]
	if !ok {
		if len(g.buckets) >= 10000 {
			for k, v := range g.buckets {
				if v.TokensAt(now) >= float64(g.n) {
					delete(g.buckets, k)
				}
			}
		}
		b = rate.NewLimiter(g.every, g.n)
		g.buckets[addr] = b
	}
	b.AllowN(now, 1)
}
