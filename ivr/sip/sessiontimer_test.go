package sip

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/ivr"
)

// fakeClock hands out timers the test fires; each After is announced on
// afters.
type fakeClock struct {
	mu     sync.Mutex
	timers []chan time.Time
	afters chan time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{afters: make(chan time.Duration, 16)} }

func (c *fakeClock) Now() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.timers = append(c.timers, ch)
	c.mu.Unlock()
	c.afters <- d
	return ch
}

// fireLast fires the newest timer.
func (c *fakeClock) fireLast() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers[len(c.timers)-1] <- c.Now()
}

func (c *fakeClock) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.afters:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no timer armed")
		return 0
	}
}

func TestSessionTimer(t *testing.T) {
	clk := newFakeClock()
	started := make(chan struct{}, 4)
	ts := startServer(t, Options{Clock: clk}, func(ctx context.Context, ch ivr.Channel) error {
		started <- struct{}{}
		_, err := ch.Receive(ctx, time.Time{}, nil)
		return err
	})
	t.Run("too small 422", func(t *testing.T) {
		u := newUAC(t, ts.Addr("udp"))
		u.send(u.request("INVITE", "10000", callerSDP, "Supported: timer", "Session-Expires: 30"))
		res := u.final()
		if res.StatusCode != 422 || res.GetHeader("Min-SE") == nil || res.GetHeader("Min-SE").Value() != "90" {
			t.Fatalf("got %s, want 422 with Min-SE 90", res.String())
		}
		u.ack("10000")
	})

	u := newUAC(t, ts.Addr("udp"))
	u.send(u.request("INVITE", "10000", callerSDP, "Supported: timer", "Session-Expires: 120;refresher=uac"))
	res := u.expect(200)
	u.ack("10000")
	if h := res.GetHeader("Session-Expires"); h == nil || h.Value() != "120;refresher=uac" || res.GetHeader("Require") == nil {
		t.Fatalf("answer without the session timer:\n%s", res.String())
	}
	if d := clk.next(t); d != 88*time.Second { // 120 s less 32 s
		t.Fatalf("expiry armed at %v, want 88s", d)
	}
	// A refresh by UPDATE without a body re-arms the timer (once the ACK
	// was taken: an UPDATE before it gets 500 + Retry-After).
	<-started
	u.send(u.request("UPDATE", "10000", "", "Supported: timer", "Session-Expires: 180;refresher=uac"))
	res = u.final()
	if res.StatusCode != 200 || res.GetHeader("Session-Expires") == nil || res.GetHeader("Session-Expires").Value() != "180;refresher=uac" {
		t.Fatalf("UPDATE got %s", res.String())
	}
	if d := clk.next(t); d != 148*time.Second { // 180 s less 32 s
		t.Fatalf("refresh armed %v, want 148s", d)
	}
	// No further refresh: the session expires and we hang up.
	clk.fireLast()
	req, ok := u.read().(*sip.Request)
	if !ok || req.Method != sip.BYE {
		t.Fatal("want our BYE at expiry")
	}
	u.send(sip.NewResponseFromRequest(req, 200, "OK", nil).String())
	waitFlow(t, ts.runner)

	t.Run("refresher uas: we send UPDATEs", func(t *testing.T) {
		v := newUAC(t, ts.Addr("udp"))
		v.send(v.request("INVITE", "10000", callerSDP, "Supported: timer", "Session-Expires: 120;refresher=uas", "Allow: INVITE, ACK, BYE, CANCEL, UPDATE"))
		res := v.expect(200)
		v.ack("10000")
		if h := res.GetHeader("Session-Expires"); h == nil || h.Value() != "120;refresher=uas" || res.GetHeader("Require") == nil {
			t.Fatalf("answer without us as the refresher:\n%s", res.String())
		}
		<-started
		for i := range 2 {
			if d := clk.next(t); d != 88*time.Second {
				t.Fatalf("expiry armed at %v, want 88s", d)
			}
			if d := clk.next(t); d != 60*time.Second {
				t.Fatalf("refresh armed at %v, want 60s (half of 120 s)", d)
			}
			clk.fireLast()
			req, ok := v.read().(*sip.Request)
			if !ok || req.Method != sip.UPDATE {
				t.Fatalf("refresh %d: want our UPDATE, got %v", i, req)
			}
			if h := req.GetHeader("Session-Expires"); h == nil || h.Value() != "120;refresher=uac" || req.Contact() == nil {
				t.Fatalf("our UPDATE:\n%s", req.String())
			}
			if i == 0 {
				ok := sip.NewResponseFromRequest(req, 200, "OK", nil)
				ok.AppendHeader(sip.NewHeader("Session-Expires", "120;refresher=uac"))
				v.send(ok.String())
				continue
			}
			// The caller lost the dialog: we hang up (RFC 4028 10).
			v.send(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil).String())
		}
		req, ok := v.read().(*sip.Request)
		if !ok || req.Method != sip.BYE {
			t.Fatalf("want our BYE after the refresh failed, got %v", req)
		}
		v.send(sip.NewResponseFromRequest(req, 200, "OK", nil).String())
		waitFlow(t, ts.runner)
	})

	t.Run("refresher uas without UPDATE: no timer", func(t *testing.T) {
		v := newUAC(t, ts.Addr("udp"))
		v.send(v.request("INVITE", "10000", callerSDP, "Supported: timer", "Session-Expires: 120;refresher=uas"))
		res := v.expect(200)
		v.ack("10000")
		if res.GetHeader("Session-Expires") != nil || strings.Contains(res.String(), "Require: timer") {
			t.Fatalf("timer answered though we would have to refresh:\n%s", res.String())
		}
		<-started // the ACK was taken: a BYE cannot overtake it
		v.send(v.request("BYE", "10000", ""))
		if res := v.expect(200); res.CSeq().MethodName != sip.BYE {
			t.Fatalf("BYE answered by %s", res.String())
		}
		waitFlow(t, ts.runner)
	})
}
