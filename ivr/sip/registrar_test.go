package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/icholy/digest"
	"github.com/pion/rtp"

	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/sip/siptest"
)

type staticCredentials map[string][2]string // user -> agent, ha1

func (c staticCredentials) SIPUser(_ context.Context, user string) (string, string, error) {
	v, ok := c[user]
	if !ok {
		return "", "", fmt.Errorf("%s: %w", user, ErrUnknownUser)
	}
	return v[0], v[1], nil
}

func startRegistrar(t *testing.T) (*agentFixture, *Ringer) {
	t.Helper()
	var ringer *Ringer
	f := &agentFixture{}
	startCallServerOnly(t, f, func(s *Server) {
		ringer = s.AttachRegistrar(RegistrarOptions{Realm: "hotline", Failures: 3,
			Credentials: staticCredentials{"1001": {"a1", HA1("1001", "hotline", "s3cret")}}})
	})
	return f, ringer
}

func TestRegisterDigest(t *testing.T) {
	f, _ := startRegistrar(t)
	p := siptest.NewPhone(t, f.srv.Addr("udp"), 200)
	if res := p.Register("1001", "wrong", 300); res.StatusCode != 403 {
		t.Fatalf("wrong password: got %d, want 403", res.StatusCode)
	}
	if f.srv.Registered("a1") {
		t.Fatal("registered with a wrong password")
	}
	if res := p.Register("9999", "s3cret", 300); res.StatusCode != 403 {
		t.Fatalf("unknown user: got %d, want 403", res.StatusCode)
	}
	if res := p.Register("1001", "s3cret", 10); res.StatusCode != 423 || res.GetHeader("Min-Expires") == nil {
		t.Fatalf("too brief: got %d, want 423 with Min-Expires", res.StatusCode)
	}
	res := p.Register("1001", "s3cret", 300)
	if res.StatusCode != 200 || !f.srv.Registered("a1") {
		t.Fatalf("register: got %d, registered %v", res.StatusCode, f.srv.Registered("a1"))
	}
	if e := res.GetHeader("Expires"); e == nil || e.Value() != "300" {
		t.Fatalf("Expires %v, want 300", e)
	}
	// Expires 0 unregisters.
	if res := p.Register("1001", "s3cret", 0); res.StatusCode != 200 || f.srv.Registered("a1") {
		t.Fatalf("unregister: got %d, registered %v", res.StatusCode, f.srv.Registered("a1"))
	}
	// A third failure from the source locks it out, right password or not.
	if res := p.Register("1001", "nope", 300); res.StatusCode != 403 {
		t.Fatalf("got %d", res.StatusCode)
	}
	if res := p.Register("1001", "s3cret", 300); res.StatusCode != 503 || res.GetHeader("Retry-After") == nil {
		t.Fatalf("locked source: got %d, want 503 with Retry-After", res.StatusCode)
	}
}

// A replayed Authorization (same nonce and nonce-count) is refused.
func TestRegisterReplay(t *testing.T) {
	f, _ := startRegistrar(t)
	r := f.srv.reg.Load()
	now := time.Now()
	n := r.nonce(now)
	cred := digestFor("1001", "s3cret", n, 1)
	ha1 := HA1("1001", "hotline", "s3cret")
	if v := r.verify(cred, ha1, "REGISTER", now); v != valid {
		t.Fatalf("valid credentials: got %v, want valid", v)
	}
	if v := r.verify(cred, ha1, "REGISTER", now); v != replayed {
		t.Fatalf("replayed credentials: got %v, want replayed", v)
	}
	if v := r.verify(digestFor("1001", "s3cret", n, 2), ha1, "REGISTER", now); v != valid {
		t.Fatalf("next nonce-count: got %v, want valid", v)
	}
	if v := r.verify(digestFor("1001", "wrong", n, 3), ha1, "REGISTER", now); v != wrong {
		t.Fatalf("wrong password: got %v, want wrong", v)
	}
	if ours, _ := r.checkNonce("00"+n[2:], now); ours {
		t.Fatal("forged nonce taken as ours")
	}
	if _, fresh := r.checkNonce(n, now.Add(time.Hour)); fresh {
		t.Fatal("old nonce still fresh")
	}
	// Two challenges in one tick of the clock: two nonces, so the second
	// phone's first answer (nonce-count 1) is no replay of the first's.
	n2 := r.nonce(now)
	if n2 == n {
		t.Fatal("two challenges at one instant got the same nonce")
	}
	if ours, fresh := r.checkNonce(n2, now); !ours || !fresh {
		t.Fatalf("second nonce: ours %v, fresh %v", ours, fresh)
	}
	if v := r.verify(digestFor("1001", "s3cret", n2, 1), ha1, "REGISTER", now); v != valid {
		t.Fatalf("nonce-count 1 of the second nonce: got %v, want valid", v)
	}
}

func TestRingSIPPhone(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer int
		want   error
	}{
		{"busy", 486, phone.ErrBusy},
		{"declined", 603, phone.ErrDeclined},
		{"no answer", 480, phone.ErrNoAnswer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ringer := startRegistrar(t)
			p := siptest.NewPhone(t, f.srv.Addr("udp"), tc.answer)
			if res := p.Register("1001", "s3cret", 300); res.StatusCode != 200 {
				t.Fatalf("register: %d", res.StatusCode)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := ringer.Ring(ctx, "a1", phone.CallInfo{ContactID: "c1", Caller: "13800138000", Queue: "q"})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("not registered", func(t *testing.T) {
		_, ringer := startRegistrar(t)
		if _, err := ringer.Ring(context.Background(), "a1", phone.CallInfo{ContactID: "c1"}); !errors.Is(err, phone.ErrNoPhone) {
			t.Fatalf("got %v, want ErrNoPhone", err)
		}
	})
	t.Run("cancel while ringing", func(t *testing.T) {
		f, ringer := startRegistrar(t)
		p := siptest.NewPhone(t, f.srv.Addr("udp"), 0)
		if res := p.Register("1001", "s3cret", 300); res.StatusCode != 200 {
			t.Fatalf("register: %d", res.StatusCode)
		}
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan error, 1)
		go func() {
			_, err := ringer.Ring(ctx, "a1", phone.CallInfo{ContactID: "c1"})
			got <- err
		}()
		inv := <-p.Invites
		if h := inv.GetHeader("X-Hotline-Contact"); h == nil || h.Value() != "c1" {
			t.Fatalf("INVITE lacks the contact id: %v", h)
		}
		cancel()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		select {
		case <-p.Canceled:
		case <-time.After(5 * time.Second):
			t.Fatal("the phone never saw the CANCEL")
		}
	})
}

// A caller bridged to a registered SIP phone: audio both ways over real
// sockets (caller PCMU, phone PCMA), then the phone hangs up (BYE) and
// the caller goes on to the survey.
func TestBridgeToSIPPhone(t *testing.T) {
	f := &agentFixture{}
	var p *siptest.Phone
	startCall(t, f, media.PCMU, func(s *Server, _ *phone.Phones) phone.Ringer {
		r := s.AttachRegistrar(RegistrarOptions{Realm: "hotline",
			Credentials: staticCredentials{"1001": {"a1", HA1("1001", "hotline", "s3cret")}}})
		p = siptest.NewPhone(t, s.Addr("udp"), 200)
		if res := p.Register("1001", "s3cret", 300); res.StatusCode != 200 {
			t.Fatalf("register: %d", res.StatusCode)
		}
		return r
	}, true)
	// Caller -> phone, transcoded to A-law.
	f.say(t, media.PCMU, encode(media.PCMU, 3000), 10)
	want := []byte{encode(media.PCMU, 3000)}
	media.Transcode(want, media.PCMU, media.PCMA)
	buf := make([]byte, 1500)
	got := 0
	var from *net.UDPAddr
	_ = p.RTP.SetReadDeadline(time.Now().Add(5 * time.Second))
	for got < 3*phone.FrameSize {
		n, a, err := p.RTP.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("phone heard %d bytes: %v", got, err)
		}
		from = a
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) == nil && pkt.PayloadType == 8 {
			got += bytes.Count(pkt.Payload, want)
		}
	}
	// Phone -> caller, back to µ-law.
	agentByte := encode(media.PCMA, -9000)
	for i := range 10 {
		pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: uint16(i), Timestamp: uint32(160 * i), SSRC: 5},
			Payload: bytes.Repeat([]byte{agentByte}, 160)}).Marshal()
		_, _ = p.RTP.WriteToUDP(pkt, from)
	}
	w := []byte{agentByte}
	media.Transcode(w, media.PCMA, media.PCMU)
	f.hears(t, w[0], 3*phone.FrameSize)
	// The relay took no goroutine per direction: the pacer's receive
	// path hands each frame on (before, two goroutines per bridged call
	// waited in Stream.ReadFrame, woken per frame).
	if n := goroutinesIn("media.(*Stream).ReadFrame"); n != 0 {
		t.Errorf("%d goroutines relay frames of a bridged SIP phone, want 0", n)
	}
	// The phone hangs up.
	if err := p.Hangup(); err != nil {
		t.Fatalf("phone BYE: %v", err)
	}
	select {
	case <-f.runner.survey:
	case <-time.After(5 * time.Second):
		t.Fatal("the caller did not go on after the phone hung up")
	}
	f.caller.send(f.caller.request("BYE", "10000", ""))
	if err := <-f.runner.done; !errors.Is(err, ivr.ErrHangup) {
		t.Fatalf("flow ended with %v", err)
	}
}

// goroutinesIn counts the goroutines whose stack has fn in it.
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, fn) {
			count++
		}
	}
	return count
}

// digestFor computes a phone's Authorization for REGISTER (qop=auth).
func digestFor(user, password, nonce string, nc int) *digest.Credentials {
	chal := &digest.Challenge{Realm: "hotline", Nonce: nonce, Algorithm: "MD5", QOP: []string{"auth"}}
	c, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:127.0.0.1", Username: user, Password: password, Count: nc, Cnonce: "abc"})
	if err != nil {
		panic(err)
	}
	return c
}
