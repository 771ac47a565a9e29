package media

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/rtp"
)

var (
	legAddr    = netip.MustParseAddrPort("10.0.0.1:4000")
	callerAddr = netip.MustParseAddrPort("10.0.0.2:5000")
)

type legFixture struct {
	ctx    context.Context
	pacer  *Pacer
	leg    *Leg
	caller *memConn
	net    *memNet
}

// newFixture builds a pacer and one leg on the memory network inside a
// synctest bubble; cleanup stops them all.
func newFixture(t *testing.T, cfg LegConfig) *legFixture {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	f := &legFixture{ctx: ctx, net: newMemNet()}
	f.pacer = newPacer(ctx, 2, time.Now, true)
	f.caller = f.net.conn(callerAddr.String())
	cfg.Conn = f.net.conn(legAddr.String())
	cfg.Pacer = f.pacer
	if !cfg.Remote.IsValid() {
		cfg.Remote = callerAddr
	}
	leg, err := NewLeg(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.leg = leg
	t.Cleanup(func() {
		leg.Close()
		cancel()
		f.pacer.Wait()
	})
	return f
}

func TestPlayPacedAt20ms(t *testing.T) {
	for _, codec := range []Codec{PCMU, PCMA} {
		t.Run(codec.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, LegConfig{Codec: codec, DTMFPayloadType: 101})
				clip := ramp(8000)                 // 1 s
				time.Sleep(100 * time.Millisecond) // virtual: some silence first
				start := time.Now()
				if _, barged, err := f.leg.Play(f.ctx, false, clip); err != nil || barged {
					t.Fatalf("Play = barged %v, %v", barged, err)
				}
				// Done when the last frame is sent: 49 intervals after the
				// first frame, which waits up to a packet time for its slot.
				if el := time.Since(start); el < 980*time.Millisecond || el > time.Second {
					t.Errorf("Play took %v, want 980ms to 1s", el)
				}
				pkts := f.caller.drain()
				var audio []byte
				var prev rtp.Packet
				for i, p := range pkts {
					var pkt rtp.Packet
					if err := pkt.Unmarshal(p.data); err != nil {
						t.Fatal(err)
					}
					if pkt.PayloadType != uint8(codec) || len(pkt.Payload) != 160 {
						t.Fatalf("packet %d: pt %d, %d bytes; want %d, 160", i, pkt.PayloadType, len(pkt.Payload), codec)
					}
					if i == 0 != pkt.Marker {
						t.Errorf("packet %d: marker %v", i, pkt.Marker)
					}
					if i > 0 {
						if got := p.at.Sub(pkts[i-1].at); got != 20*time.Millisecond {
							t.Errorf("packet %d sent %v after the previous, want 20ms", i, got)
						}
						if pkt.SequenceNumber != prev.SequenceNumber+1 || pkt.Timestamp != prev.Timestamp+160 || pkt.SSRC != prev.SSRC {
							t.Errorf("packet %d: seq %d ts %d after seq %d ts %d", i, pkt.SequenceNumber, pkt.Timestamp, prev.SequenceNumber, prev.Timestamp)
						}
					}
					prev = pkt
					audio = append(audio, pkt.Payload...)
				}
				want := clip.Payload(codec)
				at := bytes.Index(audio, want)
				if at < 0 || at%160 != 0 {
					t.Fatalf("clip not found whole on a packet boundary in the %d packets (at %d)", len(pkts), at)
				}
				if st := f.leg.Stats(); st.PacketsSent != uint64(len(pkts)) {
					t.Errorf("Stats.PacketsSent = %d, want %d", st.PacketsSent, len(pkts))
				}
			})
		})
	}
}

func TestPTime(t *testing.T) {
	for _, tc := range []struct{ in, want time.Duration }{{0, 20 * time.Millisecond}, {30 * time.Millisecond, 30 * time.Millisecond}, {time.Millisecond, 10 * time.Millisecond}, {23 * time.Millisecond, 25 * time.Millisecond}, {time.Second, 120 * time.Millisecond}} {
		synctest.Test(t, func(t *testing.T) {
			f := newFixture(t, LegConfig{Codec: PCMU, PTime: tc.in})
			if f.leg.PTime() != tc.want {
				t.Fatalf("PTime(%v) = %v, want %v", tc.in, f.leg.PTime(), tc.want)
			}
			f.leg.Play(f.ctx, false, ramp(8000))
			pkts := f.caller.drain()
			n := samplesFor(tc.want)
			for i, p := range pkts[1:] {
				if got := p.at.Sub(pkts[i].at); got != tc.want || len(p.data) != 12+n {
					t.Fatalf("packet %d: %v after the previous, %d bytes; want %v, %d", i+1, got, len(p.data), tc.want, 12+n)
				}
			}
		})
	}
}

func TestBargeInRFC4733(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, LegConfig{Codec: PCMU, DTMFPayloadType: 101})
		go func() {
			time.Sleep(300 * time.Millisecond)
			ts := uint32(9000)
			for i, dur := range []uint16{160, 320, 480} {
				f.caller.send(legAddr, rtpBytes(t, 101, uint16(10+i), ts, eventPayload(5, false, dur)))
				time.Sleep(20 * time.Millisecond)
			}
			for i := range 3 { // the end packet, sent three times (RFC 4733 2.5.1.4)
				f.caller.send(legAddr, rtpBytes(t, 101, uint16(13+i), ts, eventPayload(5, true, 640)))
			}
		}()
		start := time.Now()
		d, barged, err := f.leg.Play(f.ctx, true, ramp(80000))
		if err != nil || !barged {
			t.Fatalf("Play = %v, %v, %v; want a barge-in", d, barged, err)
		}
		if want := (Digit{Key: '5', Method: MethodRFC4733, Duration: 80 * time.Millisecond}); d != want {
			t.Errorf("digit %+v, want %+v", d, want)
		}
		if el := time.Since(start); el > 400*time.Millisecond {
			t.Errorf("barge-in after %v", el)
		}
		synctest.Wait()
		select {
		case d := <-f.leg.Digits():
			t.Errorf("retransmitted end packet gave a second digit %+v", d)
		default:
		}
		// Playback stopped: after the barge-in only silence goes out.
		time.Sleep(100 * time.Millisecond)
		f.caller.drain()
		time.Sleep(100 * time.Millisecond)
		for _, p := range f.caller.drain() {
			if p.data[len(p.data)-1] != PCMU.silence() {
				t.Fatal("audio after barge-in")
			}
		}
		if st := f.leg.Stats(); st.Digits[MethodRFC4733] != 1 || st.PacketsReceived != 6 {
			t.Errorf("stats %+v, want 1 rfc4733 digit, 6 packets", st)
		}
	})
}

func TestDigitsWithoutBargeIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, LegConfig{Codec: PCMA, DTMFPayloadType: 96})
		go func() {
			time.Sleep(50 * time.Millisecond)
			f.caller.send(legAddr, rtpBytes(t, 96, 1, 100, eventPayload(11, true, 800)))
			time.Sleep(10 * time.Millisecond)
			f.leg.InjectDigit(Digit{Key: '7'})
		}()
		if _, barged, err := f.leg.Play(f.ctx, false, ramp(1600)); err != nil || barged {
			t.Fatalf("Play = %v, %v", barged, err)
		}
		got := []Digit{<-f.leg.Digits(), <-f.leg.Digits()}
		want := []Digit{{Key: '#', Method: MethodRFC4733, Duration: 100 * time.Millisecond}, {Key: '7', Method: MethodINFO}}
		if got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("digits %+v, want %+v", got, want)
		}
		// Type-ahead: a digit waiting barges into the next prompt at once.
		f.leg.InjectDigit(Digit{Key: '1', Method: MethodINFO})
		if d, barged, _ := f.leg.Play(f.ctx, true, ramp(8000)); !barged || d.Key != '1' {
			t.Fatalf("type-ahead: %+v %v", d, barged)
		}
	})
}

func TestPlayEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, LegConfig{Codec: PCMU})
		ctx, cancel := context.WithTimeout(f.ctx, 100*time.Millisecond)
		defer cancel()
		if _, _, err := f.leg.Play(ctx, false, ramp(8000)); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Play after ctx end = %v", err)
		}
		go func() {
			time.Sleep(50 * time.Millisecond)
			if _, _, err := f.leg.Play(f.ctx, false, ramp(8)); !errors.Is(err, ErrBusy) {
				t.Errorf("second Play = %v, want ErrBusy", err)
			}
			f.leg.Close()
		}()
		if _, _, err := f.leg.Play(f.ctx, false, ramp(8000)); !errors.Is(err, ErrClosed) {
			t.Errorf("Play on Close = %v, want ErrClosed", err)
		}
		if _, _, err := f.leg.Play(f.ctx, false); !errors.Is(err, ErrClosed) {
			t.Errorf("Play after Close = %v, want ErrClosed", err)
		}
	})
}

// TestRealUDP runs one leg over loopback sockets (the path with
// WriteToUDPAddrPort), on the real clock.
func TestRealUDP(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	p := NewPacer(ctx)
	defer func() { cancel(); p.Wait() }()
	legConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	caller, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	leg, err := NewLeg(LegConfig{Conn: legConn, Remote: caller.LocalAddr().(*net.UDPAddr).AddrPort(), Codec: PCMU, DTMFPayloadType: 101, Pacer: p})
	if err != nil {
		t.Fatal(err)
	}
	defer leg.Close()
	clip := ramp(800)
	to := legConn.LocalAddr().(*net.UDPAddr)
	caller.WriteToUDP(rtpBytes(t, 101, 1, 1, eventPayload(9, true, 400)), to)
	if d, barged, err := leg.Play(ctx, true, clip); err != nil || !barged || d.Key != '9' {
		t.Fatalf("Play = %+v %v %v, want digit 9", d, barged, err)
	}
	if _, _, err := leg.Play(ctx, false, clip); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	n, err := caller.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := pkt.Unmarshal(buf[:n]); err != nil || len(pkt.Payload) != 160 {
		t.Fatalf("received %d bytes: %v", n, err)
	}
}
