package sip

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
)

// RTPMedia is the Media of package ivr/media: one shared Pacer for every
// call's paced RTP, prompts decoded once per catalog, symmetric RTP.
type RTPMedia struct {
	Pacer *media.Pacer
	// Music is what a queued caller hears; nil: a soft generated chime.
	Music *media.Clip

	mu      sync.Mutex                      // guards prompts
	prompts map[*ivr.Catalog]*media.Prompts // decoded per catalog (flow reloads bring new ones)
}

// NewRTPMedia decodes every prompt of cat (a corrupt WAV refuses the start
// naming its path) and returns the Media playing them.
func NewRTPMedia(p *media.Pacer, cat *ivr.Catalog) (*RTPMedia, error) {
	m := &RTPMedia{Pacer: p, prompts: map[*ivr.Catalog]*media.Prompts{}}
	if cat != nil {
		if _, err := m.promptsOf(cat); err != nil {
			return nil, err
		}
	}
	m.Music = chime()
	return m, nil
}

func (m *RTPMedia) promptsOf(cat *ivr.Catalog) (*media.Prompts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.prompts[cat]; ok {
		return p, nil
	}
	p, err := media.LoadPrompts(cat)
	if err != nil {
		return nil, err
	}
	m.prompts[cat] = p
	return p, nil
}

// Open starts the call's RTP leg.
func (m *RTPMedia) Open(cfg LegConfig) (Leg, error) {
	codec := media.PCMU
	if cfg.Offer.PayloadType == ptPCMA {
		codec = media.PCMA
	}
	l, err := media.NewLeg(media.LegConfig{Conn: cfg.Conn, Remote: cfg.Offer.Remote, Codec: codec,
		DTMFPayloadType: cfg.Offer.DTMFPayloadType, PTime: cfg.Offer.PTime, Pacer: m.Pacer, Latching: true,
		Inactivity: cfg.Inactivity})
	if err != nil {
		return nil, err
	}
	if cfg.Offer.Hold {
		l.SetHold(true)
	}
	return &rtpLeg{m: m, l: l}, nil
}

type rtpLeg struct {
	m *RTPMedia
	l *media.Leg
}

func (r *rtpLeg) Play(ctx context.Context, u ivr.Utterance) (Digit, bool, error) {
	p, err := r.m.promptsOf(u.Prompts)
	if err != nil {
		return Digit{}, false, err
	}
	clips, err := p.Utterance(u)
	if err != nil {
		return Digit{}, false, err
	}
	d, pressed, err := r.l.Play(ctx, u.BargeIn, clips...)
	if errors.Is(err, media.ErrDead) || errors.Is(err, media.ErrClosed) {
		return Digit{}, false, ivr.ErrHangup
	}
	if !u.BargeIn {
		// Keys pressed during a prompt without barge-in are not input.
		for {
			select {
			case <-r.l.Digits():
				continue
			default:
			}
			break
		}
	}
	return d, pressed, err
}

func (r *rtpLeg) Hold(ctx context.Context) error {
	for ctx.Err() == nil {
		if _, _, err := r.l.Play(ctx, false, r.m.Music); err != nil {
			return err
		}
	}
	return nil
}

func (r *rtpLeg) Digits() <-chan Digit { return r.l.Digits() }

func (r *rtpLeg) INFO(contentType string, body []byte) error {
	d, err := media.ParseINFO(contentType, body)
	if err != nil {
		return fmt.Errorf("info: %w", err)
	}
	r.l.InjectDigit(d)
	return nil
}

func (r *rtpLeg) Update(o Offer) {
	if o.Remote.Addr().IsValid() && !o.Remote.Addr().IsUnspecified() {
		r.l.SetRemote(o.Remote)
	}
	r.l.SetHold(o.Hold)
}

func (r *rtpLeg) Dead() <-chan struct{} { return r.l.Dead() }

func (r *rtpLeg) Stats() LegStats {
	s := r.l.Stats()
	return LegStats{Sent: s.PacketsSent, Received: s.PacketsReceived, Lost: s.PacketsLost}
}

func (r *rtpLeg) Close() error { return r.l.Close() }

// chime is the generated hold music: two soft notes and a pause, 3 s,
// so a queued caller knows the line is alive (no music file ships).
func chime() *media.Clip {
	const rate = media.SampleRate
	samples := make([]int16, 3*rate)
	note := func(from, n int, hz float64) {
		for i := 0; i < n; i++ {
			env := math.Sin(math.Pi * float64(i) / float64(n)) // fade in and out
			samples[from+i] = int16(3000 * env * math.Sin(2*math.Pi*hz*float64(i)/rate))
		}
	}
	note(0, rate/2, 523.25)      // C5
	note(rate/2, rate/2, 659.25) // E5
	return media.NewClipPCM("hold-music", samples)
}
