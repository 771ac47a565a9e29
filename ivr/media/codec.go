package media

import (
	"fmt"
	"time"

	"github.com/zaf/g711"
)

// Codec is a G.711 RTP payload type (RFC 3551 6).
type Codec uint8

const (
	PCMU Codec = 0 // G.711 µ-law
	PCMA Codec = 8 // G.711 A-law
)

// SampleRate is the clock rate of G.711 and of telephone-event.
const SampleRate = 8000

func (c Codec) String() string {
	switch c {
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return fmt.Sprintf("codec(%d)", uint8(c))
}

func (c Codec) valid() bool { return c == PCMU || c == PCMA }

// silence is the codec's byte for a zero sample.
func (c Codec) silence() byte {
	if c == PCMA {
		return 0xD5
	}
	return 0xFF
}

// decode turns one G.711 byte into a linear sample.
func (c Codec) decode(b byte) int16 {
	if c == PCMA {
		return g711.DecodeAlawFrame(b)
	}
	return g711.DecodeUlawFrame(b)
}

// samplesFor is the number of 8 kHz samples in d.
func samplesFor(d time.Duration) int { return int(d * SampleRate / time.Second) }

// durationOf is the play time of n 8 kHz samples.
func durationOf(n int) time.Duration { return time.Duration(n) * time.Second / SampleRate }

// encode turns one linear sample into the codec's byte.
func (c Codec) encode(s int16) byte {
	if c == PCMA {
		return g711.EncodeAlawFrame(s)
	}
	return g711.EncodeUlawFrame(s)
}

// Encode turns linear samples into G.711 bytes of codec appended to dst.
func Encode(dst []byte, codec Codec, pcm []int16) []byte {
	for _, s := range pcm {
		dst = append(dst, codec.encode(s))
	}
	return dst
}
