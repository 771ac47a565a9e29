package phone

import (
	"context"
	"time"

	"github.com/hotline10000/hotline/ivr/media"
)

// FrameDuration is the play time of one frame on a Leg.
const FrameDuration = 20 * time.Millisecond

// FrameSize is the byte size of one G.711 frame (8 kHz, one byte a sample).
const FrameSize = media.SampleRate * int(FrameDuration) / int(time.Second)

// CallInfo is what an agent's phone shows while it rings.
type CallInfo struct {
	ContactID string // the contact being offered
	Caller    string // the caller's number (ANI), as the IVR saw it
	Queue     string // the queue the contact waited in
	// Role is why a second leg joins a call already bridged: "consult"
	// (a consulted agent), "listen", "whisper" or "barge" (a supervisor
	// who asked for it: the desk may answer by itself). "" for an offer.
	Role string
}

// Leg is an answered agent phone: G.711 audio both ways in 20 ms frames.
// ReadFrame is called from one goroutine and WriteFrame from one other;
// Hangup and Done may be called from any.
type Leg interface {
	// Codec is the leg's payload: media.PCMU or media.PCMA.
	Codec() media.Codec
	// ReadFrame blocks for the next frame from the agent (FrameSize bytes
	// into buf, which is at least that long) and returns its length. It
	// returns io.EOF once the leg has ended, and ctx's error when ctx ends
	// first. A phone that sends nothing for a while simply blocks: the
	// caller of ReadFrame plays silence meanwhile if it needs to.
	ReadFrame(ctx context.Context, buf []byte) (int, error)
	// WriteFrame sends one frame (FrameSize bytes of Codec) toward the
	// agent; the caller paces frames every FrameDuration. After the leg
	// ended it returns an error wrapping io.EOF (or io.ErrClosedPipe).
	WriteFrame(frame []byte) error
	// Hangup ends the leg from our side (SIP BYE, desk hangup) with a
	// reason for logs and the agent's screen. Idempotent.
	Hangup(ctx context.Context, reason string) error
	// Done is closed when the leg has ended, from either side.
	Done() <-chan struct{}
}

// Ringer rings one kind of agent phone.
type Ringer interface {
	// Ring rings the agent's phone for the call and returns the answered
	// Leg. ctx ending withdraws the ring (SIP CANCEL, the desk's banner
	// goes away) and Ring returns ctx's error. Errors otherwise: ErrNoPhone,
	// ErrBusy, ErrDeclined, ErrNoAnswer (wrapped as the Ringer likes).
	// A Ringer whose ring is answered after ctx ended hangs that leg up.
	Ring(ctx context.Context, agentID string, call CallInfo) (Leg, error)
}

// RingerFunc adapts a function to Ringer.
type RingerFunc func(ctx context.Context, agentID string, call CallInfo) (Leg, error)

// Ring calls f.
func (f RingerFunc) Ring(ctx context.Context, agentID string, call CallInfo) (Leg, error) {
	return f(ctx, agentID, call)
}

// Keypad is a Leg that tells the keys pressed on the phone itself (a SIP
// desk phone's RFC 4733 events or SIP INFO): the bridge sends them on to
// the caller the way the caller's phone takes keys.
type Keypad interface {
	Keys() <-chan media.Digit
}
