package media

import (
	"fmt"
	"math"

	"github.com/zaf/g711"
)

// DTMF sent toward a caller in-band: the two tones of each key (ITU-T
// Q.23) replace the other side's audio for a moment. The far end may be
// any SIP peer and the bridge relays audio frames, so tones in the audio
// reach every kind of phone. Written here because it is a dozen lines of
// arithmetic and no library of ours has a generator.

const (
	toneFrameSamples = SampleRate / 50 // 20 ms
	toneFrames       = 5               // 100 ms of tone (Q.24 asks for at least 40 ms)
	toneGapFrames    = 3               // 60 ms of silence between keys
	toneLevel        = 0.3             // of full scale, per tone (about -13 dBm0)
)

var (
	dtmfRows = map[byte]float64{'1': 697, '2': 697, '3': 697, 'A': 697, '4': 770, '5': 770, '6': 770, 'B': 770,
		'7': 852, '8': 852, '9': 852, 'C': 852, '*': 941, '0': 941, '#': 941, 'D': 941}
	dtmfCols = map[byte]float64{'1': 1209, '4': 1209, '7': 1209, '*': 1209, '2': 1336, '5': 1336, '8': 1336, '0': 1336,
		'3': 1477, '6': 1477, '9': 1477, '#': 1477, 'A': 1633, 'B': 1633, 'C': 1633, 'D': 1633}
)

// MaxDTMFKeys is the most keys one DTMFFrames call plays.
const MaxDTMFKeys = 32

// ValidDTMF reports whether s is 1 to MaxDTMFKeys DTMF keys (0-9, *, #,
// A-D).
func ValidDTMF(s string) bool {
	if s == "" || len(s) > MaxDTMFKeys {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := dtmfRows[s[i]]; !ok {
			return false
		}
	}
	return true
}

// DTMFFrames returns the encoded 20 ms frames (160 bytes of codec) that
// play digits: each key's tone (100 ms) then a gap (60 ms). Invalid keys:
// an error wrapping ErrBadDigit.
func DTMFFrames(digits string, codec Codec) ([][]byte, error) {
	if !ValidDTMF(digits) {
		return nil, fmt.Errorf("dtmf keys %q: %w", truncate(digits), ErrBadDigit)
	}
	enc := g711.EncodeUlawFrame
	if codec == PCMA {
		enc = g711.EncodeAlawFrame
	}
	silence := enc(0)
	var out [][]byte
	for i := 0; i < len(digits); i++ {
		lo, hi := dtmfRows[digits[i]], dtmfCols[digits[i]]
		for f := range toneFrames {
			b := make([]byte, toneFrameSamples)
			for n := range b {
				t := float64(f*toneFrameSamples+n) / SampleRate
				v := toneLevel * (math.Sin(2*math.Pi*lo*t) + math.Sin(2*math.Pi*hi*t))
				b[n] = enc(int16(v * math.MaxInt16))
			}
			out = append(out, b)
		}
		for range toneGapFrames {
			b := make([]byte, toneFrameSamples)
			for n := range b {
				b[n] = silence
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// ToneLevel is the amplitude, as a fraction of full scale, of the freq
// component of pcm (8 kHz samples): one Goertzel bin, normalised. Tests
// tell who hears whom on a mixed call by giving each side its own tone.
func ToneLevel(pcm []int16, freq float64) float64 {
	if len(pcm) == 0 {
		return 0
	}
	coef := 2 * math.Cos(2*math.Pi*freq/SampleRate)
	var s1, s2 float64
	for _, x := range pcm {
		s0 := float64(x)/math.MaxInt16 + coef*s1 - s2
		s1, s2 = s0, s1
	}
	power := s1*s1 + s2*s2 - coef*s1*s2
	return 2 * math.Sqrt(max(power, 0)) / float64(len(pcm))
}

// Tone returns n samples of a sine of freq at level (fraction of full
// scale), starting at sample offset from.
func Tone(freq, level float64, from, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(level * math.MaxInt16 * math.Sin(2*math.Pi*freq*float64(from+i)/SampleRate))
	}
	return out
}
