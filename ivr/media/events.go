package media

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/pion/rtp"
)

// Telephone events beyond a Leg's own reader: keys sent to a caller that
// negotiated telephone-event (Leg.SendDigits), so a key pressed on an
// agent's phone reaches the caller in the method the caller's phone speaks
// (RFC 4733), and the decoder for RTP read outside a Leg (EventDecoder:
// the keypad tests' callers).

// EventDecoder turns a stream of telephone-event payloads into digits, one
// per event (RFC 4733 2.5.1: the event's timestamp names it, its end packet
// comes three times). The zero value is ready; not safe for concurrent use.
type EventDecoder struct{ d eventDecoder }

// Packet takes one telephone-event payload with its RTP timestamp; emit is
// called for each digit it completes. A malformed payload is an error
// wrapping ErrBadDigit.
func (e *EventDecoder) Packet(ts uint32, payload []byte, now time.Time, emit func(Digit)) error {
	return e.d.packet(ts, payload, now, emit)
}

// Idle reports an event whose end packets never came once nothing of it
// arrived for a while; call it as audio arrives.
func (e *EventDecoder) Idle(now time.Time, emit func(Digit)) { e.d.idle(now, emit) }

// Sending: each key is eventTonePackets packets of one event (the same
// timestamp, growing duration, the marker on the first; the last one ends
// it and is sent eventEnds times, RFC 4733 2.5.1.4), then the audio goes on
// for the gap before the next key: 100 ms and 60 ms, as DTMFFrames.
const (
	eventTone   = 100 * time.Millisecond
	eventGap    = 60 * time.Millisecond
	eventEnds   = 3
	eventVolume = 10 // -10 dBm0 (RFC 4733 2.3.4)
	eventSize   = 4  // RFC 4733 2.3
	maxEventQ   = 64 // keys queued on one leg
)

// outEvent is a key being sent to the caller.
type outEvent struct {
	code uint8
	ts   uint32 // the event's timestamp: its first packet's
	sent int    // packets of this key sent so far, gap included
}

// SendDigits queues keys (0-9, *, #, A-D) to be sent to the caller as
// RFC 4733 telephone events, after the ones still being sent; the audio
// of those packet times is not sent. An error wrapping ErrNoEvents when
// the caller negotiated no telephone-event (send the tones in-band
// then), ErrBadDigit for keys that are not DTMF.
func (l *Leg) SendDigits(keys string) error {
	pt := l.cfg.DTMFPayloadType
	if pt == 0 || pt == uint8(l.cfg.Codec) {
		return ErrNoEvents
	}
	if !ValidDTMF(keys) {
		return fmt.Errorf("dtmf keys %q: %w", truncate(keys), ErrBadDigit)
	}
	select {
	case <-l.closed:
		return ErrClosed
	default:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.keys)+len(keys) > maxEventQ {
		return fmt.Errorf("media: %d keys already queued: %w", len(l.keys), ErrBusy)
	}
	for i := range len(keys) {
		l.keys = append(l.keys, outEvent{code: uint8(strings.IndexByte(eventKeys, keys[i]))})
	}
	return nil
}

// eventFrame makes the packet frame just prepared (header h, audio in
// l.sendBuf) the next telephone-event packet of the key being sent, if
// one is and this is not its gap. Called by frame with l.mu held.
func (l *Leg) eventFrame(h rtp.Header) {
	per := samplesFor(l.cfg.PTime)
	tone := max((samplesFor(eventTone)+per-1)/per, 1)
	gap := (samplesFor(eventGap) + per - 1) / per
	k := &l.keys[0]
	i := k.sent
	k.sent++
	if i >= tone+eventEnds-1 {
		// The gap after the key: audio (or silence) goes on.
		if k.sent >= tone+eventEnds-1+gap {
			l.keys = l.keys[1:]
		}
		return
	}
	if i == 0 {
		k.ts = h.Timestamp
	}
	h.Marker = i == 0
	h.PayloadType = l.cfg.DTMFPayloadType
	h.Timestamp = k.ts
	dur := min(i+1, tone) * per
	flags := byte(eventVolume)
	if i >= tone-1 {
		flags |= 0x80 // E: the end, sent eventEnds times
	}
	n, _ := h.MarshalTo(l.sendBuf)
	l.sendBuf = l.sendBuf[:n+eventSize]
	p := l.sendBuf[n:]
	p[0], p[1] = k.code, flags
	binary.BigEndian.PutUint16(p[2:], uint16(dur))
}
