package sip

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/sip/siptest"
)

// SDP renegotiation mid-call from a registered SIP desk phone (issue 12,
// "Bad input"), over real sockets: its hold button (a re-INVITE,
// sendonly) is answered recvonly and the caller hears the hold music; its
// resume (sendrecv, from a new RTP port) moves the agent's audio there;
// an offer without the call's codec is 488 and the call keeps its media;
// a session refresh (UPDATE without SDP) is 200. Before, every one of
// them was 481, on which a phone ends the call (RFC 3261 12.2.1.2).
func TestSIPPhoneRenegotiatesMidCall(t *testing.T) {
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
	moved, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer moved.Close()
	offer := func(port int, codecs, dir string) string {
		return fmt.Sprintf("v=0\r\no=- 2 3 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\n"+
			"a=rtpmap:8 PCMA/8000\r\na=rtpmap:18 G729/8000\r\na=%s\r\n", port, codecs, dir)
	}
	reinvite := func(sdp string, want int) *sip.Response {
		t.Helper()
		res, err := p.Request(sip.INVITE, "application/sdp", sdp)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != want {
			t.Fatalf("re-INVITE answered %d, want %d", res.StatusCode, want)
		}
		return res
	}

	// Hold on the phone: recvonly answer, music for the caller.
	res := reinvite(offer(p.RTP.LocalAddr().(*net.UDPAddr).Port, "8", "sendonly"), 200)
	ans, err := ParseOffer(res.Body())
	if err != nil || ans.PayloadType != 8 || ans.Direction != RecvOnly || res.Contact() == nil {
		t.Fatalf("answer to hold: %+v, %v, contact %v; want PCMA recvonly with a Contact", ans, err, res.Contact())
	}
	buf := make([]byte, 1500)
	distinct := map[byte]bool{}
	for len(distinct) < 20 { // the chime is not constant: many distinct bytes
		_ = f.rtp.SetReadDeadline(time.Now().Add(5 * time.Second)) // bounds a broken test only
		k, _, err := f.rtp.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("no hold music after the phone's hold: %v", err)
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:k]) == nil {
			for _, b := range pkt.Payload {
				distinct[b] = true
			}
		}
	}

	// Resume from another port: the caller's audio goes there.
	reinvite(offer(moved.LocalAddr().(*net.UDPAddr).Port, "8", "sendrecv"), 200)
	hearsAt := func(conn *net.UDPConn, callerByte byte) {
		t.Helper()
		want := []byte{callerByte}
		media.Transcode(want, media.PCMU, media.PCMA)
		got := 0
		deadline := time.Now().Add(5 * time.Second) // bounds a broken test only
		for got < 3*phone.FrameSize {
			f.say(t, media.PCMU, callerByte, 5)
			_ = conn.SetReadDeadline(deadline)
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				t.Fatalf("the phone's new port heard %d bytes of the caller: %v", got, err)
			}
			var pkt rtp.Packet
			if pkt.Unmarshal(buf[:n]) == nil && pkt.PayloadType == 8 {
				got += bytes.Count(pkt.Payload, want)
			}
		}
	}
	hearsAt(moved, encode(media.PCMU, 4000))

	// An offer without the call's codec: 488, the media stays.
	reinvite(offer(p.RTP.LocalAddr().(*net.UDPAddr).Port, "18", "sendrecv"), 488)
	hearsAt(moved, encode(media.PCMU, -4000))

	// A session refresh without SDP.
	if res, err := p.Request(sip.UPDATE, "", ""); err != nil || res.StatusCode != 200 {
		t.Fatalf("UPDATE: %v, %v; want 200", res, err)
	}
	if err := p.Hangup(); err != nil {
		t.Fatal(err)
	}
	<-f.runner.survey
}

// A SIP desk phone that answers and sends no media (issue 12, "Bad
// input"): the caller keeps getting paced RTP (silence in place of the
// agent), the caller's audio still reaches the phone, the desk's controls
// still act on the call (hold brings the music), and the phone's BYE ends
// it as usual: nothing else is disturbed.
func TestSIPPhoneSendsNoMedia(t *testing.T) {
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
	// The caller hears silence, paced, while the phone says nothing.
	f.hears(t, media.PCMU.Silence(), 10*phone.FrameSize)
	// The caller's audio reaches the phone.
	callerByte := encode(media.PCMU, 2500)
	want := []byte{callerByte}
	media.Transcode(want, media.PCMU, media.PCMA)
	buf := make([]byte, 1500)
	got := 0
	deadline := time.Now().Add(5 * time.Second) // bounds a broken test only
	for got < 3*phone.FrameSize {
		f.say(t, media.PCMU, callerByte, 5)
		_ = p.RTP.SetReadDeadline(deadline)
		n, _, err := p.RTP.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("the silent phone heard %d bytes of the caller: %v", got, err)
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) == nil && pkt.PayloadType == 8 {
			got += bytes.Count(pkt.Payload, want)
		}
	}
	// The desk's hold still works: music.
	if err := f.srv.Hold(f.id, true); err != nil {
		t.Fatal(err)
	}
	distinct := map[byte]bool{}
	for len(distinct) < 20 {
		_ = f.rtp.SetReadDeadline(time.Now().Add(5 * time.Second)) // bounds a broken test only
		k, _, err := f.rtp.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("no hold music: %v", err)
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:k]) == nil {
			for _, b := range pkt.Payload {
				distinct[b] = true
			}
		}
	}
	if err := p.Hangup(); err != nil {
		t.Fatal(err)
	}
	<-f.runner.survey
}
