package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
)

// Voicemail stores callers' voice messages (the flow's record node).
type Voicemail interface {
	// NewMessage opens the recording of a contact's voice message and
	// returns it with the id the flow puts on the ticket. The caller's
	// audio goes to Recording.Caller; the other side stays silent.
	NewMessage(ctx context.Context, contactID string) (Recording, string, error)
}

// ErrNoVoicemail: no Voicemail is attached; the record node takes its
// error path.
var ErrNoVoicemail = errors.New("sip: voice messages are not stored")

// AttachVoicemail makes the flows' record nodes store voice messages.
func (s *Server) AttachVoicemail(v Voicemail) { s.voicemail.Store(&v) }

var _ ivr.MessageRecorder = (*call)(nil)

// RecordMessage plays u, then records the caller until # (RFC 4733, SIP
// INFO or in-band), the caller's hang-up, or limit on the flows' clock.
// The message is kept whichever ends it.
func (c *call) RecordMessage(ctx context.Context, u ivr.Utterance, limit time.Duration) (string, error) {
	vp := c.s.voicemail.Load()
	if vp == nil {
		return "", ErrNoVoicemail
	}
	rl, ok := c.leg.(relayLeg)
	if !ok {
		return "", fmt.Errorf("record: the caller's leg relays no audio")
	}
	if len(u.Items) > 0 {
		if _, err := c.Play(ctx, u); err != nil {
			return "", err
		}
	}
	if c.ctx.Err() != nil {
		return "", ivr.ErrHangup
	}
	rec, id, err := (*vp).NewMessage(ctx, c.contact.ID)
	if err != nil {
		return "", fmt.Errorf("record: %w", err)
	}
	codec := rl.Codec()
	stream := media.NewStream(codec, time.Second)
	rl.Relay(nil, stream)
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		frame := make([]byte, phone.FrameSize)
		silence := bytes.Repeat([]byte{silenceOf(codec)}, phone.FrameSize)
		for stream.ReadFrame(rctx, frame) == nil {
			rec.Caller(codec, frame)
			rec.Agent(codec, silence)
		}
	})
	timeout := c.s.o.Clock.After(limit)
	by := "limit"
wait:
	for {
		select {
		case d := <-c.leg.Digits():
			if d.Key == '#' {
				by = "caller pressed #"
				break wait
			}
		case <-timeout:
			break wait
		case <-c.ctx.Done():
			by = "caller hung up"
			break wait
		case <-ctx.Done():
			by = "run stopped"
			break wait
		}
	}
	rl.Relay(nil, nil)
	stop()
	wg.Wait()
	// What the caller said before # is still queued: keep it.
	frame := make([]byte, phone.FrameSize)
	silence := bytes.Repeat([]byte{silenceOf(codec)}, phone.FrameSize)
	for n := stream.Fill(frame); n > 0; n = stream.Fill(frame) {
		rec.Caller(codec, frame[:n])
		rec.Agent(codec, silence[:n])
	}
	if err := rec.Close(); err != nil {
		return "", fmt.Errorf("record: %w", err)
	}
	c.s.log.Info("voice message recorded", "contact_id", c.contact.ID, "recording", id, "ended_by", by)
	if ctx.Err() != nil {
		return id, ctx.Err()
	}
	return id, nil
}

// silenceOf is a G.711 law's byte for zero.
func silenceOf(c media.Codec) byte {
	if c == media.PCMA {
		return 0xd5
	}
	return 0xff
}
