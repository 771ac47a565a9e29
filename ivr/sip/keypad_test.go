package sip

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/sip/siptest"
)

// The keys pressed on a registered SIP desk phone reach the caller it is
// bridged to, over real sockets: a key sent as RFC 4733 events on the
// phone's RTP and a key sent as SIP INFO in its dialog, then a key from
// the desk's keypad (Server.SendDTMF). A caller that
// negotiated telephone-event gets RFC 4733 events (and no tones); a caller
// that did not hears the keys' tones in the agent's audio. An INFO the
// server cannot read is 415 and the call goes on.
func TestSIPPhoneKeysReachTheCaller(t *testing.T) {
	for _, tc := range []struct {
		name   string
		events bool
	}{{"caller-rfc4733", true}, {"caller-inband", false}} {
		t.Run(tc.name, func(t *testing.T) {
			f := &agentFixture{callerDTMF: tc.events}
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
			inv := <-p.Invites
			if !bytes.Contains(inv.Body(), []byte("telephone-event/8000")) {
				t.Fatalf("the offer to the phone has no telephone-event:\n%s", inv.Body())
			}
			offer, err := ParseOffer(inv.Body())
			if err != nil {
				t.Fatal(err)
			}
			server := net.UDPAddrFromAddrPort(offer.Remote)
			send := func(pkt *rtp.Packet) {
				b, _ := pkt.Marshal()
				if _, err := p.RTP.WriteToUDP(b, server); err != nil {
					t.Error(err)
				}
			}
			// The phone talks as a phone does, a frame every 20 ms (the
			// in-band tones take the place of its frames), until the test
			// has heard the keys.
			var (
				mu  sync.Mutex
				seq uint16
				ts  uint32
			)
			next := func() (uint16, uint32) {
				mu.Lock()
				defer mu.Unlock()
				seq++
				ts += 160
				return seq, ts
			}
			ctx, stop := context.WithCancel(context.Background())
			talking := make(chan struct{})
			go func() {
				defer close(talking)
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
					}
					sq, tm := next()
					send(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: sq, Timestamp: tm, SSRC: 7},
						Payload: bytes.Repeat([]byte{media.PCMA.Silence()}, 160)})
				}
			}()
			defer func() { stop(); <-talking }()

			// 5 as RFC 4733 events: 5 packets of one event, the end three
			// times (RFC 4733 2.5.1.4).
			sq, evTS := next()
			for i := range 7 {
				pl := make([]byte, 4)
				pl[0], pl[1] = 5, 10
				if i >= 4 {
					pl[1] |= 0x80
				}
				binary.BigEndian.PutUint16(pl[2:], uint16(min(i+1, 5)*160))
				if i > 0 {
					sq, _ = next()
				}
				send(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, Marker: i == 0, SequenceNumber: sq, Timestamp: evTS, SSRC: 7},
					Payload: pl})
			}
			// The caller reads what it gets until it has both keys; 9 is
			// pressed (INFO) once 5 has arrived, so they cannot merge.
			keys, inband := "", ""
			var dec media.EventDecoder
			buf := make([]byte, 1500)
			deadline := time.Now().Add(10 * time.Second) // bounds a broken test only
			for len(keys)+len(inband) < 3 {
				_ = f.rtp.SetReadDeadline(deadline)
				n, _, err := f.rtp.ReadFromUDP(buf)
				if err != nil {
					t.Fatalf("the caller got keys %q as events and %q as tones, want 59#: %v", keys, inband, err)
				}
				var pkt rtp.Packet
				if pkt.Unmarshal(buf[:n]) != nil {
					continue
				}
				before := len(keys) + len(inband)
				switch pkt.PayloadType {
				case 101:
					if err := dec.Packet(pkt.Timestamp, pkt.Payload, time.Now(), func(d media.Digit) { keys += string(d.Key) }); err != nil {
						t.Fatal(err)
					}
				case uint8(media.PCMU):
					// A key is its run of tone frames; the relay may slip a
					// silent frame into the run, and the keys sent differ
					// one from the next, so a repeat is the same key.
					k := toneKey(media.Decode(nil, media.PCMU, pkt.Payload))
					if k != 0 && (inband == "" || inband[len(inband)-1] != k) {
						inband += string(k)
					}
				}
				if before == 0 && len(keys)+len(inband) == 1 {
					if code, err := p.Info("application/dtmf-relay", "Signal=9\r\nDuration=160\r\n"); err != nil || code != 200 {
						t.Fatalf("INFO 9: %d, %v; want 200", code, err)
					}
					if code, err := p.Info("text/plain", "9"); err != nil || code != 415 {
						t.Fatalf("INFO of text/plain: %d, %v; want 415", code, err)
					}
				}
				if before == 1 && len(keys)+len(inband) == 2 {
					// The desk's keypad (call.dtmf) goes the same way.
					if err := f.srv.SendDTMF(f.id, "#"); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tc.events && (keys != "59#" || inband != "") {
				t.Fatalf("caller with telephone-event got %q as events, %q as tones; want 59# as events", keys, inband)
			}
			if !tc.events && (inband != "59#" || keys != "") {
				t.Fatalf("caller without telephone-event got %q as tones, %q as events; want 59# as tones", inband, keys)
			}
		})
	}
}

// toneKey names the DTMF key whose two tones fill pcm, or 0.
func toneKey(pcm []int16) byte {
	rows := []float64{697, 770, 852, 941}
	cols := []float64{1209, 1336, 1477, 1633}
	const keys = "123A456B789C*0#D"
	r, c := -1, -1
	for i, hz := range rows {
		if media.ToneLevel(pcm, hz) > 0.15 {
			r = i
		}
	}
	for i, hz := range cols {
		if media.ToneLevel(pcm, hz) > 0.15 {
			c = i
		}
	}
	if r < 0 || c < 0 {
		return 0
	}
	return keys[4*r+c]
}
