package media

import "math"

// Mixer mixes the 20 ms frames of the legs of one call for a conference:
// each leg hears the sum of the linear PCM of the legs it hears (never
// itself), clipped to 16 bits and encoded in its own codec. Who hears whom
// is the caller's choice per frame (a supervisor listening is heard by
// nobody, one whispering only by the agent). Written here because it is a
// sum and a clip; no library of ours mixes G.711.
//
// A Mixer is not safe for concurrent use: one goroutine owns it and calls
// Mix every frame.
type Mixer struct {
	pcm [][]int16 // decoded input per leg
	sum []int32
}

// MixLeg is one leg's part in a frame: what it said (nil: nothing this
// frame, heard as silence) and the codec it speaks and hears.
type MixLeg struct {
	Codec Codec
	In    []byte // one frame from the leg, or nil
	// Out receives the frame the leg hears, encoded in Codec; it must
	// have the length of a frame (Mix writes len(Out) samples).
	Out []byte
}

// Mix fills each leg's Out with the sum of the In of the legs it hears:
// hears(listener, speaker) for listener != speaker. A leg that hears
// nobody gets silence.
func (m *Mixer) Mix(legs []MixLeg, hears func(listener, speaker int) bool) {
	for len(m.pcm) < len(legs) {
		m.pcm = append(m.pcm, nil)
	}
	n := 0
	for i := range legs {
		n = max(n, len(legs[i].Out))
	}
	if cap(m.sum) < n {
		m.sum = make([]int32, n)
	}
	sum := m.sum[:n]
	for i, l := range legs {
		m.pcm[i] = m.pcm[i][:0]
		if l.In != nil {
			m.pcm[i] = Decode(m.pcm[i], l.Codec, l.In)
		}
	}
	for i, l := range legs {
		clear(sum)
		for j := range legs {
			if j == i || len(m.pcm[j]) == 0 || !hears(i, j) {
				continue
			}
			for k, s := range m.pcm[j][:min(len(m.pcm[j]), n)] {
				sum[k] += int32(s)
			}
		}
		for k := range l.Out {
			l.Out[k] = l.Codec.encode(clip16(sum[k]))
		}
	}
}

func clip16(v int32) int16 {
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(v)
}
