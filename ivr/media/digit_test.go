package media

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestEventDecoder(t *testing.T) {
	type pkt struct {
		ts      uint32
		payload []byte
		at      time.Duration
	}
	t0 := time.Unix(0, 0)
	for _, tc := range []struct {
		name string
		pkts []pkt
		idle time.Duration // idle() at this time after the packets, when set
		want string
	}{
		{"one press, end sent 3 times", []pkt{{1, eventPayload(1, false, 160), 0}, {1, eventPayload(1, true, 800), 0}, {1, eventPayload(1, true, 800), 0}, {1, eventPayload(1, true, 800), 0}}, 0, "1"},
		{"two presses", []pkt{{1, eventPayload(1, true, 800), 0}, {2000, eventPayload(2, true, 800), 0}, {1, eventPayload(1, true, 800), 0}}, 0, "12"},
		{"end packets lost, next event", []pkt{{1, eventPayload(4, false, 160), 0}, {900, eventPayload(11, true, 400), 0}}, 0, "4#"},
		{"end packets lost, silence", []pkt{{1, eventPayload(4, false, 160), 0}}, time.Second, "4"},
		{"still pressed", []pkt{{1, eventPayload(4, false, 160), 0}}, 100 * time.Millisecond, ""},
		{"flash and other events are no keys", []pkt{{1, eventPayload(16, true, 800), 0}, {2, eventPayload(200, true, 800), 0}}, 0, ""},
		{"truncated payload", []pkt{{1, []byte{1, 0x80}, 0}}, 0, ""},
		// Absurd durations (issue 11, bad input): none, the longest, and a
		// key held past 8.19 s, sent in segments (RFC 4733 2.5.1.3): one
		// press each. The segments made "44" before.
		{"zero duration", []pkt{{1, eventPayload(3, true, 0), 0}}, 0, "3"},
		{"longest duration", []pkt{{1, eventPayload(3, true, 0xFFFF), 0}, {1, eventPayload(3, true, 0xFFFF), 0}}, 0, "3"},
		{"held past the 16-bit duration", []pkt{{1, eventPayload(4, false, 0xFFFF), 0}, {1 + 0xFFFF, eventPayload(4, false, 800), 0},
			{1 + 0xFFFF, eventPayload(4, true, 1600), 0}, {1 + 0xFFFF, eventPayload(4, true, 1600), 0}}, 0, "4"},
		{"held past it, then released unseen", []pkt{{1, eventPayload(4, false, 0xFFFF), 0}, {1 + 0xFFFF, eventPayload(4, false, 800), 0}}, time.Second, "4"},
		{"another key where a segment would go", []pkt{{1, eventPayload(4, false, 0xFFFF), 0}, {1 + 0xFFFF, eventPayload(5, true, 800), 0}}, 0, "45"},
		{"a new press, not a segment", []pkt{{1, eventPayload(4, false, 800), 0}, {1 + 0xFFFF, eventPayload(4, true, 800), 0}}, 0, "44"},
		{"all keys", func() (p []pkt) {
			for i := range 16 {
				p = append(p, pkt{uint32(i * 1000), eventPayload(byte(i), true, 400), 0})
			}
			return p
		}(), 0, "0123456789*#ABCD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d eventDecoder
			got := ""
			emit := func(x Digit) { got += string(x.Key) }
			for _, p := range tc.pkts {
				d.packet(p.ts, p.payload, t0.Add(p.at), emit)
			}
			if tc.idle > 0 {
				d.idle(t0.Add(tc.idle), emit)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// tone synthesizes a DTMF key at amplitude a per tone, with a phase.
func tone(key byte, n int, a float64, phase float64) []int16 {
	var fr, fc float64
	for r := range 4 {
		for c := range 4 {
			if keypad[r][c] == key {
				fr, fc = rowFreqs[r], colFreqs[c]
			}
		}
	}
	out := make([]int16, n)
	for i := range out {
		x := float64(i) / SampleRate * 2 * math.Pi
		out[i] = int16(a*math.Sin(x*fr+phase) + a*math.Sin(x*fc))
	}
	return out
}

func detect(pcm []int16) string {
	var d toneDetector
	got := ""
	d.samples(pcm, func(x Digit) { got += string(x.Key) })
	d.samples(make([]int16, 2*toneBlock), func(x Digit) { got += string(x.Key) })
	return got
}

func TestToneDetector(t *testing.T) {
	for _, k := range []byte("0123456789*#ABCD") {
		pcm := append(make([]int16, 37), tone(k, 800, 6000, 1)...) // 100 ms
		if got := detect(pcm); got != string(k) {
			t.Errorf("key %c: detected %q", k, got)
		}
	}
	var seq []int16
	for _, k := range []byte("12#") {
		seq = append(seq, tone(k, 640, 4000, 0)...)
		seq = append(seq, make([]int16, 480)...)
	}
	if got := detect(seq); got != "12#" {
		t.Errorf("sequence: got %q, want 12#", got)
	}
	// Passed through G.711 both ways, as it arrives.
	pcm := tone('5', 800, 3000, 0)
	for i, s := range pcm {
		pcm[i] = PCMA.decode(NewClipPCM("", []int16{s}).Payload(PCMA)[0])
	}
	if got := detect(pcm); got != "5" {
		t.Errorf("through A-law: got %q", got)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]int16, 8000)
	for i := range noise {
		noise[i] = int16(rng.NormFloat64() * 3000)
	}
	single := tone('1', 8000, 6000, 0)
	for i := range single { // 697 Hz alone
		single[i] = int16(6000 * math.Sin(float64(i)/SampleRate*2*math.Pi*697))
	}
	short := tone('3', 200, 6000, 0) // 25 ms: too short for Q.24
	quiet := tone('3', 800, 100, 0)
	noisy := tone('8', 800, 3000, 0)
	for i := range noisy {
		noisy[i] += int16(rng.NormFloat64() * 4000)
	}
	for name, pcm := range map[string][]int16{"noise": noise, "single tone": single, "short": short, "quiet": quiet, "tone in loud noise": noisy} {
		if got := detect(pcm); got != "" {
			t.Errorf("%s: detected %q", name, got)
		}
	}
}

func FuzzTelephoneEvent(f *testing.F) {
	f.Add(uint32(1), eventPayload(5, true, 800))
	f.Add(uint32(2), []byte{255, 0x3f, 0xff, 0xff, 9})
	f.Add(uint32(3), []byte{1})
	f.Fuzz(func(t *testing.T, ts uint32, p []byte) {
		var d eventDecoder
		now := time.Unix(0, 0)
		n := 0
		emit := func(x Digit) {
			n++
			if _, ok := keyOf(string(x.Key)); !ok || x.Duration < 0 || x.Duration > MaxDigitDuration {
				t.Fatalf("emitted %+v", x)
			}
		}
		for range 3 { // retransmissions never make more than one digit
			d.packet(ts, p, now, emit)
		}
		d.idle(now.Add(time.Hour), emit)
		if n > 1 {
			t.Fatalf("%d digits from one event", n)
		}
	})
}

func FuzzToneDetector(f *testing.F) {
	b := func(pcm []int16) []byte {
		out := make([]byte, len(pcm))
		for i, s := range pcm {
			out[i] = NewClipPCM("", []int16{s}).Payload(PCMU)[0]
		}
		return out
	}
	f.Add(b(tone('7', 800, 5000, 0)))
	f.Add([]byte{0xff, 0x00, 0x80})
	f.Fuzz(func(t *testing.T, ulaw []byte) {
		var d toneDetector
		pcm := make([]int16, len(ulaw))
		for i, x := range ulaw {
			pcm[i] = PCMU.decode(x)
		}
		d.samples(pcm, func(x Digit) {
			if _, ok := keyOf(string(x.Key)); !ok || x.Method != MethodInband || x.Duration <= 0 {
				t.Fatalf("emitted %+v", x)
			}
		})
	})
}
