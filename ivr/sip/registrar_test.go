package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/pion/rtp"

	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
)

type staticCredentials map[string][2]string // user -> agent, ha1

func (c staticCredentials) SIPUser(_ context.Context, user string) (string, string, error) {
	v, ok := c[user]
	if !ok {
		return "", "", fmt.Errorf("%s: %w", user, ErrUnknownUser)
	}
	return v[0], v[1], nil
}

// sipPhone is an agent's SIP phone made with sipgo: it registers with
// digest credentials and answers INVITEs as its answer func says.
type sipPhone struct {
	t      *testing.T
	ua     *sipgo.UserAgent
	client *sipgo.Client
	dialog *sipgo.DialogUA
	port   int
	rtp    *net.UDPConn
	server string // the hotline's SIP address

	// answer decides what an INVITE gets: 200 (answer), or a failure code;
	// 0 rings until CANCEL.
	answer int

	mu       sync.Mutex
	dlg      *sipgo.DialogServerSession
	invites  chan *sip.Request
	byes     chan struct{}
	canceled chan struct{}
}

func newSIPPhone(t *testing.T, server string, answer int) *sipPhone {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-phone"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port))
	if err != nil {
		t.Fatal(err)
	}
	p := &sipPhone{t: t, ua: ua, client: client, port: port, server: server, answer: answer,
		invites: make(chan *sip.Request, 4), byes: make(chan struct{}, 4), canceled: make(chan struct{}, 4)}
	p.dialog = &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: port}}}
	p.rtp, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		d := p.dlg
		p.mu.Unlock()
		if d != nil {
			_ = d.ReadAck(req, tx)
		}
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		d := p.dlg
		p.mu.Unlock()
		if d != nil {
			_ = d.ReadBye(req, tx)
		}
		p.byes <- struct{}{}
	})
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.ServeUDP(conn)
	}()
	t.Cleanup(func() {
		p.rtp.Close()
		ua.Close()
		conn.Close()
		<-served
	})
	return p
}

func (p *sipPhone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	p.invites <- req
	d, err := p.dialog.ReadInvite(req, tx)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.dlg = d
	p.mu.Unlock()
	_ = d.Respond(180, "Ringing", nil)
	switch p.answer {
	case 0:
		<-d.Context().Done() // CANCEL
		p.canceled <- struct{}{}
	case 200:
		port := p.rtp.LocalAddr().(*net.UDPAddr).Port
		sdp := fmt.Sprintf("v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n", port)
		_ = d.RespondSDP([]byte(sdp))
	default:
		_ = d.Respond(p.answer, "No", nil)
	}
}

// register sends REGISTER with digest credentials and returns the final
// response.
func (p *sipPhone) register(user, password string, expires int) *sip.Response {
	p.t.Helper()
	host, port, _ := net.SplitHostPort(p.server)
	pn, _ := strconv.Atoi(port)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: pn})
	aor := sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1"}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", newID())
	req.AppendHeader(from)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: p.port}})
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		p.t.Fatalf("register: %v", err)
	}
	if res.StatusCode != 401 {
		return res
	}
	res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
	if err != nil {
		p.t.Fatalf("register with digest: %v", err)
	}
	return res
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
	p := newSIPPhone(t, f.srv.Addr("udp"), 200)
	if res := p.register("1001", "wrong", 300); res.StatusCode != 403 {
		t.Fatalf("wrong password: got %d, want 403", res.StatusCode)
	}
	if f.srv.Registered("a1") {
		t.Fatal("registered with a wrong password")
	}
	if res := p.register("9999", "s3cret", 300); res.StatusCode != 403 {
		t.Fatalf("unknown user: got %d, want 403", res.StatusCode)
	}
	if res := p.register("1001", "s3cret", 10); res.StatusCode != 423 || res.GetHeader("Min-Expires") == nil {
		t.Fatalf("too brief: got %d, want 423 with Min-Expires", res.StatusCode)
	}
	res := p.register("1001", "s3cret", 300)
	if res.StatusCode != 200 || !f.srv.Registered("a1") {
		t.Fatalf("register: got %d, registered %v", res.StatusCode, f.srv.Registered("a1"))
	}
	if e := res.GetHeader("Expires"); e == nil || e.Value() != "300" {
		t.Fatalf("Expires %v, want 300", e)
	}
	// Expires 0 unregisters.
	if res := p.register("1001", "s3cret", 0); res.StatusCode != 200 || f.srv.Registered("a1") {
		t.Fatalf("unregister: got %d, registered %v", res.StatusCode, f.srv.Registered("a1"))
	}
	// A third failure from the source locks it out, right password or not.
	if res := p.register("1001", "nope", 300); res.StatusCode != 403 {
		t.Fatalf("got %d", res.StatusCode)
	}
	if res := p.register("1001", "s3cret", 300); res.StatusCode != 503 || res.GetHeader("Retry-After") == nil {
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
	if !r.verify(cred, ha1, "REGISTER", now) {
		t.Fatal("valid credentials refused")
	}
	if r.verify(cred, ha1, "REGISTER", now) {
		t.Fatal("replayed credentials accepted")
	}
	if !r.verify(digestFor("1001", "s3cret", n, 2), ha1, "REGISTER", now) {
		t.Fatal("next nonce-count refused")
	}
	if ours, _ := r.checkNonce("00"+n[2:], now); ours {
		t.Fatal("forged nonce taken as ours")
	}
	if _, fresh := r.checkNonce(n, now.Add(time.Hour)); fresh {
		t.Fatal("old nonce still fresh")
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
			p := newSIPPhone(t, f.srv.Addr("udp"), tc.answer)
			if res := p.register("1001", "s3cret", 300); res.StatusCode != 200 {
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
		p := newSIPPhone(t, f.srv.Addr("udp"), 0)
		if res := p.register("1001", "s3cret", 300); res.StatusCode != 200 {
			t.Fatalf("register: %d", res.StatusCode)
		}
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan error, 1)
		go func() {
			_, err := ringer.Ring(ctx, "a1", phone.CallInfo{ContactID: "c1"})
			got <- err
		}()
		inv := <-p.invites
		if h := inv.GetHeader("X-Hotline-Contact"); h == nil || h.Value() != "c1" {
			t.Fatalf("INVITE lacks the contact id: %v", h)
		}
		cancel()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		select {
		case <-p.canceled:
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
	var p *sipPhone
	startCall(t, f, media.PCMU, func(s *Server, _ *phone.Phones) phone.Ringer {
		r := s.AttachRegistrar(RegistrarOptions{Realm: "hotline",
			Credentials: staticCredentials{"1001": {"a1", HA1("1001", "hotline", "s3cret")}}})
		p = newSIPPhone(t, s.Addr("udp"), 200)
		if res := p.register("1001", "s3cret", 300); res.StatusCode != 200 {
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
	_ = p.rtp.SetReadDeadline(time.Now().Add(5 * time.Second))
	for got < 3*phone.FrameSize {
		n, a, err := p.rtp.ReadFromUDP(buf)
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
		_, _ = p.rtp.WriteToUDP(pkt, from)
	}
	w := []byte{agentByte}
	media.Transcode(w, media.PCMA, media.PCMU)
	f.hears(t, w[0], 3*phone.FrameSize)
	// The phone hangs up.
	p.mu.Lock()
	d := p.dlg
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Bye(ctx); err != nil {
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

// digestFor computes a phone's Authorization for REGISTER (qop=auth).
func digestFor(user, password, nonce string, nc int) *digest.Credentials {
	chal := &digest.Challenge{Realm: "hotline", Nonce: nonce, Algorithm: "MD5", QOP: []string{"auth"}}
	c, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:127.0.0.1", Username: user, Password: password, Count: nc, Cnonce: "abc"})
	if err != nil {
		panic(err)
	}
	return c
}
