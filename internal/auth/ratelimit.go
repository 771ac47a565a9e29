package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// failureLimiter allows n failures per window per key (an account or an
// address), refilling steadily. Keys whose bucket is full again are
// forgotten, so the map holds only recent offenders.
type failureLimiter struct {
	mu      sync.Mutex // guards buckets
	buckets map[string]*rate.Limiter
	limit   rate.Limit
	burst   int
}

func newFailureLimiter(n int, window time.Duration) *failureLimiter {
	return &failureLimiter{
		buckets: map[string]*rate.Limiter{},
		limit:   rate.Limit(float64(n) / window.Seconds()),
		burst:   n,
	}
}

// blocked reports whether key has no failures left at now, and when the next
// one is allowed.
func (f *failureLimiter) blocked(key string, now time.Time) (bool, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[key]
	if !ok || b.TokensAt(now) >= 1 {
		return false, 0
	}
	need := 1 - b.TokensAt(now)
	return true, time.Duration(need / float64(f.limit) * float64(time.Second))
}

// fail spends one failure of key.
func (f *failureLimiter) fail(key string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[key]
	if !ok {
		if len(f.buckets) >= 10000 {
			f.sweep(now)
		}
		b = rate.NewLimiter(f.limit, f.burst)
		f.buckets[key] = b
	}
	b.AllowN(now, 1)
}

func (f *failureLimiter) sweep(now time.Time) {
	for k, b := range f.buckets {
		if b.TokensAt(now) >= float64(f.burst) {
			delete(f.buckets, k)
		}
	}
}
