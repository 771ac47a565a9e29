package storeaccounts

import (
	"context"
	"time"

	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
)

// PINGuard is ivr.PINGuard over the store: service-PIN attempts are
// counted per account, whatever the contact or channel, so a guesser
// cannot start a new chat for three more tries.
type PINGuard struct {
	st  *store.Store
	now func() time.Time
	o   PINLimits
}

// PINLimits configure a PINGuard (config keys ivr.pin_*).
type PINLimits struct {
	Max    int           // attempts allowed per Window; default 5
	Window time.Duration // default 15m
	Lock   time.Duration // how long the account stays locked after that; default 30m
}

// NewPINGuard returns a guard over st; now is the clock.
func NewPINGuard(st *store.Store, now func() time.Time, o PINLimits) *PINGuard {
	if o.Max <= 0 {
		o.Max = 5
	}
	if o.Window <= 0 {
		o.Window = 15 * time.Minute
	}
	if o.Lock <= 0 {
		o.Lock = 30 * time.Minute
	}
	return &PINGuard{st: st, now: now, o: o}
}

var _ ivr.PINGuard = (*PINGuard)(nil)

// ReservePIN counts an attempt before the PIN is checked.
func (g *PINGuard) ReservePIN(ctx context.Context, account string) (bool, int, error) {
	ok, st, err := g.st.ReservePINAttempt(ctx, account, g.now(), g.o.Window, g.o.Max, g.o.Lock)
	return ok, max(g.o.Max-st.Failures, 0), err
}

// PINVerified clears the count after a right PIN.
func (g *PINGuard) PINVerified(ctx context.Context, account string) error {
	return g.st.ClearPINGuard(ctx, account)
}

// Unlock lifts a lock before its time: an agent did it for a customer
// who proved their number.
func (g *PINGuard) Unlock(ctx context.Context, account string) error {
	return g.st.ClearPINGuard(ctx, account)
}
