package media

import (
	"math"
	"testing"
)

// BenchmarkReceiveAudio is the receive side's work per 20 ms audio packet
// of a caller without RFC 4733: decode and in-band DTMF detection, for
// loud audio (speech-like levels) and for a quiet line (a caller
// listening: low noise).
func BenchmarkReceiveAudio(b *testing.B) {
	for _, tc := range []struct {
		name  string
		level float64 // amplitude of the noise
	}{{"loud", 8000}, {"quiet", 100}} {
		b.Run(tc.name, func(b *testing.B) {
			payload := make([]byte, 160)
			r := uint32(1)
			for i := range payload {
				r = r*1664525 + 1013904223
				payload[i] = PCMU.encode(int16((float64(r>>16)/65536*2 - 1) * tc.level))
			}
			pcm := make([]int16, 0, 960)
			var tones toneDetector
			emit := func(Digit) {}
			b.ReportAllocs()
			for b.Loop() {
				pcm = pcm[:0]
				for _, c := range payload {
					pcm = append(pcm, PCMU.decode(c))
				}
				tones.samples(pcm, emit)
			}
		})
	}
}

// TestQuietBlockGate: the quiet-block shortcut decides only blocks too
// weak for any key: a key just above the detection level is still found,
// and the shortcut's bound is below every bin of the block.
func TestQuietBlockGate(t *testing.T) {
	var x [toneBlock]float64
	r := uint32(7)
	for i := range x {
		r = r*1664525 + 1013904223
		x[i] = (float64(r>>16)/65536*2 - 1) * 3000
	}
	var energy float64
	for _, v := range x {
		energy += v * v
	}
	for _, c := range append(rowCoef[:], colCoef[:]...) {
		if p := goertzel(&x, c); p > toneBlock*energy*(1+1e-9) {
			t.Fatalf("a bin holds %g, more than N times the energy %g", p, toneBlock*energy)
		}
	}
	// '5' (770 + 1336 Hz) with each tone at amplitude 560, just above the
	// minimum of 500.
	var key [toneBlock]float64
	for i := range key {
		ts := float64(i) / SampleRate
		key[i] = 560 * (math.Sin(2*math.Pi*770*ts) + math.Sin(2*math.Pi*1336*ts))
	}
	if k := detectKey(&key); k != '5' {
		t.Fatalf("a key at the detection level: got %q, want '5'", k)
	}
}
