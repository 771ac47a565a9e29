package sip

import (
	"time"

	"golang.org/x/time/rate"
)

// registerLimits are the per-source token buckets of REGISTER (one bucket
// per source host). A REGISTER without credentials costs the registrar a
// signed nonce and a 401, one with credentials a store look-up: without a
// limit one source could keep the node answering it at wire speed, and
// only wrong credentials locked a source out. The buckets are generous by
// default because one SBC or PBX registers all its phones from one
// address (two REGISTERs each, challenge and answer). Guarded by the
// registrar's mutex.
type registerLimits struct {
	limit rate.Limit
	burst int
	m     map[string]*registerBucket
}

type registerBucket struct {
	lim *rate.Limiter
	// over: the source's last REGISTER was refused; the first refusal of
	// a run is logged, the rest only counted (a flood must not become a
	// flood of log lines).
	over bool
}

func newRegisterLimits(perSecond, burst int) registerLimits {
	return registerLimits{limit: rate.Limit(perSecond), burst: burst, m: map[string]*registerBucket{}}
}

// allow takes a token of src's bucket at now; first says this refusal
// starts a run of them.
func (l *registerLimits) allow(src string, now time.Time) (ok, first bool) {
	b := l.m[src]
	if b == nil {
		if len(l.m) >= maxSources {
			// Forget the sources whose bucket is full again: they
			// carry no information.
			for k, v := range l.m {
				if v.lim.TokensAt(now) >= float64(l.burst) {
					delete(l.m, k)
				}
			}
		}
		b = &registerBucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.m[src] = b
	}
	if b.lim.AllowN(now, 1) {
		b.over = false
		return true, false
	}
	first = !b.over
	b.over = true
	return false, first
}
