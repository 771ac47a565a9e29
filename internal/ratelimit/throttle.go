package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ThrottleOptions configure a Throttle.
type ThrottleOptions struct {
	// Free is how many failures an (account, address) pair has before
	// delays start.
	Free int
	// Delay is the first delay; each further failure of the pair doubles
	// it, up to MaxDelay.
	Delay, MaxDelay time.Duration
	// AccountCeiling and AddressCeiling are token buckets of failures per
	// account and per address within Window, across pairs. They are
	// looser than the pair's delays and hold only for pairs that have not
	// logged in successfully within TrustFor: an attacker elsewhere cannot
	// lock an agent out of their usual desk, nor one noisy client behind
	// an office's NAT lock out its colleagues.
	AccountCeiling, AddressCeiling int
	Window                         time.Duration
	TrustFor                       time.Duration
}

// Throttle slows password guessing without locking anyone out: each
// (account, address) pair gets Free failures, then an exponential delay
// between attempts; failures are forgotten after Window without one, and
// a success clears them. Looser ceilings per account and per address catch
// an attacker spreading over pairs.
//
// Attempts are reserved before the password is checked and counted as
// failures from that moment, so concurrent attempts cannot all pass the
// check before any is counted; a success or an attempt that could not be
// checked hands its reservation back. Safe for concurrent use.
type Throttle struct {
	o ThrottleOptions

	mu      sync.Mutex // guards the maps below
	pairs   map[pair]*pairState
	account map[string]*rate.Limiter
	address map[string]*rate.Limiter
	trusted map[pair]time.Time // pair → last success
}

type pair struct{ account, address string }

type pairState struct {
	failures int
	last     time.Time // of the last failure (or reservation)
}

// NewThrottle returns a Throttle; zero options take defaults (3 free
// failures, 1s doubling to 10m, ceilings 30 and 100 per 15m, trust 30 days).
func NewThrottle(o ThrottleOptions) *Throttle {
	if o.Free < 1 {
		o.Free = 3
	}
	if o.Delay <= 0 {
		o.Delay = time.Second
	}
	if o.MaxDelay < o.Delay {
		o.MaxDelay = max(o.Delay, 10*time.Minute)
	}
	if o.Window <= 0 {
		o.Window = 15 * time.Minute
	}
	if o.AccountCeiling < 1 {
		o.AccountCeiling = 30
	}
	if o.AddressCeiling < 1 {
		o.AddressCeiling = 100
	}
	if o.TrustFor <= 0 {
		o.TrustFor = 30 * 24 * time.Hour
	}
	return &Throttle{o: o, pairs: map[pair]*pairState{}, account: map[string]*rate.Limiter{},
		address: map[string]*rate.Limiter{}, trusted: map[pair]time.Time{}}
}

// Attempt is a reserved attempt. Report its outcome with Succeeded or
// Cancel; an attempt left alone stays counted as a failure.
type Attempt struct {
	t        *Throttle
	p        pair
	acct     *rate.Reservation
	addr     *rate.Reservation
	reported bool
}

// Reserve asks to try account from address at now. When the pair, the
// account or the address must wait, it returns how long and no attempt;
// otherwise the attempt is counted as a failure until reported otherwise.
func (t *Throttle) Reserve(account, address string, now time.Time) (*Attempt, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := pair{account, address}
	st := t.pairs[p]
	if st != nil && now.Sub(st.last) >= t.o.Window {
		delete(t.pairs, p)
		st = nil
	}
	var wait time.Duration
	if st != nil && st.failures >= t.o.Free {
		if next := st.last.Add(t.delay(st.failures)); next.After(now) {
			wait = next.Sub(now)
		}
	}
	trusted := false
	if at, ok := t.trusted[p]; ok {
		if now.Sub(at) < t.o.TrustFor {
			trusted = true
		} else {
			delete(t.trusted, p)
		}
	}
	var acctLim, addrLim *rate.Limiter
	if !trusted {
		acctLim = t.bucket(t.account, account, t.o.AccountCeiling, now)
		addrLim = t.bucket(t.address, address, t.o.AddressCeiling, now)
		wait = max(wait, t.waitOf(acctLim, now), t.waitOf(addrLim, now))
	}
	if wait > 0 {
		return nil, wait
	}
	if st == nil {
		t.prunePairs(now)
		st = &pairState{}
		t.pairs[p] = st
	}
	st.failures++
	st.last = now
	a := &Attempt{t: t, p: p}
	if !trusted {
		a.acct = acctLim.ReserveN(now, 1)
		a.addr = addrLim.ReserveN(now, 1)
	}
	return a, 0
}

// delay is the wait after n failures (n ≥ Free).
func (t *Throttle) delay(n int) time.Duration {
	shift := n - t.o.Free
	if shift > 30 {
		return t.o.MaxDelay
	}
	return min(t.o.Delay<<shift, t.o.MaxDelay)
}

func (t *Throttle) waitOf(l *rate.Limiter, now time.Time) time.Duration {
	tok := l.TokensAt(now)
	if tok >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - tok) / float64(l.Limit()) * float64(time.Second)))
}

func (t *Throttle) bucket(m map[string]*rate.Limiter, key string, n int, now time.Time) *rate.Limiter {
	if l, ok := m[key]; ok {
		return l
	}
	if len(m) >= maxKeys {
		for k, v := range m {
			if v.TokensAt(now) >= float64(v.Burst()) {
				delete(m, k)
			}
		}
	}
	l := rate.NewLimiter(rate.Limit(float64(n)/t.o.Window.Seconds()), n)
	m[key] = l
	return l
}

// prunePairs bounds the pair map: forgotten pairs first, then arbitrary
// ones (the ceilings still hold an attacker who floods it).
func (t *Throttle) prunePairs(now time.Time) {
	if len(t.pairs) < maxKeys {
		return
	}
	for k, v := range t.pairs {
		if now.Sub(v.last) >= t.o.Window {
			delete(t.pairs, k)
		}
	}
	for k := range t.pairs {
		if len(t.pairs) < maxKeys*9/10 {
			break
		}
		delete(t.pairs, k)
	}
}

// Succeeded reports that the attempt passed: the pair's failures are
// cleared, the ceilings get their failure back and the pair is trusted.
func (a *Attempt) Succeeded(now time.Time) {
	t := a.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if a.reported {
		return
	}
	a.reported = true
	delete(t.pairs, a.p)
	a.refund(now)
	if len(t.trusted) >= 10*maxKeys {
		for k, at := range t.trusted {
			if now.Sub(at) >= t.o.TrustFor {
				delete(t.trusted, k)
			}
		}
		if len(t.trusted) >= 10*maxKeys {
			t.trusted = map[pair]time.Time{}
		}
	}
	t.trusted[a.p] = now
}

// Cancel hands back an attempt that could not be checked (the store was
// down): it counts as nothing.
func (a *Attempt) Cancel(now time.Time) {
	t := a.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if a.reported {
		return
	}
	a.reported = true
	if st := t.pairs[a.p]; st != nil && st.failures > 0 {
		st.failures--
	}
	a.refund(now)
}

func (a *Attempt) refund(now time.Time) {
	if a.acct != nil {
		a.acct.CancelAt(now)
	}
	if a.addr != nil {
		a.addr.CancelAt(now)
	}
}
