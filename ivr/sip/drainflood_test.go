package sip

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/ivr"
)

// An INVITE flood from one source is refused there (503) while a call
// already live from another source goes on: its keys still reach its flow
// and are answered, and a third source's new call is admitted at once.
func TestInviteFloodLeavesLiveCallsAlone(t *testing.T) {
	var now atomic.Int64 // the admission clock stands still: no refill
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	keys := make(chan string, 4)
	ts := startServer(t, Options{InvitesPerSource: 5, RetryAfter: 3 * time.Second, Now: func() time.Time { return time.Unix(0, now.Load()) }},
		func(ctx context.Context, ch ivr.Channel) error {
			for {
				in, err := ch.Receive(ctx, time.Time{}, nil)
				if err != nil {
					return err
				}
				keys <- in.Digits
			}
		})
	live := newUAC(t, ts.Addr("udp"))
	live.answered()
	flood := newUACAt(t, ts.Addr("udp"), "127.0.0.2")
	refused := 0
	for range 30 {
		flood.callID, flood.toTag = newID()+"@flood", ""
		flood.send(flood.request("INVITE", "99", callerSDP))
		if res := flood.final(); res.StatusCode == 503 {
			refused++
		}
		flood.ack("99")
	}
	if refused != 20 {
		t.Fatalf("the flooding source: %d of 30 refused, want 20 (a burst of 10)", refused)
	}
	// The live call: a key by SIP INFO reaches its flow and is answered.
	info := strings.Replace(live.request("INFO", "10000", "Signal=7\r\nDuration=160\r\n"), "application/sdp", "application/dtmf-relay", 1)
	live.send(info)
	if res := live.final(); res.StatusCode != 200 {
		t.Fatalf("the live call's INFO during the flood got %d", res.StatusCode)
	}
	if k := <-keys; k != "7" {
		t.Fatalf("the live call's flow got %q, want 7", k)
	}
	// Another source is not limited by the flood (the clock has not moved).
	other := newUACAt(t, ts.Addr("udp"), "127.0.0.3")
	other.send(other.request("INVITE", "99", callerSDP))
	if res := other.final(); res.StatusCode != 404 {
		t.Fatalf("another source during the flood got %d, want admitted (404 for the number)", res.StatusCode)
	}
	other.ack("99")
	if n := ts.attempts("503"); n != 20 {
		t.Errorf("503 attempts %v, want 20", n)
	}
	live.hangUp()
}

// A call still live when the drain's bound runs out is hung up with our
// BYE (the flow ends), and Serve returns.
func TestDrainHangsUpPastItsBound(t *testing.T) {
	ts := startServer(t, Options{DrainTimeout: 20 * time.Millisecond}, func(ctx context.Context, ch ivr.Channel) error {
		_, err := ch.Receive(ctx, time.Time{}, nil)
		return err
	})
	u := newUAC(t, ts.Addr("udp"))
	u.answered()
	ts.cancel()
	m := u.read()
	req, ok := m.(*sip.Request)
	if !ok || req.Method != sip.BYE {
		t.Fatalf("after the drain's bound: want our BYE, got %s", m.String())
	}
	u.send(sip.NewResponseFromRequest(req, 200, "OK", nil).String())
	<-ts.done
	if err := waitFlow(t, ts.runner); err == nil {
		t.Fatal("the flow of the hung-up call ended without an error")
	}
}
