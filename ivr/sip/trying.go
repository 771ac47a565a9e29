package sip

import (
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// tryingAfter is how long an INVITE may wait for our first response
// before we send 100 Trying (RFC 3261 17.2.1: "unless it knows that the TU
// will generate a provisional or final response within 200 ms").
const tryingAfter = 200 * time.Millisecond

func init() {
	// sipgo's server transaction has its own 200 ms Timer_1xx, on the wall
	// clock. Ours (tryingTx) replaces it, so that a test can tell "answered
	// at once: no 100" from "answered late: 100 first" without racing a
	// timer it cannot hold. sipgo's stays as a backstop at the INVITE
	// transaction's lifetime (64*T1): any response or request on the
	// transaction stops it, and ours answers long before. Set here, before
	// any transaction exists (sipgo reads it unguarded when one starts).
	sip.Timer_1xx = 64 * sip.T1
}

// afterFunc arms f to run after d; the returned func stops it
// (time.AfterFunc, or a test's hand-fired timer).
type afterFunc func(d time.Duration, f func()) (stop func() bool)

func wallAfter(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// tryingTx is an INVITE's server transaction that sends 100 Trying when
// no other response went out within tryingAfter of the INVITE. An answer
// that goes at once (the usual case) costs the timer alone: sending 100
// every time cost as much as the 200 (a response built and a sendto), 5 %
// of the server's CPU per call at 1 000 calls/s. With a ring delay the 180
// goes at once and no 100 follows it.
type tryingTx struct {
	sip.ServerTransaction
	req       *sip.Request
	mu        sync.Mutex // orders the 100 before any response after it
	responded bool       // a response went (or the 100 did, or the handler returned)
	stop      func() bool
}

func (s *Server) tryingTx(req *sip.Request, tx sip.ServerTransaction) *tryingTx {
	t := &tryingTx{ServerTransaction: tx, req: req}
	t.mu.Lock() // the timer may fire before stop is set
	t.stop = s.after(tryingAfter, t.trying)
	t.mu.Unlock()
	return t
}

// trying sends the 100 unless a response went first.
func (t *tryingTx) trying() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.responded {
		return
	}
	t.responded = true
	select {
	case <-t.Done(): // CANCELled (sipgo sent the 487) or dead
		return
	default:
	}
	_ = t.ServerTransaction.Respond(sip.NewResponseFromRequest(t.req, 100, "Trying", nil))
}

// done stops the timer: a response is going, or the handler returned.
func (t *tryingTx) done() {
	t.mu.Lock()
	if !t.responded {
		t.responded = true
		t.stop()
	}
	t.mu.Unlock()
}

func (t *tryingTx) Respond(res *sip.Response) error {
	t.done()
	return t.ServerTransaction.Respond(res)
}
