package media

import "testing"

// BenchmarkReceiveAudio is the receive side's work per 20 ms audio packet
// of a caller without RFC 4733: decode and in-band DTMF detection.
func BenchmarkReceiveAudio(b *testing.B) {
	payload := make([]byte, 160)
	for i := range payload {
		payload[i] = byte(i * 7)
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
}
