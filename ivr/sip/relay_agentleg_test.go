package sip

import (
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
