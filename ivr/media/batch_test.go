package media

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestSlotSends runs legs on real loopback sockets through both send
// paths (a slot's packets batched through io_uring, and one sendto per
// packet) and checks at the receiver that every leg's packets come from
// the leg's own port (symmetric RTP), in sequence, carrying the clip's
// audio in order. One leg is on a dual-stack IPv6 socket sending to an
// IPv4 address (a v4-mapped destination on the ring).
func TestSlotSends(t *testing.T) {
	for _, batch := range []bool{true, false} {
		t.Run(map[bool]string{true: "batched", false: "plain"}[batch], func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			p := newPacer(ctx, 2, time.Now, batch)
			defer func() { cancel(); p.Wait() }()
			if batch && runtime.GOOS == "linux" && !p.Batched() {
				t.Log("io_uring unavailable here: the batched run sends plainly")
			}
			rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer rx.Close()
			const legs, want = 24, 12 // packets checked per leg
			clip := ramp(8000 * 5)
			payload := clip.Payload(PCMU)
			from := map[netip.AddrPort]int{}
			for i := range legs {
				laddr := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
				network := "udp4"
				if i == 0 {
					network, laddr = "udp", nil // dual-stack wildcard
				}
				c, err := net.ListenUDP(network, laddr)
				if err != nil {
					t.Fatal(err)
				}
				port := c.LocalAddr().(*net.UDPAddr).AddrPort().Port()
				from[netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)] = i
				leg, err := NewLeg(LegConfig{Conn: c, Remote: rx.LocalAddr().(*net.UDPAddr).AddrPort(), Codec: PCMU, Pacer: p})
				if err != nil {
					t.Fatal(err)
				}
				defer leg.Close()
				go leg.Play(ctx, false, clip)
			}
			type stream struct {
				n   int
				seq uint16
				pos int
			}
			got := map[int]*stream{}
			done := 0
			buf := make([]byte, 1500)
			rx.SetReadDeadline(time.Now().Add(time.Minute)) // a failure bound only
			for done < legs {
				n, src, err := rx.ReadFromUDPAddrPort(buf)
				if err != nil {
					t.Fatalf("after %d legs complete: %v", done, err)
				}
				i, ok := from[netip.AddrPortFrom(src.Addr().Unmap(), src.Port())]
				if !ok {
					t.Fatalf("packet from %v, not a leg's port", src)
				}
				var pkt rtp.Packet
				if err := pkt.Unmarshal(buf[:n]); err != nil || len(pkt.Payload) != 160 {
					t.Fatalf("leg %d: %d bytes: %v", i, n, err)
				}
				s := got[i]
				if s == nil {
					// The first packets may be silence sent before Play.
					at := bytes.Index(payload, pkt.Payload)
					if at < 0 {
						continue
					}
					s = &stream{seq: pkt.SequenceNumber - 1, pos: at}
					got[i] = s
				}
				if s.n == want {
					continue
				}
				if pkt.SequenceNumber != s.seq+1 {
					t.Fatalf("leg %d: sequence %d after %d", i, pkt.SequenceNumber, s.seq)
				}
				if !bytes.Equal(pkt.Payload, payload[s.pos:s.pos+160]) {
					t.Fatalf("leg %d: packet %d is not the clip's audio at %d", i, s.n, s.pos)
				}
				s.seq, s.pos = pkt.SequenceNumber, s.pos+160
				if s.n++; s.n == want {
					done++
				}
			}
		})
	}
}

// TestCloseWhileSending: legs' sockets are closed while their shards
// send, and the system hands each freed descriptor to a new socket at
// once. The ring writes to descriptors, so a send after the close would
// leave from the new socket's port; none may.
func TestCloseWhileSending(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	p := newPacer(ctx, 2, time.Now, true)
	defer func() { cancel(); p.Wait() }()
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	rx.SetReadBuffer(4 << 20)
	to := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	const n = 400
	legPorts := map[uint16]bool{}
	var legs []*Leg
	for range n {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		legPorts[c.LocalAddr().(*net.UDPAddr).AddrPort().Port()] = true
		leg, err := NewLeg(LegConfig{Conn: c, Remote: to, Codec: PCMU, PTime: 10 * time.Millisecond, Pacer: p})
		if err != nil {
			t.Fatal(err)
		}
		defer leg.Close()
		legs = append(legs, leg)
	}
	// Every leg is sending.
	buf := make([]byte, 1500)
	rx.SetReadDeadline(time.Now().Add(time.Minute)) // a failure bound only
	for seen := map[uint16]bool{}; len(seen) < n; {
		_, src, err := rx.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		seen[src.Port()] = true
	}
	var decoys []*net.UDPConn
	defer func() {
		for _, d := range decoys {
			d.Close()
		}
	}()
	for _, leg := range legs {
		leg.Close()
		d, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}) // likely the freed descriptor
		if err != nil {
			t.Fatal(err)
		}
		decoys = append(decoys, d)
	}
	// Everything sent has arrived (loopback delivers within sendto):
	// read without waiting.
	rx.SetReadDeadline(time.Now())
	for {
		_, src, err := rx.ReadFromUDPAddrPort(buf)
		if err != nil {
			break
		}
		if !legPorts[src.Port()] {
			t.Fatalf("a packet from port %d, a socket opened after its leg closed", src.Port())
		}
	}
}
