package media

import (
	"time"

	"github.com/zaf/g711"
)

// Clip is audio ready to play on a leg of either codec: 8 kHz mono, held
// in both G.711 laws so playback never transcodes. A Clip is immutable and
// shared by every leg that plays it.
type Clip struct {
	name string
	ulaw []byte
	alaw []byte
}

// NewClipPCM builds a clip from 8 kHz mono linear samples (tones, music).
func NewClipPCM(name string, samples []int16) *Clip {
	c := &Clip{name: name, ulaw: make([]byte, len(samples)), alaw: make([]byte, len(samples))}
	for i, s := range samples {
		c.ulaw[i] = g711.EncodeUlawFrame(s)
		c.alaw[i] = g711.EncodeAlawFrame(s)
	}
	return c
}

// newClipG711 builds a clip from G.711 bytes of codec, which it keeps.
func newClipG711(name string, codec Codec, data []byte) *Clip {
	c := &Clip{name: name}
	if codec == PCMA {
		c.alaw, c.ulaw = data, g711.Alaw2Ulaw(data)
	} else {
		c.ulaw, c.alaw = data, g711.Ulaw2Alaw(data)
	}
	return c
}

// Name is the clip's origin (a file path or prompt id).
func (c *Clip) Name() string { return c.name }

// Duration is the clip's play time.
func (c *Clip) Duration() time.Duration { return durationOf(len(c.ulaw)) }

// Payload returns the clip encoded for codec; callers must not modify it.
func (c *Clip) Payload(codec Codec) []byte {
	if codec == PCMA {
		return c.alaw
	}
	return c.ulaw
}

// PCM decodes the clip to linear samples (for checks and tests).
func (c *Clip) PCM() []int16 {
	out := make([]int16, len(c.ulaw))
	for i, b := range c.ulaw {
		out[i] = g711.DecodeUlawFrame(b)
	}
	return out
}
