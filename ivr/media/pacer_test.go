package media

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/rtp"
)

// TestPacerCatchesUp: a pacer woken late sends the packets it owed, with
// continuous sequence numbers and timestamps; only beyond maxCatchUp does
// it skip (a timestamp gap, no sequence gap).
func TestPacerCatchesUp(t *testing.T) {
	for _, tc := range []struct {
		stall time.Duration
		tsGap uint32 // extra timestamp jump at the stall
	}{{45 * time.Millisecond, 0}, {300 * time.Millisecond, 300 * 8}} {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			var offset atomic.Int64 // the clock jumps: the pacer finds itself late
			p := newPacer(ctx, 1, func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }, true)
			n := newMemNet()
			caller := n.conn(callerAddr.String())
			leg, err := NewLeg(LegConfig{Conn: n.conn(legAddr.String()), Remote: callerAddr, Codec: PCMU, Pacer: p})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { leg.Close(); cancel(); p.Wait() }()
			time.Sleep(102 * time.Millisecond)
			offset.Store(int64(tc.stall))
			time.Sleep(200 * time.Millisecond)
			var prev rtp.Packet
			gap := uint32(0)
			for i, m := range caller.drain() {
				var pkt rtp.Packet
				if err := pkt.Unmarshal(m.data); err != nil {
					t.Fatal(err)
				}
				if i > 0 {
					if pkt.SequenceNumber != prev.SequenceNumber+1 {
						t.Fatalf("sequence %d after %d", pkt.SequenceNumber, prev.SequenceNumber)
					}
					gap += pkt.Timestamp - prev.Timestamp - 160
				}
				prev = pkt
			}
			// The skip keeps the slot grid: the gap is the stall rounded
			// down to whole packets.
			if want := tc.tsGap / 160 * 160; gap != want {
				t.Errorf("stall %v: timestamp gap %d samples, want %d", tc.stall, gap, want)
			}
		})
	}
}

type discardConn struct{ memConn }

func (*discardConn) WriteTo(b []byte, _ net.Addr) (int, error) { return len(b), nil }

// The *net.UDPConn fast path, as in production.
func (*discardConn) WriteToUDPAddrPort(b []byte, _ netip.AddrPort) (int, error) { return len(b), nil }
func (c *discardConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	<-c.closed
	return 0, netip.AddrPort{}, net.ErrClosed
}

// BenchmarkLegSend is the Pacer's own cost per packet (the send syscall
// excluded): header, frame copy from the clip, counters.
func BenchmarkLegSend(b *testing.B) {
	ctx, cancel := context.WithCancel(b.Context())
	p := newPacer(ctx, 1, time.Now, true)
	c := &discardConn{memConn{in: make(chan memPacket), closed: make(chan struct{})}}
	leg, err := NewLeg(LegConfig{Conn: c, Remote: callerAddr, Codec: PCMA, Pacer: p})
	if err != nil {
		b.Fatal(err)
	}
	p.remove(leg) // driven by hand below
	defer func() { leg.Close(); cancel(); p.Wait() }()
	clip := ramp(8000 * 60)
	go leg.Play(ctx, false, clip)
	now := time.Now()
	b.ReportAllocs()
	for i := range b.N {
		leg.send(now, uint64(i)*4)
	}
}

// The pacer counts its wake-ups by lateness, so a benchmark can tell a
// stalled shard from a slow send.
func TestLateness(t *testing.T) {
	var p Pacer
	before := p.Lateness()
	for _, late := range []time.Duration{0, 500 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, 30 * time.Millisecond, 200 * time.Millisecond} {
		p.countLate(late)
	}
	d := p.Lateness().Sub(before)
	want := []uint64{3, 0, 1, 0, 0, 1, 0, 1}
	if !slices.Equal(d.Counts, want) {
		t.Fatalf("counts %v, want %v", d.Counts, want)
	}
	if got, want := d.String(), "6 wake-ups: 3 <=1ms 1 <=5ms 1 <=50ms 1 >100ms"; got != want {
		t.Fatalf("String %q, want %q", got, want)
	}
}
