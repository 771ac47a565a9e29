package agentdesk

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// addrLimiter is a token bucket per client address for starting chats, so
// one client cannot use up the gateway-wide allowance real customers need.
// A bucket that has refilled is the same as a new one, so buckets unused
// that long are dropped: memory follows the clients of the last refill time.
type addrLimiter struct {
	per   rate.Limit
	burst int
	full  time.Duration // time to refill an empty bucket

	mu    sync.Mutex // guards m and swept
	m     map[string]*addrBucket
	swept time.Time
}

type addrBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newAddrLimiter(perMinute, burst int) *addrLimiter {
	per := rate.Limit(float64(perMinute) / 60)
	return &addrLimiter{per: per, burst: burst, m: map[string]*addrBucket{},
		full: time.Duration(float64(burst) / float64(per) * float64(time.Second))}
}

// allow takes a token for addr, or says how long until one is there.
func (l *addrLimiter) allow(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.full {
		for k, b := range l.m {
			if now.Sub(b.seen) > l.full {
				delete(l.m, k)
			}
		}
		l.swept = now
	}
	b := l.m[addr]
	if b == nil {
		b = &addrBucket{lim: rate.NewLimiter(l.per, l.burst)}
		l.m[addr] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (l *addrLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
