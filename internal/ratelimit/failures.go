// Package ratelimit limits failures per key (an account, a client address):
// failed logins, failed ticket-status probes. Each key has a token bucket
// (golang.org/x/time/rate) of n failures refilling evenly over a window; a
// key whose bucket is empty must wait. Time is passed in, so callers and
// tests run it on their own clock.
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxKeys bounds the map; past it, keys whose bucket is full again are
// forgotten (they carry no information).
const maxKeys = 10000

// Failures is a per-key failure budget. It is safe for concurrent use.
type Failures struct {
	mu      sync.Mutex // guards buckets
	buckets map[string]*rate.Limiter
	limit   rate.Limit
	burst   int
}

// NewFailures allows n failures per key within window.
func NewFailures(n int, window time.Duration) *Failures {
	if n < 1 {
		n = 1
	}
	return &Failures{buckets: map[string]*rate.Limiter{}, limit: rate.Limit(float64(n) / window.Seconds()), burst: n}
}

// Wait says how long key must wait at now before its next attempt; 0 means
// go ahead.
func (f *Failures) Wait(key string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[key]
	if !ok {
		return 0
	}
	if tok := b.TokensAt(now); tok < 1 {
		return time.Duration(math.Ceil((1 - tok) / float64(f.limit) * float64(time.Second)))
	}
	return 0
}

// Fail spends one failure of key at now.
func (f *Failures) Fail(key string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[key]
	if !ok {
		if len(f.buckets) >= maxKeys {
			for k, v := range f.buckets {
				if v.TokensAt(now) >= float64(f.burst) {
					delete(f.buckets, k)
				}
			}
		}
		b = rate.NewLimiter(f.limit, f.burst)
		f.buckets[key] = b
	}
	b.AllowN(now, 1)
}
