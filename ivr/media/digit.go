package media

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Digit is one keypad press and how it reached us.
type Digit struct {
	Key      byte          // '0'-'9', '*', '#', 'A'-'D'
	Method   string        // MethodRFC4733, MethodINFO or MethodInband
	Duration time.Duration // how long the key was held, when known
}

// Digit methods, also the label of the DTMF metric.
const (
	MethodRFC4733 = "rfc4733"
	MethodINFO    = "info"
	MethodInband  = "inband"
)

// MaxDigitDuration bounds a reported key press: the longest an RFC 4733
// event's 16-bit duration can say at 8 kHz (a key held longer, sent in
// segments, is one press reported at this duration).
const MaxDigitDuration = 65535 * time.Second / SampleRate

// eventKeys maps RFC 4733 3.2 DTMF event codes 0-15 to keys.
const eventKeys = "0123456789*#ABCD"

// telephoneEvent is one RFC 4733 2.3 payload.
type telephoneEvent struct {
	event    uint8
	end      bool
	volume   uint8
	duration uint16
}

// parseTelephoneEvent decodes the 4-byte payload (RFC 4733 2.3); a payload
// may be followed by redundant blocks (RFC 2198 is not negotiated, so the
// first block is the event).
func parseTelephoneEvent(p []byte) (telephoneEvent, error) {
	if len(p) < 4 {
		return telephoneEvent{}, fmt.Errorf("telephone-event payload of %d bytes: %w", len(p), ErrBadDigit)
	}
	return telephoneEvent{
		event:    p[0],
		end:      p[1]&0x80 != 0,
		volume:   p[1] & 0x3f,
		duration: binary.BigEndian.Uint16(p[2:4]),
	}, nil
}

// eventDecoder turns a stream of telephone-event packets into digits, one
// per event: an event is named by its RTP timestamp (RFC 4733 2.5.1.1) and
// its end packet is sent three times (2.5.1.4), so we report it on the
// first end packet and remember recent timestamps to drop the rest, even
// reordered behind the next event.
type eventDecoder struct {
	cur     uint32 // timestamp of the event in progress
	have    bool   // an event is in progress and not yet reported
	key     byte
	dur     uint16
	held    int // samples of the press's earlier segments (long presses)
	lastPkt time.Time
	recent  [8]uint32 // timestamps of reported events
	nrecent int
}

// packet takes one telephone-event payload; emit is called for each digit
// (twice when a new event shows the previous one lost its end packets).
func (d *eventDecoder) packet(ts uint32, payload []byte, now time.Time, emit func(Digit)) error {
	ev, err := parseTelephoneEvent(payload)
	if err != nil {
		return err
	}
	if int(ev.event) >= len(eventKeys) {
		return nil // flash hook and tones other than DTMF: not keys
	}
	if d.reported(ts) {
		return nil
	}
	if d.have && ts != d.cur {
		if d.dur == 0xFFFF && ts == d.cur+0xFFFF && d.key == eventKeys[ev.event] {
			// The next segment of a key held past the 16-bit duration
			// (8.19 s; RFC 4733 2.5.1.3): the same press goes on.
			d.held += 0xFFFF
			d.dur = 0
		} else {
			d.flush(emit) // the previous event's end packets were all lost
		}
	}
	d.cur, d.have, d.key, d.lastPkt = ts, true, eventKeys[ev.event], now
	d.dur = max(d.dur, ev.duration)
	if ev.end {
		d.flush(emit)
	}
	return nil
}

// idle reports an event whose end packets never came once no packet of it
// arrived for a while (called as audio arrives).
func (d *eventDecoder) idle(now time.Time, emit func(Digit)) {
	if d.have && now.Sub(d.lastPkt) > 250*time.Millisecond {
		d.flush(emit)
	}
}

func (d *eventDecoder) flush(emit func(Digit)) {
	if !d.have {
		return
	}
	d.recent[d.nrecent%len(d.recent)] = d.cur
	d.nrecent++
	emit(Digit{Key: d.key, Method: MethodRFC4733, Duration: min(durationOf(d.held+int(d.dur)), MaxDigitDuration)})
	d.have, d.dur, d.held = false, 0, 0
}

func (d *eventDecoder) reported(ts uint32) bool {
	for i := range min(d.nrecent, len(d.recent)) {
		if d.recent[i] == ts {
			return true
		}
	}
	return false
}

// keyOf validates a key named in a SIP INFO body.
func keyOf(s string) (byte, bool) {
	switch s {
	case "10":
		return '*', true // Cisco-style numeric signals
	case "11":
		return '#', true
	}
	if len(s) != 1 {
		return 0, false
	}
	c := s[0]
	if c >= 'a' && c <= 'd' {
		c -= 'a' - 'A'
	}
	for i := range len(eventKeys) {
		if eventKeys[i] == c {
			return c, true
		}
	}
	return 0, false
}
