package webphone

import (
	"math"
	"strings"

	"github.com/zaf/g711"

	"github.com/hotline10000/hotline/ivr/media"
)

// DTMF the agent sends goes to the caller in-band: the two tones of each key
// (ITU-T Q.23) replace the agent's audio for a moment. The browser could
// send RFC 4733 events (RTCDTMFSender), but the caller's leg may be any SIP
// peer and the relay carries audio frames only; tones in the audio reach
// every kind of far end. Written here because it is a dozen lines of
// arithmetic and no library of ours has a generator.

const (
	frameSamples = media.SampleRate / 50 // 20 ms
	toneFrames   = 5                     // 100 ms of tone (Q.24 asks for at least 40 ms)
	gapFrames    = 3                     // 60 ms of silence between keys
	toneLevel    = 0.3                   // of full scale, per tone (about -13 dBm0)
)

var (
	dtmfRows = map[byte]float64{'1': 697, '2': 697, '3': 697, 'A': 697, '4': 770, '5': 770, '6': 770, 'B': 770,
		'7': 852, '8': 852, '9': 852, 'C': 852, '*': 941, '0': 941, '#': 941, 'D': 941}
	dtmfCols = map[byte]float64{'1': 1209, '4': 1209, '7': 1209, '*': 1209, '2': 1336, '5': 1336, '8': 1336, '0': 1336,
		'3': 1477, '6': 1477, '9': 1477, '#': 1477, 'A': 1633, 'B': 1633, 'C': 1633, 'D': 1633}
)

// ValidDigits reports whether s is 1 to 32 DTMF keys (0-9, *, #, A-D).
func ValidDigits(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := dtmfRows[s[i]]; !ok {
			return false
		}
	}
	return true
}

// dtmfFrames returns the encoded 20 ms frames that play digits: each key's
// tone then a gap.
func dtmfFrames(digits string, codec media.Codec) ([][]byte, error) {
	digits = strings.ToUpper(digits)
	if !ValidDigits(digits) {
		return nil, ErrBadDigit
	}
	enc := g711.EncodeUlawFrame
	if codec == media.PCMA {
		enc = g711.EncodeAlawFrame
	}
	silence := enc(0)
	var out [][]byte
	for i := 0; i < len(digits); i++ {
		lo, hi := dtmfRows[digits[i]], dtmfCols[digits[i]]
		for f := range toneFrames {
			b := make([]byte, frameSamples)
			for n := range b {
				t := float64(f*frameSamples+n) / media.SampleRate
				v := toneLevel * (math.Sin(2*math.Pi*lo*t) + math.Sin(2*math.Pi*hi*t))
				b[n] = enc(int16(v * math.MaxInt16))
			}
			out = append(out, b)
		}
		for range gapFrames {
			b := make([]byte, frameSamples)
			for n := range b {
				b[n] = silence
			}
			out = append(out, b)
		}
	}
	return out, nil
}
