package sip

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hotline10000/hotline/ivr/media"
)

// readPastSilence reads RTP packets from c until one whose payload is not
// all codec's silence (a paced leg sends silence every packet time until
// it has audio) and returns it with its source; it fails the test after
// 5 s.
func readPastSilence(t *testing.T, c net.PacketConn, codec media.Codec) (rtp.Packet, net.Addr) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no audio: %v", err)
		}
		var pkt rtp.Packet
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			t.Fatalf("not RTP: %v", err)
		}
		for _, b := range pkt.Payload {
			if b != codec.Silence() {
				pkt.Payload = append([]byte(nil), pkt.Payload...)
				return pkt, from
			}
		}
	}
}

// A SIP phone leg sends on the Pacer's grid: one packet per packet time
// whether or not the bridge has audio for it (silence then), in sequence
// with timestamps a packet time apart, and frames written in a burst leave one per
// packet, in order, never two in one packet time. Before, each frame went
// out with its own sendto as it was written, and nothing in between.
func TestSIPLegPaced(t *testing.T) {
	s, tr := startTrunked(t, "trunk-secret")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leg, err := s.Dial(ctx, Origin{Kind: OriginSystem, Contact: "c1"}, "13800138000")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer leg.Hangup(context.Background(), "test")
	<-tr.Invites
	read := func() rtp.Packet {
		t.Helper()
		_ = tr.RTP.SetReadDeadline(time.Now().Add(5 * time.Second)) // a failure bound only
		buf := make([]byte, 1500)
		n, _, err := tr.RTP.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no packet: %v", err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(buf[:n]); err != nil {
			t.Fatal(err)
		}
		p.Payload = append([]byte(nil), p.Payload...)
		return p
	}
	// Nothing written: silence keeps coming, in sequence.
	prev := read()
	for range 3 {
		p := read()
		if !nextPacket(prev, p) {
			t.Fatalf("seq %d ts %d after seq %d ts %d, want the next packet time", p.SequenceNumber, p.Timestamp, prev.SequenceNumber, prev.Timestamp)
		}
		if p.Payload[0] != media.PCMU.Silence() {
			t.Fatalf("payload %#x with nothing written, want silence", p.Payload[0])
		}
		prev = p
	}
	// A burst of three frames: three consecutive packets, in order.
	for i := range 3 {
		if err := leg.WriteFrame(bytes.Repeat([]byte{byte(0x30 + i)}, 160)); err != nil {
			t.Fatal(err)
		}
	}
	p := read()
	for p.Payload[0] == media.PCMU.Silence() {
		prev, p = p, read()
	}
	for i := range 3 {
		if i > 0 {
			prev, p = p, read()
		}
		if p.Payload[0] != byte(0x30+i) || !nextPacket(prev, p) {
			t.Fatalf("frame %d: payload %#x seq %d ts %d after seq %d ts %d", i, p.Payload[0], p.SequenceNumber, p.Timestamp, prev.SequenceNumber, prev.Timestamp)
		}
	}
}

// nextPacket: q follows p in sequence, its timestamp a whole number of
// 20 ms packet times later (more than one only if the pacer was held up
// beyond its catch-up: the receiver then sees a gap, not compressed audio).
func nextPacket(p, q rtp.Packet) bool {
	d := q.Timestamp - p.Timestamp
	return q.SequenceNumber == p.SequenceNumber+1 && d > 0 && d%160 == 0 && d < 1<<31
}
