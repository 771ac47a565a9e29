package media

import "errors"

var (
	// ErrClosed is returned by a Leg's methods after Close.
	ErrClosed = errors.New("media: leg closed")
	// ErrBusy is returned by Play while another Play runs on the leg.
	ErrBusy = errors.New("media: leg already playing")
	// ErrDead is returned by Play when the leg was torn down for RTP
	// inactivity.
	ErrDead = errors.New("media: leg inactive")
	// ErrPacerStopped is returned by Play when the Pacer's context ended.
	ErrPacerStopped = errors.New("media: pacer stopped")
	// ErrBadWAV wraps every WAV decoding error.
	ErrBadWAV = errors.New("bad wav")
	// ErrBadDigit wraps every DTMF decoding error (RFC 4733 payloads, SIP
	// INFO bodies).
	ErrBadDigit = errors.New("bad dtmf")
	// ErrNoEvents is returned by Leg.SendDigits when the caller
	// negotiated no telephone-event payload: send the tones in-band.
	ErrNoEvents = errors.New("media: no telephone-event negotiated")
	// ErrUnsupportedType is returned by ParseINFO for a content type that
	// carries no digit (the signalling answers 415).
	ErrUnsupportedType = errors.New("unsupported dtmf content type")
)
