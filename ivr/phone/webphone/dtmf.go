package webphone

import (
	"github.com/hotline10000/hotline/ivr/media"
)

// DTMF the agent sends goes to the caller in-band (media.DTMFFrames): the
// browser could send RFC 4733 events (RTCDTMFSender), but the caller's leg
// may be any SIP peer and the relay carries audio frames only.

// ValidDigits reports whether s is 1 to 32 DTMF keys (0-9, *, #, A-D).
func ValidDigits(s string) bool { return media.ValidDTMF(s) }

// dtmfFrames returns the encoded 20 ms frames that play digits: each key's
// tone then a gap.
func dtmfFrames(digits string, codec media.Codec) ([][]byte, error) {
	if !ValidDigits(digits) {
		return nil, ErrBadDigit
	}
	return media.DTMFFrames(digits, codec)
}
