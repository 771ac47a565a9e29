package media

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"testing"
	"time"
)

// TestPolledReceive runs legs on real loopback sockets whose datagrams
// the pacer's shards read in the legs' slots, through the ring and the
// plain way: the caller's audio reaches Listen's stream in order (a burst
// beyond what one slot's ring entries read included), an RFC 4733 key
// reaches Digits, the counters count, the leg answers from its own port
// (symmetric RTP latched on the caller), and no leg has a reader
// goroutine.
func TestPolledReceive(t *testing.T) {
	for _, batch := range []bool{true, false} {
		t.Run(map[bool]string{true: "ring", false: "plain"}[batch], func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			p := newPacer(ctx, 2, time.Now, batch)
			defer func() { cancel(); p.Wait() }()
			const legs = 16
			before := runtime.NumGoroutine()
			type end struct {
				leg    *Leg
				heard  *Stream
				caller *net.UDPConn
				port   uint16
			}
			var ends []end
			for range legs {
				c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				if err != nil {
					t.Fatal(err)
				}
				caller, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				if err != nil {
					t.Fatal(err)
				}
				defer caller.Close()
				port := c.LocalAddr().(*net.UDPAddr).AddrPort().Port()
				// The SDP's address is wrong: the leg must latch on the caller.
				leg, err := NewLeg(LegConfig{Conn: c, Remote: caller.LocalAddr().(*net.UDPAddr).AddrPort(), Codec: PCMU,
					DTMFPayloadType: 101, Pacer: p, Latching: true})
				if err != nil {
					t.Fatal(err)
				}
				defer leg.Close()
				heard := NewStream(PCMU, time.Second)
				leg.Listen(heard)
				ends = append(ends, end{leg, heard, caller, port})
			}
			if runtime.GOOS == "linux" {
				if grew := runtime.NumGoroutine() - before; grew >= legs {
					t.Errorf("%d goroutines more for %d legs: reader goroutines", grew, legs)
				}
			}
			// Six packets at once per leg (more than a slot's ring
			// entries), a key's end packets, one more frame.
			for _, e := range ends {
				to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(e.port)}
				for i := range 6 {
					if _, err := e.caller.WriteTo(rtpBytes(t, 0, uint16(100+i), uint32(160*i), bytes.Repeat([]byte{byte(0x10 + i)}, 160)), to); err != nil {
						t.Fatal(err)
					}
				}
				for i := range 3 {
					if _, err := e.caller.WriteTo(rtpBytes(t, 101, uint16(106+i), 960, eventPayload(7, true, 800)), to); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := e.caller.WriteTo(rtpBytes(t, 0, 109, 1760, bytes.Repeat([]byte{0x20}, 160)), to); err != nil {
					t.Fatal(err)
				}
			}
			frame := make([]byte, 160)
			for li, e := range ends {
				rctx, rcancel := context.WithTimeout(ctx, 30*time.Second) // a failure bound only
				for i := range 6 {
					if err := e.heard.ReadFrame(rctx, frame); err != nil {
						t.Fatalf("leg %d frame %d: %v", li, i, err)
					}
					if frame[0] != byte(0x10+i) || frame[159] != byte(0x10+i) {
						t.Fatalf("leg %d frame %d: got %#x, want %#x", li, i, frame[0], 0x10+i)
					}
				}
				select {
				case d := <-e.leg.Digits():
					if d.Key != '7' || d.Method != MethodRFC4733 {
						t.Fatalf("leg %d: digit %+v, want 7 by RFC 4733", li, d)
					}
				case <-rctx.Done():
					t.Fatalf("leg %d: no digit", li)
				}
				if err := e.heard.ReadFrame(rctx, frame); err != nil || frame[0] != 0x20 {
					t.Fatalf("leg %d last frame: %#x, %v", li, frame[0], err)
				}
				// The leg sends from its own port to where the caller sent from.
				_ = e.caller.SetReadDeadline(time.Now().Add(30 * time.Second))
				buf := make([]byte, 1500)
				_, src, err := e.caller.ReadFromUDPAddrPort(buf)
				if err != nil {
					t.Fatalf("leg %d sends nothing: %v", li, err)
				}
				if src.Port() != e.port {
					t.Fatalf("leg %d sends from port %d, want its own %d", li, src.Port(), e.port)
				}
				rcancel()
				if st := e.leg.Stats(); st.PacketsReceived != 10 || st.PacketsLost != 0 {
					t.Fatalf("leg %d: received %d lost %d, want 10 and 0", li, st.PacketsReceived, st.PacketsLost)
				}
			}
		})
	}
}
