package media

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/rtp"
)

var natAddr = netip.MustParseAddrPort("192.0.2.9:31000")

// audio is one 20 ms PCMU packet from the caller.
func audio(t testing.TB, seq uint16) []byte {
	return rtpBytes(t, 0, seq, uint32(seq)*160, make([]byte, 160))
}

func TestLatching(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The SDP names a private address; the caller's RTP comes from
		// its NAT's public one.
		f := newFixture(t, LegConfig{Codec: PCMU, Latching: true, Remote: netip.MustParseAddrPort("10.9.9.9:7000")})
		nat := f.net.conn(natAddr.String())
		other := f.net.conn("203.0.113.5:4444")
		nat.send(legAddr, []byte{1, 2, 3}) // not RTP: no latching on garbage
		nat.send(legAddr, audio(t, 1))
		synctest.Wait()
		other.send(legAddr, audio(t, 2)) // latched: a stranger is dropped
		synctest.Wait()
		if got := f.leg.Remote(); got != natAddr {
			t.Fatalf("Remote = %v, want the latched %v", got, natAddr)
		}
		time.Sleep(100 * time.Millisecond)
		if len(nat.drain()) == 0 || len(other.drain()) != 0 {
			t.Fatal("RTP did not follow the latched address")
		}
		st := f.leg.Stats()
		if st.Malformed != 1 || st.Foreign != 1 || st.PacketsReceived != 1 {
			t.Errorf("stats %+v, want 1 malformed, 1 foreign, 1 received", st)
		}
		// re-INVITE with a new address: latch again.
		f.leg.SetRemote(netip.MustParseAddrPort("10.9.9.10:7002"))
		other.send(legAddr, audio(t, 3))
		synctest.Wait()
		if got := f.leg.Remote(); got.String() != "203.0.113.5:4444" {
			t.Fatalf("after SetRemote, Remote = %v, want the new source", got)
		}
	})
}

func TestNoLatching(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, LegConfig{Codec: PCMU, DTMFPayloadType: 101})
		stranger := f.net.conn(natAddr.String())
		stranger.send(legAddr, rtpBytes(t, 101, 1, 5, eventPayload(1, true, 800)))
		stranger.send(legAddr, audio(t, 1)[:7]) // truncated
		f.caller.send(legAddr, audio(t, 1)[:7])
		f.caller.send(legAddr, audio(t, 1))
		f.caller.send(legAddr, audio(t, 5)) // 3 lost
		synctest.Wait()
		select {
		case d := <-f.leg.Digits():
			t.Fatalf("digit %+v from a stranger", d)
		default:
		}
		st := f.leg.Stats()
		if st.Foreign != 1 || st.Malformed != 2 || st.PacketsReceived != 2 || st.PacketsLost != 3 || f.leg.Remote() != callerAddr {
			t.Errorf("stats %+v remote %v", st, f.leg.Remote())
		}
	})
}

func TestInactivity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, LegConfig{Codec: PCMU, Inactivity: time.Second})
		stopFeed := make(chan struct{})
		go func() { // the caller talks for 3 s
			for seq := uint16(1); ; seq++ {
				select {
				case <-stopFeed:
					return
				case <-time.After(20 * time.Millisecond):
				}
				f.caller.send(legAddr, audio(t, seq))
			}
		}()
		time.Sleep(3 * time.Second)
		select {
		case <-f.leg.Dead():
			t.Fatal("dead while RTP flows")
		default:
		}
		close(stopFeed)
		// On hold (a=inactive) silence is expected: no teardown.
		f.leg.SetHold(true)
		time.Sleep(5 * time.Second)
		f.caller.drain()
		time.Sleep(time.Second)
		if n := len(f.caller.drain()); n != 0 {
			t.Errorf("%d packets sent on hold", n)
		}
		select {
		case <-f.leg.Dead():
			t.Fatal("dead while on hold")
		default:
		}
		f.leg.SetHold(false)
		resumed := time.Now()
		<-f.leg.Dead()
		if el := time.Since(resumed); el < time.Second || el > time.Second+25*time.Millisecond {
			t.Errorf("dead %v after resume, want 1s", el)
		}
		if _, _, err := f.leg.Play(f.ctx, false, ramp(800)); err != ErrDead {
			t.Errorf("Play on a dead leg = %v", err)
		}
		// After hold the stream goes on: marker set, timestamps continue.
		pkts := f.caller.drain()
		var p rtp.Packet
		if len(pkts) == 0 || p.Unmarshal(pkts[0].data) != nil || !p.Marker {
			t.Errorf("first packet after hold: %+v", p.Header)
		}
	})
}

func TestHoldPausesPlayback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, LegConfig{Codec: PCMU})
		go func() {
			time.Sleep(200 * time.Millisecond)
			f.leg.SetHold(true)
			time.Sleep(time.Second)
			f.leg.SetHold(false)
		}()
		start := time.Now()
		f.leg.Play(f.ctx, false, ramp(4000)) // 500 ms of audio
		if el := time.Since(start); el < 1440*time.Millisecond || el > 1540*time.Millisecond {
			t.Errorf("Play with 1 s of hold took %v, want 1.5 s ± a packet at each edge", el)
		}
	})
}

func TestInbandThroughLeg(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, LegConfig{Codec: PCMA, DTMFPayloadType: 101})
		send := func(seq *uint16, pcm []int16) {
			enc := NewClipPCM("", pcm).Payload(PCMA)
			for i := 0; i+160 <= len(enc); i += 160 {
				f.caller.send(legAddr, rtpBytes(t, 8, *seq, uint32(*seq)*160, enc[i:i+160]))
				*seq++
				time.Sleep(20 * time.Millisecond)
			}
		}
		go func() {
			seq := uint16(1)
			for _, k := range []byte("4*") {
				send(&seq, tone(k, 960, 5000, 0))
				send(&seq, make([]int16, 800))
			}
			// Once the caller sends RFC 4733, tones are no longer listened
			// to (gateways that send both would double every key).
			f.caller.send(legAddr, rtpBytes(t, 101, seq, 99999, eventPayload(0, true, 800)))
			seq++
			send(&seq, tone('9', 960, 5000, 0))
			send(&seq, make([]int16, 800))
		}()
		d, barged, err := f.leg.Play(f.ctx, true, ramp(80000))
		if err != nil || !barged || d.Key != '4' || d.Method != MethodInband {
			t.Fatalf("Play = %+v %v %v, want an in-band 4", d, barged, err)
		}
		var got string
		for range 2 {
			got += string((<-f.leg.Digits()).Key)
		}
		time.Sleep(time.Second)
		select {
		case d := <-f.leg.Digits():
			got += string(d.Key)
		default:
		}
		if got != "*0" {
			t.Errorf("then digits %q, want *0", got)
		}
	})
}

// While a leg relays the caller's audio (Listen: a bridged call) its
// tones are audio for the other party, not keys: in-band detection stops,
// the tone reaches the stream, RFC 4733 keys still count
// (TestInbandThroughLeg: without the relay in-band keys count).
func TestInbandNotDetectedWhileRelaying(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, LegConfig{Codec: PCMA, DTMFPayloadType: 101})
		heard := NewStream(PCMA, 2*time.Second)
		seq := uint16(1)
		send := func(pcm []int16) {
			enc := NewClipPCM("", pcm).Payload(PCMA)
			for i := 0; i+160 <= len(enc); i += 160 {
				f.caller.send(legAddr, rtpBytes(t, 8, seq, uint32(seq)*160, enc[i:i+160]))
				seq++
				time.Sleep(20 * time.Millisecond)
			}
		}
		f.leg.Listen(heard)
		defer f.leg.Listen(nil)
		send(tone('5', 960, 5000, 0))
		send(make([]int16, 800))
		f.caller.send(legAddr, rtpBytes(t, 101, seq, 99999, eventPayload(3, true, 800)))
		seq++
		time.Sleep(100 * time.Millisecond)
		if d := <-f.leg.Digits(); d.Key != '3' || d.Method != MethodRFC4733 {
			t.Fatalf("while relaying: digit %+v, want only the RFC 4733 3", d)
		}
		if b := heard.Buffered(); b < 960*time.Second/8000 {
			t.Fatalf("the relay got %v of audio, want the tone's 120 ms and more", b)
		}
		select {
		case d := <-f.leg.Digits():
			t.Fatalf("while relaying: a further digit %+v", d)
		default:
		}
	})
}
