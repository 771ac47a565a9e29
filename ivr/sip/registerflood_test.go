package sip

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/pion/rtp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/sip/siptest"
)

// newUACAt is newUAC from another loopback address: another source.
func newUACAt(t *testing.T, server, host string) *uac {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(host)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	sa, _ := net.ResolveUDPAddr("udp", server)
	return &uac{t: t, conn: conn, server: sa, callID: newID() + "@test", tag: newID(), from: "1001", cseq: 1}
}

// registerBare sends a REGISTER (a new transaction, a new Call-ID) with
// the extra headers (none: no credentials, no Expires) and returns its
// final answer. A "Contact: ..." among them replaces the uac's own;
// "-Contact" leaves it out.
func (u *uac) registerBare(user string, extra ...string) *sip.Response {
	u.t.Helper()
	u.callID = newID() + "@flood"
	var headers []string
	contact := ""
	for _, h := range extra {
		if h == "-Contact" || strings.HasPrefix(h, "Contact:") {
			contact = h
			continue
		}
		headers = append(headers, h)
	}
	msg := u.request("REGISTER", user, "", headers...)
	// request addresses To to user@server; the Request-URI of a REGISTER
	// is the registrar's domain (RFC 3261 10.2).
	msg = strings.Replace(msg, "REGISTER sip:"+user+"@", "REGISTER sip:", 1)
	if contact != "" {
		own := fmt.Sprintf("Contact: <sip:%s@%s>\r\n", u.from, u.local())
		if contact == "-Contact" {
			contact = ""
		} else {
			contact += "\r\n"
		}
		msg = strings.Replace(msg, own, contact, 1)
	}
	u.send(msg)
	for {
		res, ok := u.read().(*sip.Response)
		if ok && !res.IsProvisional() && res.CSeq() != nil && res.CSeq().MethodName == sip.REGISTER {
			return res
		}
	}
}

// registerAuth is registerBare answering the challenge with password.
func (u *uac) registerAuth(user, password string, extra ...string) *sip.Response {
	u.t.Helper()
	res := u.registerBare(user, extra...)
	if res.StatusCode != 401 {
		return res
	}
	chal, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		u.t.Fatal(err)
	}
	return u.registerBare(user, append(extra, "Authorization: "+digestFor(user, password, chal.Nonce, 1).String())...)
}

// phoneAudioBothWays checks a call bridged to the SIP phone p carries
// audio both ways: the caller's (µ-law) reaches the phone as A-law, the
// phone's (A-law) reaches the caller as µ-law. The levels make each check's
// bytes its own (not left over from an earlier one).
func (f *agentFixture) phoneAudioBothWays(t *testing.T, p *siptest.Phone, callerLevel, phoneLevel int16) {
	t.Helper()
	callerByte := encode(media.PCMU, callerLevel)
	want := []byte{callerByte}
	media.Transcode(want, media.PCMU, media.PCMA)
	buf := make([]byte, 1500)
	got := 0
	var from *net.UDPAddr
	deadline := time.Now().Add(5 * time.Second) // bounds a broken test only
	for got < 3*phone.FrameSize {
		f.say(t, media.PCMU, callerByte, 5)
		_ = p.RTP.SetReadDeadline(deadline)
		n, a, err := p.RTP.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("phone heard %d bytes of the caller: %v", got, err)
		}
		from = a
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) == nil && pkt.PayloadType == 8 {
			got += bytes.Count(pkt.Payload, want)
		}
	}
	agentByte := encode(media.PCMA, phoneLevel)
	for i := range 10 {
		pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: uint16(i), Timestamp: uint32(160 * i), SSRC: 5},
			Payload: bytes.Repeat([]byte{agentByte}, 160)}).Marshal()
		_, _ = p.RTP.WriteToUDP(pkt, from)
	}
	w := []byte{agentByte}
	media.Transcode(w, media.PCMA, media.PCMU)
	f.hears(t, w[0], 3*phone.FrameSize)
}

// TestRegisterFlood (issue 12, "Bad input": REGISTER floods): a source
// sending REGISTERs without credentials gets its bucket's worth of 401
// challenges, then 503 with Retry-After; meanwhile another source's phone
// registers, a live call bridged to a registered phone keeps
// its audio both ways, and that phone refreshes its registration. The
// refusals are counted, and the flooding source is throttled, not locked
// out: once its bucket refills its phone registers. The clock is the
// server's injected one: only the test moves it.
func TestRegisterFlood(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	f := &agentFixture{}
	startCallServerOnly(t, f, func(s *Server) {
		s.o.Now = func() time.Time { return time.Unix(0, now.Load()) }
		r := s.AttachRegistrar(RegistrarOptions{Realm: "hotline", PerSource: 5, Burst: 10, Credentials: staticCredentials{
			"1001": {"a1", HA1("1001", "hotline", "s3cret")},
			"1002": {"a2", HA1("1002", "hotline", "s3cret")},
			"1003": {"a3", HA1("1003", "hotline", "s3cret")},
		}})
		f.runner.phones.Register(phone.KindBrowser, r) // the runner rings a1's default kind
	})
	p1 := siptest.NewPhone(t, f.srv.Addr("udp"), 200)
	if res := p1.Register("1001", "s3cret", 300); res.StatusCode != 200 {
		t.Fatalf("register a1: %d", res.StatusCode)
	}
	f.call(t, media.PCMU, true)
	f.phoneAudioBothWays(t, p1, 3000, -9000)

	flood := newUACAt(t, f.srv.Addr("udp"), "127.0.0.2")
	challenged, refused := 0, 0
	for range 30 {
		switch res := flood.registerBare("1001"); res.StatusCode {
		case 401:
			challenged++
		case 503:
			refused++
			if h := res.GetHeader("Retry-After"); h == nil || h.Value() != "10" {
				t.Fatalf("503 without Retry-After 10 (sip.retry_after): %s", res.String())
			}
		default:
			t.Fatalf("flooded REGISTER got %d, want 401 or 503", res.StatusCode)
		}
	}
	if challenged != 10 || refused != 20 {
		t.Errorf("flood: %d challenged, %d refused; want 10 (the burst), 20", challenged, refused)
	}

	// Another source registers; the live call and its phone go on.
	p2 := siptest.NewPhoneAt(t, f.srv.Addr("udp"), 200, "127.0.0.3")
	if res := p2.Register("1002", "s3cret", 300); res.StatusCode != 200 || !f.srv.Registered("a2") {
		t.Fatalf("another source's REGISTER during the flood: %d", res.StatusCode)
	}
	f.phoneAudioBothWays(t, p1, -2000, 7000)
	if res := p1.Register("1001", "s3cret", 300); res.StatusCode != 200 {
		t.Fatalf("the bridged phone's refresh during the flood: %d", res.StatusCode)
	}
	if n := testutil.ToFloat64(f.srv.m.registers.WithLabelValues("rate_limited")); n != 20 {
		t.Errorf("rate_limited %v, want 20", n)
	}
	if n := testutil.ToFloat64(f.srv.m.registers.WithLabelValues("locked_out")); n != 0 {
		t.Errorf("locked_out %v, want 0", n)
	}

	// Throttled, not locked out: two seconds later (10 tokens) a phone at
	// the flooding address registers.
	now.Add(int64(2 * time.Second))
	p3 := siptest.NewPhoneAt(t, f.srv.Addr("udp"), 200, "127.0.0.2")
	if res := p3.Register("1003", "s3cret", 300); res.StatusCode != 200 || !f.srv.Registered("a3") {
		t.Fatalf("after the flood the source's phone: %d", res.StatusCode)
	}

	if err := p1.Hangup(); err != nil {
		t.Fatalf("phone BYE: %v", err)
	}
	select {
	case <-f.runner.survey:
	case <-time.After(5 * time.Second): // bounds a broken test only
		t.Fatal("the caller did not go on after the phone hung up")
	}
	f.caller.send(f.caller.request("BYE", "10000", ""))
	<-f.runner.done
	if n := testutil.ToFloat64(f.srv.m.attempts.WithLabelValues("503")); n != 0 {
		t.Errorf("INVITEs refused %v, want none", n)
	}
}

// TestRegisterLimitDefaults: by default one address registers 2 000 phones
// at once (an SBC or PBX after a restart: two REGISTERs each) and is then
// held to 200 REGISTERs a second.
func TestRegisterLimitDefaults(t *testing.T) {
	r := newRegistrar(RegistrarOptions{})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 4000 {
		if ok, _ := r.admit("192.0.2.1", at); !ok {
			t.Fatalf("REGISTER %d of 4 000 at once refused", i+1)
		}
	}
	ok, first := r.admit("192.0.2.1", at)
	if ok || !first {
		t.Fatalf("REGISTER 4 001 at once: admitted %v, first refusal %v; want refused, first", ok, first)
	}
	if ok, first := r.admit("192.0.2.1", at); ok || first {
		t.Fatalf("the next: admitted %v, first %v; want refused, not first", ok, first)
	}
	if ok, _ := r.admit("192.0.2.2", at); !ok {
		t.Fatal("another source refused")
	}
	at = at.Add(time.Second)
	for i := range 200 {
		if ok, _ := r.admit("192.0.2.1", at); !ok {
			t.Fatalf("REGISTER %d of 200 a second later refused", i+1)
		}
	}
	if ok, _ := r.admit("192.0.2.1", at); ok {
		t.Fatal("REGISTER 201 within the second admitted")
	}
}

// TestRegisterLimitForgetsIdleSources: past maxSources buckets, the full
// (idle) ones are dropped; a source still over its limit is kept.
func TestRegisterLimitForgetsIdleSources(t *testing.T) {
	r := newRegistrar(RegistrarOptions{PerSource: 1, Burst: 1})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.admit("flooder", at)
	for i := range maxSources {
		r.admit(fmt.Sprint("10.0.", i/256, ".", i%256), at.Add(-time.Hour))
	}
	r.admit("newcomer", at)
	if n := len(r.limits.m); n != 2 {
		t.Fatalf("%d buckets kept, want 2 (the flooder's, the newcomer's)", n)
	}
	if ok, _ := r.admit("flooder", at); ok {
		t.Fatal("the flooder's empty bucket was forgotten")
	}
}

// TestRegisterReplayedOverTheWire (issue 12, "Bad input": replayed digest
// credentials): a REGISTER copied off the wire, sent again from another
// address with that address as Contact, does not move the phone's
// binding: it gets a fresh challenge (401, stale=true: the digest itself
// was right) and counts as no failure, so copies cannot lock a source out
// either. Wrong credentials still get 403 and do lock out.
func TestRegisterReplayedOverTheWire(t *testing.T) {
	f, _ := startRegistrar(t) // Failures: 3
	phone := newUACAt(t, f.srv.Addr("udp"), "127.0.0.2")
	res := phone.registerBare("1001")
	if res.StatusCode != 401 {
		t.Fatalf("got %d, want the challenge", res.StatusCode)
	}
	chal, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		t.Fatal(err)
	}
	auth := "Authorization: " + digestFor("1001", "s3cret", chal.Nonce, 1).String()
	if res := phone.registerBare("1001", auth, "Expires: 300"); res.StatusCode != 200 {
		t.Fatalf("the phone's REGISTER got %d, want 200", res.StatusCode)
	}
	want, ok := f.srv.reg.Load().lookup("a1", time.Now())
	if !ok || want.contact.Host != "127.0.0.2" {
		t.Fatalf("binding %+v, %v; want the phone's", want.contact, ok)
	}

	thief := newUACAt(t, f.srv.Addr("udp"), "127.0.0.4")
	for range 5 { // more than Failures
		res := thief.registerBare("1001", auth)
		if res.StatusCode != 401 {
			t.Fatalf("replayed REGISTER got %d, want 401", res.StatusCode)
		}
		c, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
		if err != nil || !c.Stale || c.Nonce == chal.Nonce {
			t.Fatalf("challenge %+v, %v; want stale=true with a new nonce", c, err)
		}
	}
	if got, ok := f.srv.reg.Load().lookup("a1", time.Now()); !ok || got.contact.Host != "127.0.0.2" || got.source != want.source {
		t.Fatalf("binding after the replays %+v from %s, want the phone's %+v from %s", got.contact, got.source, want.contact, want.source)
	}
	if n := testutil.ToFloat64(f.srv.m.registers.WithLabelValues("replayed")); n != 5 {
		t.Errorf("replayed %v, want 5", n)
	}
	// No lock-out: the same address with the password registers (and
	// then takes the binding: it knows the password).
	p := siptest.NewPhoneAt(t, f.srv.Addr("udp"), 200, "127.0.0.4")
	if res := p.Register("1001", "s3cret", 300); res.StatusCode != 200 {
		t.Fatalf("after the replays the address's own REGISTER got %d, want 200", res.StatusCode)
	}
	// Wrong credentials are still failures: the third locks out.
	for i := range 3 {
		if res := p.Register("1001", "wrong", 300); res.StatusCode != 403 {
			t.Fatalf("wrong password %d: got %d, want 403", i+1, res.StatusCode)
		}
	}
	if res := p.Register("1001", "s3cret", 300); res.StatusCode != 503 {
		t.Fatalf("locked out: got %d, want 503", res.StatusCode)
	}
	if n := testutil.ToFloat64(f.srv.m.registers.WithLabelValues("locked_out")); n != 1 {
		t.Errorf("locked_out %v, want 1", n)
	}
	// The lock-out is the address's only: the phone at 127.0.0.2 refreshes.
	if res := phone.registerAuth("1001", "s3cret", "Expires: 300"); res.StatusCode != 200 {
		t.Fatalf("another address during the lock-out got %d, want 200", res.StatusCode)
	}
}

// TestRegisterExpiresAndContact: how a REGISTER's Contact and Expires are
// read (RFC 3261 10.2, 10.3), over the wire with right credentials.
func TestRegisterExpiresAndContact(t *testing.T) {
	f, _ := startRegistrar(t) // MaxExpires 2 h, MinExpires 60 s, default 1 h
	u := newUACAt(t, f.srv.Addr("udp"), "127.0.0.2")
	own := fmt.Sprintf("Contact: <sip:1001@%s>", u.local())
	bound := func() (binding, bool) { return f.srv.reg.Load().lookup("a1", time.Now()) }
	for _, tc := range []struct {
		name    string
		headers []string
		code    int
		expires string // of the 200
	}{
		{"header", []string{"Expires: 300"}, 200, "300"},
		{"none: the default", nil, 200, "3600"},
		{"param wins over header", []string{"Expires: 300", own + ";expires=600"}, 200, "600"},
		{"capped", []string{"Expires: 86400"}, 200, "7200"},
		{"absurd: capped, not overflowed", []string{"Expires: 10000000000"}, 200, "7200"},
		{"beyond 64 bits: ignored", []string{"Expires: 99999999999999999999999"}, 200, "3600"},
		{"negative: ignored", []string{"Expires: -5"}, 200, "3600"},
		{"not a number: ignored", []string{"Expires: soon"}, 200, "3600"},
		{"too brief", []string{"Expires: 10"}, 423, ""},
		{"wildcard without Expires 0", []string{"Contact: *", "Expires: 300"}, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := u.registerAuth("1001", "s3cret", tc.headers...)
			if res.StatusCode != tc.code {
				t.Fatalf("got %d %s, want %d", res.StatusCode, res.Reason, tc.code)
			}
			if tc.code == 423 && res.GetHeader("Min-Expires") == nil {
				t.Fatal("423 without Min-Expires")
			}
			if tc.code != 200 {
				return
			}
			if e := res.GetHeader("Expires"); e == nil || e.Value() != tc.expires {
				t.Fatalf("Expires %v, want %s", e, tc.expires)
			}
			c := res.Contact()
			if c == nil {
				t.Fatal("200 without the Contact")
			}
			if v, _ := c.Params.Get("expires"); v != tc.expires {
				t.Fatalf("Contact %s, want expires=%s once", c.Value(), tc.expires)
			}
			if strings.Count(c.Value(), "expires=") != 1 {
				t.Fatalf("Contact %s: want one expires", c.Value())
			}
			if _, ok := bound(); !ok {
				t.Fatal("not bound")
			}
		})
	}
	// A REGISTER without Contact asks for the bindings: it changes none.
	res := u.registerAuth("1001", "s3cret", "-Contact", "Expires: 0")
	if res.StatusCode != 200 {
		t.Fatalf("query: got %d", res.StatusCode)
	}
	if c := res.Contact(); c == nil || c.Address.Host != "127.0.0.2" {
		t.Fatalf("query answered Contact %v, want the binding", c)
	}
	if _, ok := bound(); !ok {
		t.Fatal("a query without Contact unregistered the phone")
	}
	// Contact: * with Expires: 0 removes it.
	if res := u.registerAuth("1001", "s3cret", "Contact: *", "Expires: 0"); res.StatusCode != 200 {
		t.Fatalf("wildcard unregister: got %d", res.StatusCode)
	}
	if _, ok := bound(); ok {
		t.Fatal("still bound after Contact: * Expires: 0")
	}
}
