package sip

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/ivr"
)

// handTimer is a 100 Trying timer the test fires by hand.
type handTimer struct {
	mu      sync.Mutex
	f       func()
	stopped bool
}

func (h *handTimer) stop() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	was := !h.stopped
	h.stopped = true
	return was
}

// fire runs the timer's function as time.AfterFunc would, also after a
// stop (a timer that fired while being stopped).
func (h *handTimer) fire() { h.f() }

func (h *handTimer) isStopped() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stopped
}

// handTimers arms handTimers and hands them to the test.
func handTimers() (afterFunc, <-chan *handTimer) {
	armed := make(chan *handTimer, 16)
	return func(d time.Duration, f func()) func() bool {
		if d != tryingAfter {
			panic("unexpected timer")
		}
		h := &handTimer{f: f}
		armed <- h
		return h.stop
	}, armed
}

// slowMedia opens legs once release is closed: the answer is slow.
type slowMedia struct {
	*fakeMedia
	release chan struct{}
}

func (m slowMedia) Open(cfg LegConfig) (Leg, error) {
	<-m.release
	return m.fakeMedia.Open(cfg)
}

func waitForBye(ctx context.Context, ch ivr.Channel) error {
	_, err := ch.Receive(ctx, time.Time{}, nil)
	return err
}

// hangUp sends the caller's BYE and reads until its 200, failing on a
// 100 Trying (our 200's retransmissions, if any, are skipped).
func (u *uac) hangUp() {
	u.t.Helper()
	u.send(u.request("BYE", "10000", ""))
	for {
		m := u.read()
		res, ok := m.(*sip.Response)
		switch {
		case !ok || res.StatusCode == 100:
			u.t.Fatalf("want the BYE's 200, got %s", m.String())
		case res.CSeq().MethodName == sip.BYE:
			if res.StatusCode != 200 {
				u.t.Fatalf("BYE got %s", res.String())
			}
			return
		}
	}
}

// TestTryingWhenTheAnswerIsSlow: RFC 3261 17.2.1. An INVITE whose answer
// is not out when the 200 ms timer fires gets 100 Trying, before the 200.
func TestTryingWhenTheAnswerIsSlow(t *testing.T) {
	after, armed := handTimers()
	media := slowMedia{fakeMedia: &fakeMedia{}, release: make(chan struct{})}
	ts := startServer(t, Options{after: after, Media: media}, waitForBye)
	u := newUAC(t, ts.Addr("udp"))
	u.send(u.request("INVITE", "10000", callerSDP))
	(<-armed).fire() // 200 ms passed; the media is still opening
	res, ok := u.read().(*sip.Response)
	if !ok || res.StatusCode != 100 || res.CSeq().MethodName != sip.INVITE {
		t.Fatalf("want 100 Trying to the INVITE first, got %v", res)
	}
	close(media.release)
	m := u.read()
	if res, ok := m.(*sip.Response); !ok || res.StatusCode != 200 {
		t.Fatalf("want the 200 after the 100, got %s", m.String())
	}
	u.toTag, _ = m.(*sip.Response).To().Params.Get("tag")
	u.ack("10000")
	u.hangUp()
}

// TestNoTryingWhenTheAnswerIsPrompt: the answer (or, with a ring delay,
// the 180) goes before the timer: the timer is stopped, and even firing
// late it sends nothing.
func TestNoTryingWhenTheAnswerIsPrompt(t *testing.T) {
	t.Run("answer", func(t *testing.T) {
		after, armed := handTimers()
		ts := startServer(t, Options{after: after}, waitForBye)
		u := newUAC(t, ts.Addr("udp"))
		u.send(u.request("INVITE", "10000", callerSDP))
		tm := <-armed
		m := u.read()
		if res, ok := m.(*sip.Response); !ok || res.StatusCode != 200 {
			t.Fatalf("want the 200 first, got %s", m.String())
		}
		u.toTag, _ = m.(*sip.Response).To().Params.Get("tag")
		if !tm.isStopped() {
			t.Fatal("the 100 Trying timer was not stopped by the 200")
		}
		tm.fire()
		u.ack("10000")
		u.hangUp() // fails on a 100 before the BYE's 200
	})
	t.Run("ring delay", func(t *testing.T) {
		after, armed := handTimers()
		ts := startServer(t, Options{after: after, RingDelay: time.Minute}, nil)
		u := newUAC(t, ts.Addr("udp"))
		u.send(u.request("INVITE", "10000", callerSDP))
		tm := <-armed
		m := u.read()
		if res, ok := m.(*sip.Response); !ok || res.StatusCode != 180 {
			t.Fatalf("want 180 Ringing first, got %s", m.String())
		}
		if !tm.isStopped() {
			t.Fatal("the 100 Trying timer was not stopped by the 180")
		}
		tm.fire()
		u.send(u.request("CANCEL", "10000", ""))
		codes := map[int]bool{}
		for len(codes) < 2 { // 200 to the CANCEL and 487, in either order; no 100
			m := u.read()
			res, ok := m.(*sip.Response)
			if !ok || res.StatusCode < 200 {
				t.Fatalf("want the CANCEL's 200 and the 487, got %s", m.String())
			}
			codes[res.StatusCode] = true
		}
		if !codes[200] || !codes[487] {
			t.Fatalf("got %v", codes)
		}
		u.lastCode = 487
		u.ack("10000")
	})
}
