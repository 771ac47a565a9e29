package sip

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
)

// Agents connects answered calls to the agents' phones (package
// ivr/phone): the flow's transfer step bridges the caller to the agent leg
// its offer was answered on.
type Agents struct {
	Phones *phone.Phones
	// AgentLeft ends the contact in the ACD when the agent's phone hangs
	// up (acd.Engine.End); the queue then reports the agent gone and the
	// flow goes on (the survey). Nil: the call's flow is told directly.
	AgentLeft func(ctx context.Context, contactID string) error
	// ConsultLeft ends the consultation in the ACD when the consulted
	// agent's phone hangs up (acd.Engine.CancelConsult); the first agent
	// keeps the caller.
	ConsultLeft func(ctx context.Context, contactID string) error
	// ConsultTakeOver hands the caller to the consulted agent when the
	// first agent hangs up during an answered consultation or conference
	// (acd.Engine.CompleteConsult). Nil: the contact ends as AgentLeft.
	ConsultTakeOver func(ctx context.Context, contactID string) error
	// Recorder, if set, records bridged calls.
	Recorder Recorder
}

// Recorder opens the recording of one bridged call.
type Recorder interface {
	// Record starts the recording of a contact's bridged call; nil, nil
	// when the call is not recorded.
	Record(ctx context.Context, contactID, agentID string) (Recording, error)
}

// Recording takes the two sides of a bridged call, in their codecs.
type Recording interface {
	Caller(codec media.Codec, frame []byte)
	Agent(codec media.Codec, frame []byte)
	Close() error
}

// AttachAgents makes transfers bridge callers to the agents' phones.
// Until it is called a connected caller keeps hearing hold music.
func (s *Server) AttachAgents(a Agents) { s.agents.Store(&a) }

// relayLeg is a caller's leg that can relay audio (ivr/media's leg does).
type relayLeg interface {
	Codec() media.Codec
	// Relay hands the caller's audio to fromCaller (on the leg's receive
	// path: it must not block) and sends toCaller's audio whenever nothing
	// plays; nil, nil stops it.
	Relay(toCaller *media.Stream, fromCaller media.Sink)
}

// eventSender is a caller's leg that can send keys as RFC 4733 events
// (media.Leg.SendDigits): media.ErrNoEvents when the caller negotiated
// none.
type eventSender interface {
	SendDigits(keys string) error
}

func (r *rtpLeg) SendDigits(keys string) error { return r.l.SendDigits(keys) }

func (r *rtpLeg) Codec() media.Codec { return r.l.Codec() }

func (r *rtpLeg) Relay(toCaller *media.Stream, fromCaller media.Sink) {
	if s, ok := fromCaller.(*media.Stream); ok && s == nil {
		fromCaller = nil
	}
	r.l.ListenTo(fromCaller)
	r.l.Feed(toCaller)
}

// directLeg is an agent leg whose audio the bridge moves without a
// goroutine of its own: the leg hands what it receives to a media.Sink on
// its receive path, and its WriteFrame never blocks. A SIP phone's leg
// is one (a media.Leg on the pacer: its frames arrive, and go out, in
// the pacer's slots); a browser softphone's (pion) is not.
type directLeg interface {
	phone.Leg
	// tap hands the leg's received audio to s, in place of ReadFrame
	// (which then waits for nothing); nil gives it back to ReadFrame.
	tap(s media.Sink)
}

// framer cuts the audio a leg receives (RTP payloads of any size) into
// the bridge's 20 ms frames of codec and hands each to emit, on that
// leg's receive path: a caller's frames go on to the agent's phone, and
// the phone's to the caller, in the pacer's slot that received them, with
// no goroutine woken per frame. emit may keep the frame only until it
// returns. stop waits for a frame being handed over, so none follows it.
type framer struct {
	codec media.Codec
	emit  func(frame []byte)

	mu      sync.Mutex
	stopped bool
	buf     [phone.FrameSize]byte
	n       int
}

func newFramer(codec media.Codec, emit func([]byte)) *framer {
	return &framer{codec: codec, emit: emit}
}

func (f *framer) Write(from media.Codec, p []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(p) > 0 && !f.stopped {
		c := copy(f.buf[f.n:], p)
		media.Transcode(f.buf[f.n:f.n+c], from, f.codec)
		f.n += c
		p = p[c:]
		if f.n == len(f.buf) {
			f.n = 0
			f.emit(f.buf[:])
		}
	}
}

func (f *framer) stop() {
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
}

// agentBridge is a caller bridged to an agent leg, owned by the call and
// stopped by endBridge. With a directLeg the two legs' receive paths move
// the audio (framers); with another leg, two relay goroutines do. Both
// take the same steps per frame (fromCaller, fromAgent). A watcher
// goroutine follows the agent leg's end.
type agentBridge struct {
	leg      phone.Leg
	agentID  string
	rl       relayLeg
	toCaller *media.Stream // agent audio, in the caller's codec
	toAgent  *media.Stream // caller audio, in the agent's codec (relay goroutines only)
	taps     []*framer     // the direct relay's, stopped by endBridge
	rec      Recording
	held     atomic.Bool
	muted    atomic.Bool   // the caller hears silence instead of the agent
	gone     chan struct{} // closed when the agent leg ended by itself

	tonesMu sync.Mutex
	tones   [][]byte // DTMF frames (the agent leg's codec) still to play to the caller

	// Conference (conference.go): while mixing, the relay hands its
	// frames to the mixer instead of to the other side.
	mixing   atomic.Bool
	agentIn  chan []byte // the agent's frames, for the mixer
	callerIn chan []byte // the caller's frames (agent leg's codec), for the mixer
	partyMu  sync.Mutex  // guards parties, mixerOn
	parties  []*party
	mixerOn  bool
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	musicMu   sync.Mutex
	stopMusic func() // stops the hold music playing; nil: none
}

// bridge takes the answered agent leg of the call's contact and relays
// audio both ways. False: there is none (no phones attached, or the
// contact was accepted on the desk without a phone).
func (c *call) bridge(ctx context.Context, agentID string) bool {
	a := c.s.agents.Load()
	if a == nil || a.Phones == nil {
		return false
	}
	leg, ok := a.Phones.Take(c.contact.ID)
	if !ok {
		return false
	}
	return c.bridgeLeg(ctx, a, agentID, leg)
}

// bridgeLeg bridges the caller to an answered agent leg.
func (c *call) bridgeLeg(ctx context.Context, a *Agents, agentID string, leg phone.Leg) bool {
	rl, ok := c.leg.(relayLeg)
	if !ok {
		_ = leg.Hangup(ctx, "caller has no media relay")
		return false
	}
	b := &agentBridge{leg: leg, agentID: agentID, rl: rl, toCaller: media.NewStream(rl.Codec(), 0),
		toAgent: media.NewStream(leg.Codec(), 0), gone: make(chan struct{}),
		agentIn: make(chan []byte, mixQueue), callerIn: make(chan []byte, mixQueue)}
	if a.Recorder != nil {
		rec, err := a.Recorder.Record(ctx, c.contact.ID, agentID)
		if err != nil {
			c.s.log.Warn("call not recorded", "contact_id", c.contact.ID, "err", err)
		}
		b.rec = rec
	}
	bctx, cancel := context.WithCancel(c.ctx)
	b.ctx, b.cancel = bctx, cancel
	c.mu.Lock()
	c.agent = b
	c.mu.Unlock()
	kp, keypad := leg.(phone.Keypad)
	if keypad {
		b.wg.Add(1) // with the ones below, before any of them can end
	}
	if dl, ok := leg.(directLeg); ok && !c.s.relayGoroutines {
		fromCaller, fromAgent := newFramer(leg.Codec(), func(f []byte) { _ = b.fromCaller(f) }), newFramer(leg.Codec(), b.fromAgent)
		b.taps = []*framer{fromCaller, fromAgent}
		rl.Relay(b.toCaller, fromCaller)
		dl.tap(fromAgent)
	} else {
		rl.Relay(b.toCaller, b.toAgent)
		b.wg.Add(2)
		go func() { // agent -> caller, at the agent's pace
			defer b.wg.Done()
			buf := make([]byte, 2*phone.FrameSize)
			for {
				n, err := leg.ReadFrame(bctx, buf)
				if err != nil {
					return
				}
				b.fromAgent(buf[:n])
			}
		}()
		go func() { // caller -> agent, at the pace of the caller's RTP
			defer b.wg.Done()
			frame := make([]byte, phone.FrameSize)
			for {
				if err := b.toAgent.ReadFrame(bctx, frame); err != nil {
					return
				}
				if b.fromCaller(frame) != nil {
					return
				}
			}
		}()
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		select {
		case <-leg.Done():
			if bctx.Err() != nil {
				return // endBridge hung it up (transfer, contact ended)
			}
			if b.consultAnswered() && a.ConsultTakeOver != nil {
				// The first agent left a consultation or conference: the
				// consulted agent keeps the caller (the ACD completes the
				// consultation; its event moves the media, EndConsult).
				c.s.log.Info("agent left the consultation", "contact_id", c.contact.ID, "agent_id", agentID)
				if err := a.ConsultTakeOver(context.WithoutCancel(bctx), c.contact.ID); err == nil {
					return
				} else {
					c.s.log.Warn("complete consultation after the agent left", "contact_id", c.contact.ID, "err", err)
				}
			}
			close(b.gone)
			c.s.log.Info("agent hung up", "contact_id", c.contact.ID, "agent_id", agentID)
			if a.AgentLeft != nil {
				if err := a.AgentLeft(context.WithoutCancel(bctx), c.contact.ID); err != nil {
					c.s.log.Warn("end contact after agent hung up", "contact_id", c.contact.ID, "err", err)
				}
			}
		case <-bctx.Done():
		}
	}()
	if keypad {
		// Keys pressed on the agent's phone itself reach the caller.
		go func() {
			defer b.wg.Done()
			for {
				select {
				case d := <-kp.Keys():
					if b.held.Load() {
						continue // the caller hears music, not the agent
					}
					if err := b.sendKeys(string(d.Key)); err != nil {
						c.s.log.Debug("agent phone key not sent", "contact_id", c.contact.ID, "err", err)
					}
				case <-bctx.Done():
					return
				}
			}
		}()
	}
	c.s.log.Info("caller bridged to agent", "contact_id", c.contact.ID, "agent_id", agentID,
		"caller_codec", rl.Codec().String(), "agent_codec", leg.Codec().String())
	return true
}

// fromAgent takes a frame the agent's phone sent (its codec): to the
// mixer while mixing, nowhere on hold, else (after agentFrame) to the
// caller and the recording.
func (b *agentBridge) fromAgent(f []byte) {
	if b.mixing.Load() {
		offer(b.agentIn, f)
		return
	}
	if b.held.Load() {
		return // the caller hears hold music, not the agent
	}
	b.agentFrame(f)
	b.toCaller.Write(b.leg.Codec(), f)
	if b.rec != nil {
		b.rec.Agent(b.leg.Codec(), f)
	}
}

// fromCaller takes a frame of the caller's (in the agent leg's codec): to
// the mixer while mixing, nowhere on hold, else to the recording and the
// agent's phone (whose error it returns).
func (b *agentBridge) fromCaller(f []byte) error {
	if b.mixing.Load() {
		offer(b.callerIn, f)
		return nil
	}
	if b.held.Load() {
		return nil // on hold the agent does not hear the caller
	}
	if b.rec != nil {
		b.rec.Caller(b.leg.Codec(), f)
	}
	return b.leg.WriteFrame(f)
}

// agentFrame makes the agent's frame what the caller hears: a queued DTMF
// tone frame in its place, silence while muted.
func (b *agentBridge) agentFrame(f []byte) {
	b.tonesMu.Lock()
	if len(b.tones) > 0 {
		copy(f, b.tones[0])
		b.tones = b.tones[1:]
		b.tonesMu.Unlock()
		return
	}
	b.tonesMu.Unlock()
	if b.muted.Load() {
		s := b.leg.Codec().Silence()
		for i := range f {
			f[i] = s
		}
	}
}

// endBridge hangs the agent leg up (if still up) and stops the relay.
func (c *call) endBridge(reason string) {
	c.mu.Lock()
	b := c.agent
	c.agent = nil
	c.mu.Unlock()
	if b == nil {
		return
	}
	b.rl.Relay(nil, nil)
	if dl, ok := b.leg.(directLeg); ok && len(b.taps) > 0 {
		dl.tap(nil)
	}
	for _, f := range b.taps {
		f.stop() // no frame after this: the recording can close
	}
	b.cancel()
	c.holdMusic(b, false)
	_ = b.leg.Hangup(context.Background(), reason)
	for _, p := range b.dropParties() {
		_ = p.leg.Hangup(context.Background(), "call ended")
	}
	b.wg.Wait()
	if b.rec != nil {
		if err := b.rec.Close(); err != nil {
			c.s.log.Warn("recording", "contact_id", c.contact.ID, "err", err)
		}
	}
}

func (c *call) bridged() *agentBridge {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.agent
}

// Hold puts the caller of a bridged call on hold (music; the two sides
// do not hear each other) or takes them off it.
func (s *Server) Hold(contactID string, on bool) error {
	c := s.byContact(contactID)
	if c == nil {
		return ErrNoCall
	}
	b := c.bridged()
	if b == nil {
		return ErrNotBridged
	}
	if b.held.Swap(on) == on {
		return nil
	}
	if !on {
		b.toCaller.Reset()
		b.toAgent.Reset()
	}
	c.holdMusic(b, on)
	return nil
}

// Mute silences the agent toward the caller of a bridged call (the agent
// still hears the caller), or lifts it: the desk's control for any kind of
// agent phone.
func (s *Server) Mute(contactID string, on bool) error {
	b, err := s.bridgeOf(contactID)
	if err != nil {
		return err
	}
	b.muted.Store(on)
	return nil
}

// SendDTMF sends digits to the caller of a bridged call the way the
// caller's phone takes keys (sendKeys). Invalid digits: an error wrapping
// media.ErrBadDigit.
func (s *Server) SendDTMF(contactID, digits string) error {
	b, err := s.bridgeOf(contactID)
	if err != nil {
		return err
	}
	return b.sendKeys(digits)
}

// sendKeys sends keys to the caller: as RFC 4733 events when the caller
// negotiated telephone-event, else as tones in place of the agent's audio
// (media.DTMFFrames: 100 ms a key, 60 ms gaps) — the two ways a caller's
// phone may take them (a caller offering INFO only also hears tones).
func (b *agentBridge) sendKeys(keys string) error {
	if es, ok := b.rl.(eventSender); ok {
		err := es.SendDigits(keys)
		if !errors.Is(err, media.ErrNoEvents) {
			return err
		}
	}
	fs, err := media.DTMFFrames(keys, b.leg.Codec())
	if err != nil {
		return err
	}
	b.tonesMu.Lock()
	b.tones = append(b.tones, fs...)
	b.tonesMu.Unlock()
	return nil
}

func (s *Server) bridgeOf(contactID string) (*agentBridge, error) {
	c := s.byContact(contactID)
	if c == nil {
		return nil, ErrNoCall
	}
	b := c.bridged()
	if b == nil {
		return nil, ErrNotBridged
	}
	return b, nil
}

// HangupAgent ends the agent's side of a bridged call from the desk; the
// caller goes on into the flow (survey) once the ACD ends the contact.
func (s *Server) HangupAgent(contactID string) error {
	c := s.byContact(contactID)
	if c == nil {
		return ErrNoCall
	}
	b := c.bridged()
	if b == nil {
		return ErrNotBridged
	}
	return b.leg.Hangup(context.Background(), "agent hung up")
}

func (s *Server) byContact(contactID string) *call {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.calls {
		if c.contact.ID == contactID {
			return c
		}
	}
	return nil
}

// holdMusic starts or stops hold music for the caller of b.
func (c *call) holdMusic(b *agentBridge, on bool) {
	b.musicMu.Lock()
	defer b.musicMu.Unlock()
	if b.stopMusic != nil {
		b.stopMusic()
		b.stopMusic = nil
	}
	if !on || b.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.leg.Hold(ctx)
	}()
	b.stopMusic = func() { cancel(); <-done }
}
