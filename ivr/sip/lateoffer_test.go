package sip

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/ivr"
)

// TestLateOffer: an INVITE without SDP gets our offer in the 200 (PCMU,
// PCMA, telephone-event) and the flow runs on the media the ACK's answer
// chose.
func TestLateOffer(t *testing.T) {
	started := make(chan struct{})
	ts := startServer(t, Options{}, func(ctx context.Context, ch ivr.Channel) error {
		close(started)
		_, err := ch.Receive(ctx, time.Time{}, nil)
		return err
	})
	u := newUAC(t, ts.Addr("udp"))
	u.send(u.request("INVITE", "10000", ""))
	res := u.expect(200)
	body := string(res.Body())
	for _, want := range []string{"m=audio ", " RTP/AVP 0 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=sendrecv"} {
		if !strings.Contains(body, want) {
			t.Fatalf("our offer lacks %q:\n%s", want, body)
		}
	}
	offer, err := ParseOffer(res.Body())
	if err != nil || offer.Remote.Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("our offer %+v, %v", offer, err)
	}
	// The caller answers PCMA, with its telephone-event numbered 96.
	answer := strings.NewReplacer("RTP/AVP 0 101", "RTP/AVP 8 96", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
		"a=rtpmap:101", "a=rtpmap:96").Replace(callerSDP)
	u.send(u.request("ACK", "10000", answer))
	<-started
	u.send(u.request("BYE", "10000", ""))
	for {
		if r := u.final(); r.CSeq().MethodName == sip.BYE {
			break
		}
	}
	if err := waitFlow(t, ts.runner); !errors.Is(err, ivr.ErrHangup) {
		t.Fatalf("flow ended with %v, want ErrHangup", err)
	}
	l := ts.media.leg(t, 0)
	got := l.cfg.Offer
	if got.PayloadType != ptPCMA || got.DTMFPayloadType != 101 || got.Remote != netip.MustParseAddrPort("127.0.0.1:40000") {
		t.Errorf("leg opened with %+v, want PCMA, telephone-event 101 (ours), to 127.0.0.1:40000", got)
	}
	ts.stop()
	if got := ts.attempts("200"); got != 1 {
		t.Errorf("200 attempts %v, want 1", got)
	}
}

// TestLateOfferNoAnswer: an ACK without an SDP answer (or one we cannot
// use) ends the call with our BYE; no flow runs and the RTP socket closes.
func TestLateOfferNoAnswer(t *testing.T) {
	for name, ack := range map[string]string{
		"no body":    "",
		"only G.729": strings.NewReplacer("RTP/AVP 0 101", "RTP/AVP 18", "a=rtpmap:0 PCMU/8000", "a=rtpmap:18 G729/8000").Replace(callerSDP),
	} {
		t.Run(name, func(t *testing.T) {
			ts := startServer(t, Options{}, func(ctx context.Context, ch ivr.Channel) error {
				t.Error("a flow ran without media")
				return nil
			})
			u := newUAC(t, ts.Addr("udp"))
			u.send(u.request("INVITE", "10000", ""))
			res := u.expect(200)
			offer, err := ParseOffer(res.Body())
			if err != nil {
				t.Fatal(err)
			}
			u.send(u.request("ACK", "10000", ack))
			for {
				m := u.read()
				if req, ok := m.(*sip.Request); ok && req.Method == sip.BYE {
					u.send(sip.NewResponseFromRequest(req, 200, "OK", nil).String())
					break
				}
			}
			ts.stop()
			if n := len(ts.media.legs); n != 0 {
				t.Errorf("%d legs opened, want none", n)
			}
			// Our RTP port is free again.
			c, err := (&net.ListenConfig{}).ListenPacket(context.Background(), "udp", offer.Remote.String())
			if err != nil {
				t.Fatalf("RTP port still held: %v", err)
			}
			c.Close()
		})
	}
}
