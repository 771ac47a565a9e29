package sip

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/hotline10000/hotline/ivr"
)

// TestAbsurdDTMF (issue 11, bad input: absurd DTMF durations): over the
// real media leg, SIP INFO keys with an absurd duration or a key that is
// not DTMF get 400 with a Warning saying why (they got 415, which says the
// body type is unknown), a body type we do not read still gets 415, an RFC
// 4733 key held past the 16-bit duration (sent in two segments) is one key,
// and the call goes on: the next INFO key reaches the flow.
func TestAbsurdDTMF(t *testing.T) {
	got := make(chan string, 4)
	call := answerOverRealMedia(t, func(ctx context.Context, ch ivr.Channel) error {
		for range 2 {
			in, err := ch.Receive(ctx, time.Time{}, nil)
			if err != nil {
				return err
			}
			got <- in.Digits
		}
		return ch.Hangup(ctx)
	})
	ts, u, caller, leg := call.ts, call.u, call.caller, call.leg
	info := func(ct, body string) *sip.Response {
		t.Helper()
		u.send(strings.Replace(u.request("INFO", "10000", body), "application/sdp", ct, 1))
		for {
			res := u.final()
			if res.CSeq().MethodName == sip.INFO {
				return res
			}
		}
	}
	for _, body := range []string{"Signal=5\r\nDuration=99999999\r\n", "Signal=5\r\nDuration=-1\r\n", "Signal=55\r\nDuration=160\r\n"} {
		res := info("application/dtmf-relay", body)
		if w := res.GetHeader("Warning"); res.StatusCode != 400 || w == nil || !strings.HasPrefix(w.Value(), `399 hotline "`) {
			t.Fatalf("INFO %q: got %s, want 400 with a Warning", body, res.String())
		}
	}
	if res := info("text/plain", "5"); res.StatusCode != 415 || res.GetHeader("Accept") == nil {
		t.Fatalf("INFO of text/plain: got %s, want 415 with Accept", res.String())
	}
	// Key 7 held for over 8 s: a segment at the longest duration without
	// the end bit, then the next segment at its timestamp + 0xFFFF, ended.
	send := func(seq uint16, ts uint32, dur uint16, end bool) {
		e := byte(10)
		if end {
			e |= 0x80
		}
		b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: ts, SSRC: 9},
			Payload: []byte{7, e, byte(dur >> 8), byte(dur)}}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := caller.WriteToUDP(b, leg); err != nil {
			t.Fatal(err)
		}
	}
	send(1, 1000, 0xFFFF, false)
	for i := range 3 {
		send(uint16(2+i), 1000+0xFFFF, 1600, true)
	}
	wait := func(want string) {
		t.Helper()
		select {
		case d := <-got:
			if d != want {
				t.Fatalf("flow got %q, want %q", d, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("key %s never reached the flow", want)
		}
	}
	wait("7")
	if res := info("application/dtmf-relay", "Signal=8\r\nDuration=160\r\n"); res.StatusCode != 200 {
		t.Fatalf("INFO 8 got %d", res.StatusCode)
	}
	wait("8")
	if req, ok := u.read().(*sip.Request); !ok || req.Method != sip.BYE {
		t.Fatal("want the flow's BYE")
	} else {
		u.send(sip.NewResponseFromRequest(req, 200, "OK", nil).String())
	}
	if err := waitFlow(t, ts.runner); err != nil {
		t.Fatal(err)
	}
}
