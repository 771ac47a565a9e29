package sip

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
)

// options asks for OPTIONS and reads until its 200, skipping the answers
// to whatever u sent before: the server still answers.
func (u *uac) stillAnswers() {
	u.t.Helper()
	u.send(u.request("OPTIONS", "10000", ""))
	for {
		res, ok := u.read().(*sip.Response)
		if ok && res.CSeq() != nil && res.CSeq().MethodName == sip.OPTIONS {
			if res.StatusCode != 200 {
				u.t.Fatalf("OPTIONS got %d", res.StatusCode)
			}
			return
		}
	}
}

// TestBadSIP: garbage, requests without the headers a transaction needs,
// an absurd Content-Length, an unknown method and an SDP that is not SDP
// each get an answer or are dropped, and the server goes on answering.
func TestBadSIP(t *testing.T) {
	started := make(chan struct{}, 1)
	ts := startServer(t, Options{}, func(ctx context.Context, ch ivr.Channel) error {
		started <- struct{}{}
		_, err := ch.Receive(ctx, time.Time{}, nil)
		return err
	})
	t.Run("garbage and missing headers", func(t *testing.T) {
		u := newUAC(t, ts.Addr("udp"))
		u.send("\x00\x01\x02 hello\r\n\r\n")
		u.send("INVITE sip:10000@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n") // no Via, From, To, Call-ID, CSeq
		u.send(strings.Replace(u.request("INVITE", "10000", callerSDP), "CSeq: ", "CSeq: x", 1))
		u.send("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n") // a stray response
		u.stillAnswers()
	})
	t.Run("absurd Content-Length", func(t *testing.T) {
		u := newUAC(t, ts.Addr("udp"))
		for _, n := range []string{"4294967296", "99999999", "-5", "12abc"} {
			msg := u.request("INVITE", "10000", callerSDP)
			msg = strings.Replace(msg, fmt.Sprintf("Content-Length: %d", len(callerSDP)), "Content-Length: "+n, 1)
			u.send(msg)
		}
		u.stillAnswers()
	})
	t.Run("unknown method 405", func(t *testing.T) {
		u := newUAC(t, ts.Addr("udp"))
		u.send(u.request("FROBNICATE", "10000", ""))
		res := u.final()
		if res.StatusCode != 405 || res.GetHeader("Allow") == nil || !strings.Contains(res.GetHeader("Allow").Value(), "INVITE") {
			t.Fatalf("got %s, want 405 with Allow", res.String())
		}
	})
	t.Run("SDP that is not SDP 488", func(t *testing.T) {
		for _, body := range []string{"v=0\r\nthis is not sdp\r\n", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 99999999 RTP/AVP 0\r\n",
			strings.Repeat("a=x\r\n", 2000)} {
			u := newUAC(t, ts.Addr("udp"))
			u.send(u.request("INVITE", "10000", body))
			res := u.final()
			if res.StatusCode != 488 && res.StatusCode != 400 {
				t.Fatalf("body %.30q: got %d, want 488", body, res.StatusCode)
			}
			u.ack("10000")
		}
	})
	// After all that, a good call still goes through.
	u := newUAC(t, ts.Addr("udp"))
	u.answered()
	<-started
	u.send(u.request("BYE", "10000", ""))
	if res := u.final(); res.StatusCode != 200 {
		t.Fatalf("BYE got %d", res.StatusCode)
	}
	waitFlow(t, ts.runner)
}

// TestInviteFlood: one source beyond its rate gets 503 with Retry-After;
// another source's call goes through meanwhile.
func TestInviteFlood(t *testing.T) {
	var now atomic.Int64 // the admission clock, in ns
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	ts := startServer(t, Options{InvitesPerSource: 5, RetryAfter: 3 * time.Second, Now: func() time.Time { return time.Unix(0, now.Load()) }}, nil)
	flood := newUAC(t, ts.Addr("udp"))
	refused := 0
	for range 30 {
		flood.callID, flood.toTag = newID()+"@flood", ""
		flood.send(flood.request("INVITE", "99", callerSDP))
		res := flood.final()
		switch res.StatusCode {
		case 404: // admitted, then an unknown number
		case 503:
			refused++
			if h := res.GetHeader("Retry-After"); h == nil || h.Value() != "3" {
				t.Fatalf("503 without Retry-After 3: %s", res.String())
			}
		default:
			t.Fatalf("got %d", res.StatusCode)
		}
		flood.ack("99")
	}
	if refused != 20 {
		t.Errorf("refused %d of 30, want 20 (burst of 10)", refused)
	}
	// The per-source limit is by host; the test's other caller shares
	// 127.0.0.1, so it goes through once the (injected) clock moves on.
	now.Add(int64(2 * time.Second))
	other := newUAC(t, ts.Addr("udp"))
	other.send(other.request("INVITE", "99", callerSDP))
	if res := other.final(); res.StatusCode != 404 {
		t.Fatalf("after the flood got %d, want the call admitted (404 for the number)", res.StatusCode)
	}
	other.ack("99")
	if n := ts.attempts("503"); n != 20 {
		t.Errorf("503 attempts %v, want 20", n)
	}
}

// realMediaCall is a call answered over the real media leg (a pacer and
// RTPMedia), its flow given: the server, the caller's SIP agent, the
// caller's RTP socket (in the offer) and the server leg's RTP address
// (from the answer).
type realMediaCall struct {
	ts     *testServer
	u      *uac
	caller *net.UDPConn
	leg    *net.UDPAddr
}

func answerOverRealMedia(t *testing.T, flow func(ctx context.Context, ch ivr.Channel) error) realMediaCall {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pacer := media.NewPacer(ctx)
	t.Cleanup(func() { cancel(); pacer.Wait() })
	m, err := NewRTPMedia(pacer, nil)
	if err != nil {
		t.Fatal(err)
	}
	caller, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { caller.Close() })
	ts := startServer(t, Options{Media: m}, flow)
	u := newUAC(t, ts.Addr("udp"))
	sdp := strings.Replace(callerSDP, "40000", fmt.Sprint(caller.LocalAddr().(*net.UDPAddr).Port), 1)
	u.send(u.request("INVITE", "10000", sdp))
	res := u.expect(200)
	u.ack("10000")
	ans, err := ParseOffer(res.Body())
	if err != nil {
		t.Fatal(err)
	}
	return realMediaCall{ts: ts, u: u, caller: caller, leg: net.UDPAddrFromAddrPort(ans.Remote)}
}

// TestBadRTP: with the real media leg, RTP from a stranger and truncated
// RTP are dropped and counted; the caller's key still reaches the flow.
func TestBadRTP(t *testing.T) {
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	got := make(chan string, 1)
	call := answerOverRealMedia(t, func(ctx context.Context, ch ivr.Channel) error {
		in, err := ch.Receive(ctx, time.Time{}, nil)
		if err != nil {
			return err
		}
		got <- in.Digits
		return ch.Hangup(ctx)
	})
	ts, u, caller, leg := call.ts, call.u, call.caller, call.leg
	pkt := func(pt uint8, seq uint16, ts uint32, payload []byte) []byte {
		b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: 9}, Payload: payload}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	send := func(c *net.UDPConn, b []byte) {
		if _, err := c.WriteToUDP(b, leg); err != nil {
			t.Fatal(err)
		}
	}
	event := func(key byte, end bool) []byte {
		e := byte(10)
		if end {
			e |= 0x80
		}
		return []byte{key, e, 0, 160}
	}
	send(caller, pkt(0, 1, 160, make([]byte, 160)))     // the caller talks: latched
	send(stranger, pkt(101, 1, 320, event(7, true)))    // a stranger's key 7
	send(caller, pkt(0, 2, 320, make([]byte, 160))[:7]) // truncated
	send(caller, []byte{0x80})                          // one byte
	for range 3 {
		send(caller, pkt(101, 3, 480, event(5, true))) // the caller's key 5, end packet thrice
	}
	select {
	case d := <-got:
		if d != "5" {
			t.Fatalf("flow got %q, want the caller's 5", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the caller's key never reached the flow")
	}
	if req, ok := u.read().(*sip.Request); !ok || req.Method != sip.BYE {
		t.Fatal("want the flow's BYE")
	} else {
		u.send(sip.NewResponseFromRequest(req, 200, "OK", nil).String())
	}
	if err := waitFlow(t, ts.runner); err != nil {
		t.Fatal(err)
	}
	if n := testutil.ToFloat64(ts.m.dtmf.WithLabelValues("rfc4733")); n != 1 {
		t.Errorf("rfc4733 digits %v, want 1 (not the stranger's, not the repeats)", n)
	}
}
