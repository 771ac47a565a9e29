package agentdesk

import "time"

// Clock is the gateway's source of time for leases, offer countdowns and
// the board's refresh. It is the ivr.Clock shape, so one virtual clock can
// drive the IVR and the gateway in tests.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
