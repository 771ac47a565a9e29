package webphone

import (
	"errors"
	"fmt"
	"io"
)

// Sentinel errors.
var (
	// ErrNoCodec: the offer has no audio section, or none of its audio
	// formats is PCMU or PCMA.
	ErrNoCodec = errors.New("webphone: the offer has no PCMU or PCMA audio")
	// ErrBadOffer: the offer is not an SDP description pion can apply.
	ErrBadOffer = errors.New("webphone: bad SDP offer")
	// ErrEnded: the call has ended (hung up, or the peer connection
	// failed); it wraps io.EOF, as ivr/phone's Leg asks of WriteFrame.
	ErrEnded = fmt.Errorf("webphone: call ended: %w", io.EOF)
	// ErrBadDigit: a DTMF digit other than 0-9, *, #, A-D.
	ErrBadDigit = errors.New("webphone: bad DTMF digit")
)
