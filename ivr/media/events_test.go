package media

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/rtp"
)

// Keys sent to a caller that negotiated telephone-event go out as RFC 4733
// events in the leg's packet times: per key 5 packets of one event (the
// marker on the first, the duration growing by 160), the last sent three
// times with the end bit, then 60 ms of audio; sequence numbers and pace
// run on; what our own decoder makes of them is the keys sent.
func TestSendDigitsAsEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, LegConfig{Codec: PCMA, DTMFPayloadType: 101})
		time.Sleep(100 * time.Millisecond) // some audio first
		if err := f.leg.SendDigits("5#"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		pkts := f.caller.drain()
		var (
			prev   rtp.Packet
			events []rtp.Packet
			dec    EventDecoder
			keys   string
			gap    int // audio packets between the two keys
		)
		for i, p := range pkts {
			var pkt rtp.Packet
			if err := pkt.Unmarshal(p.data); err != nil {
				t.Fatal(err)
			}
			if i > 0 {
				if got := p.at.Sub(pkts[i-1].at); got != 20*time.Millisecond {
					t.Errorf("packet %d sent %v after the previous, want 20ms", i, got)
				}
				if pkt.SequenceNumber != prev.SequenceNumber+1 {
					t.Errorf("packet %d: seq %d after %d", i, pkt.SequenceNumber, prev.SequenceNumber)
				}
			}
			switch pkt.PayloadType {
			case 101:
				if len(events) > 0 && len(events)%7 == 0 && gap != 3 {
					t.Errorf("%d audio packets between the keys, want 3", gap)
				}
				events = append(events, pkt)
				if err := dec.Packet(pkt.Timestamp, pkt.Payload, p.at, func(d Digit) { keys += string(d.Key) }); err != nil {
					t.Fatal(err)
				}
			case uint8(PCMA):
				if len(events) == 7 {
					gap++
				}
				if len(pkt.Payload) != 160 {
					t.Errorf("audio packet %d of %d bytes", i, len(pkt.Payload))
				}
			default:
				t.Fatalf("packet %d: payload type %d", i, pkt.PayloadType)
			}
			prev = pkt
		}
		if keys != "5#" || len(events) != 14 {
			t.Fatalf("decoded %q from %d event packets, want 5# from 14", keys, len(events))
		}
		for k, code := range []byte{5, 11} {
			ev := events[7*k : 7*k+7]
			for i, pkt := range ev {
				te, err := parseTelephoneEvent(pkt.Payload)
				if err != nil {
					t.Fatal(err)
				}
				wantDur := uint16(min(i+1, 5) * 160)
				if te.event != code || te.duration != wantDur || te.end != (i >= 4) || pkt.Marker != (i == 0) ||
					pkt.Timestamp != ev[0].Timestamp || len(pkt.Payload) != 4 {
					t.Errorf("key %d packet %d: %+v marker %v ts %d; want event %d, duration %d, end %v, marker %v, ts %d",
						k, i, te, pkt.Marker, pkt.Timestamp, code, wantDur, i >= 4, i == 0, ev[0].Timestamp)
				}
			}
		}
		if events[7].Timestamp-events[0].Timestamp != 10*160 {
			t.Errorf("the second key starts %d samples after the first, want 1600 (7 event + 3 audio packets)", events[7].Timestamp-events[0].Timestamp)
		}
	})
}

func TestSendDigitsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		none := newFixture(t, LegConfig{Codec: PCMU})
		if err := none.leg.SendDigits("1"); !errors.Is(err, ErrNoEvents) {
			t.Errorf("without telephone-event: %v, want ErrNoEvents", err)
		}
		f := newFixture(t, LegConfig{Codec: PCMU, DTMFPayloadType: 101})
		for _, keys := range []string{"", "5x", "123456789012345678901234567890123"} {
			if err := f.leg.SendDigits(keys); !errors.Is(err, ErrBadDigit) {
				t.Errorf("SendDigits(%q) = %v, want ErrBadDigit", keys, err)
			}
		}
		f.leg.Close()
		if err := f.leg.SendDigits("1"); !errors.Is(err, ErrClosed) {
			t.Errorf("after Close: %v, want ErrClosed", err)
		}
	})
}
