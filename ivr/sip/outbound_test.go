package sip

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/sip/siptest"
)

func testPlan(t *testing.T) *DialPlan {
	t.Helper()
	p, err := NewDialPlan([]string{`^1[3-9]\d{9}$`, `[2-8]\d{7}`})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDialPlan(t *testing.T) {
	p := testPlan(t)
	for _, tc := range []struct {
		number string
		ok     bool
	}{
		{"13800138000", true},
		{"+86 138-0013-8000", true},
		{"008613800138000", true},
		{"87654321", true},             // local number
		{"12800138000", false},         // no such mobile prefix
		{"1380013800", false},          // too short
		{"0085212345678", false},       // international
		{"00112125551234", false},      // international
		{"10000", false},               // the hotline itself
		{"110", false},                 // emergency: the trunk's business, never ours
		{"13800138000@evil", false},    // not a number
		{"13800138000;user=ph", false}, // not a number
		{"", false},
	} {
		err := p.Check(Normalize(tc.number))
		if (err == nil) != tc.ok {
			t.Errorf("%q: got %v, want allowed %v", tc.number, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrForbiddenNumber) {
			t.Errorf("%q: got %v, want ErrForbiddenNumber", tc.number, err)
		}
	}
	var empty *DialPlan
	if err := empty.Check("13800138000"); !errors.Is(err, ErrForbiddenNumber) {
		t.Errorf("no plan: got %v, want every number refused", err)
	}
	if _, err := NewDialPlan([]string{"1[3-9"}); err == nil || !strings.Contains(err.Error(), "1[3-9") {
		t.Errorf("bad pattern: got %v, want an error naming it", err)
	}
}

func FuzzDialPlan(f *testing.F) {
	for _, s := range []string{"13800138000", "+86 138 0013 8000", "sip:1@x", "0086", "\x00", "８８８"} {
		f.Add(s)
	}
	p, err := NewDialPlan([]string{`^1[3-9]\d{9}$`})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if p.Check(n) == nil && (len(n) != 11 || strings.Trim(n, "0123456789") != "") {
			t.Fatalf("%q allowed as %q", s, n)
		}
	})
}

// startTrunked starts a SIP server whose calls out go to a test trunk.
func startTrunked(t *testing.T, password string) (*Server, *siptest.Trunk) {
	t.Helper()
	tr := siptest.NewTrunk(t, "hotline", "trunk-secret")
	f := &agentFixture{}
	startCallServerOnly(t, f, func(s *Server) {
		if err := s.SetTrunk(&Trunk{Proxy: tr.Addr, Domain: "carrier.test", User: "hotline", Password: password,
			From: "02110000", Plan: testPlan(t), RingTimeout: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
	})
	return f.srv, tr
}

// A call out through the trunk: digest authentication, the number in the
// Request-URI, our number in From, and audio both ways on the leg.
func TestDialThroughTrunk(t *testing.T) {
	s, tr := startTrunked(t, "trunk-secret")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leg, err := s.Dial(ctx, Origin{Kind: OriginSystem, Contact: "c1"}, "+86 138-0013-8000")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer leg.Hangup(context.Background(), "test")
	inv := <-tr.Invites
	if got := inv.Recipient.User; got != "13800138000" {
		t.Errorf("Request-URI user: got %q, want 13800138000", got)
	}
	if got := inv.Recipient.Host; got != "carrier.test" {
		t.Errorf("Request-URI host: got %q, want carrier.test", got)
	}
	if got := inv.From().Address.User; got != "02110000" {
		t.Errorf("From: got %q, want 02110000", got)
	}
	if h := inv.GetHeader("Proxy-Authorization"); h == nil || !strings.Contains(h.Value(), `username="hotline"`) {
		t.Errorf("Proxy-Authorization: got %v", h)
	}
	if h := inv.GetHeader("X-Hotline-Contact"); h == nil || h.Value() != "c1" {
		t.Errorf("X-Hotline-Contact: got %v, want c1", h)
	}
	if leg.Codec().String() != "PCMU" {
		t.Errorf("codec: got %s, want PCMU", leg.Codec())
	}

	// Far end -> hotline: an RTP packet at the leg's address arrives as a frame.
	frame := make([]byte, phone.FrameSize)
	for i := range frame {
		frame[i] = 0x5a
	}
	sl := leg.(*sipLeg)
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1, SSRC: 7}, Payload: frame}).Marshal()
	if _, err := tr.RTP.WriteTo(pkt, sl.conn.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2*phone.FrameSize)
	n, err := leg.ReadFrame(ctx, buf)
	if err != nil || n != phone.FrameSize || buf[0] != 0x5a {
		t.Fatalf("frame from the far end: n=%d err=%v first=%#x", n, err, buf[0])
	}
	// Hotline -> far end.
	out := make([]byte, phone.FrameSize)
	for i := range out {
		out[i] = 0x33
	}
	if err := leg.WriteFrame(out); err != nil {
		t.Fatal(err)
	}
	// The leg sends every 20 ms (silence until the frame's turn comes).
	if got, _ := readPastSilence(t, tr.RTP, media.PCMU); len(got.Payload) != phone.FrameSize || got.Payload[0] != 0x33 {
		t.Fatalf("frame at the far end: %d bytes, first %#x", len(got.Payload), got.Payload[0])
	}

	// The far end hangs up: the leg ends.
	if err := tr.Hangup(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-leg.Done():
	case <-ctx.Done():
		t.Fatal("the leg did not end after the trunk's BYE")
	}
}

// Numbers outside the dial plan and originators other than the system and
// an authenticated agent are refused before anything reaches the trunk.
func TestDialRefused(t *testing.T) {
	s, tr := startTrunked(t, "trunk-secret")
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		origin Origin
		number string
		want   error
	}{
		{"international", Origin{Kind: OriginSystem}, "0085212345678", ErrForbiddenNumber},
		{"uri injection", Origin{Kind: OriginAgent, Agent: "a1"}, "13800138000@evil.example", ErrForbiddenNumber},
		{"no originator", Origin{}, "13800138000", ErrOriginRefused},
		{"agent without id", Origin{Kind: OriginAgent}, "13800138000", ErrOriginRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Dial(ctx, tc.origin, tc.number)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want == ErrForbiddenNumber && !strings.Contains(err.Error(), "dial plan") && !strings.Contains(err.Error(), "not a phone number") {
				t.Errorf("error %q does not say why", err)
			}
		})
	}
	if err := s.CheckNumber("0085212345678"); !errors.Is(err, ErrForbiddenNumber) {
		t.Errorf("CheckNumber: got %v, want ErrForbiddenNumber", err)
	}
	select {
	case inv := <-tr.Invites:
		t.Fatalf("the trunk got an INVITE for %s", inv.Recipient.User)
	default:
	}
	var noTrunk Server
	if _, err := noTrunk.Dial(ctx, Origin{Kind: OriginSystem}, "13800138000"); !errors.Is(err, ErrNoTrunk) {
		t.Errorf("no trunk: got %v, want ErrNoTrunk", err)
	}
}

// Wrong trunk credentials and a busy number end as ErrCustomerUnreachable
// with the trunk's status in the error.
func TestDialFailures(t *testing.T) {
	t.Run("wrong password", func(t *testing.T) {
		s, tr := startTrunked(t, "wrong")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := s.Dial(ctx, Origin{Kind: OriginSystem}, "13800138000")
		if !errors.Is(err, ErrCustomerUnreachable) || !strings.Contains(err.Error(), "407") {
			t.Fatalf("got %v, want ErrCustomerUnreachable with 407", err)
		}
		select {
		case <-tr.Refused:
		default:
			t.Fatal("the trunk saw no credentials")
		}
	})
	t.Run("busy", func(t *testing.T) {
		s, tr := startTrunked(t, "trunk-secret")
		tr.SetAnswer(486)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := s.Dial(ctx, Origin{Kind: OriginAgent, Agent: "a1"}, "13800138000")
		if !errors.Is(err, ErrCustomerUnreachable) || !strings.Contains(err.Error(), "486") {
			t.Fatalf("got %v, want ErrCustomerUnreachable with 486", err)
		}
	})
}

// An INVITE from a peer for a number we do not answer is refused with 404:
// the hotline never relays a caller to the trunk (no toll fraud through
// the IVR).
func TestInboundToOutsideNumberRefused(t *testing.T) {
	s, tr := startTrunked(t, "trunk-secret")
	u := newUAC(t, s.Addr("udp"))
	u.send(u.request("INVITE", "13800138000", callerSDP))
	if res := u.final(); res.StatusCode != 404 {
		t.Fatalf("INVITE to a mobile number: got %d, want 404", res.StatusCode)
	}
	u.ack("13800138000")
	select {
	case <-tr.Invites:
		t.Fatal("the trunk got a call")
	default:
	}
}
