package sip

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
)

// More legs on a bridged call: a consulted agent (warm transfer, then a
// three-way conference) and supervisors listening, whispering or barging
// in. While any such party is on the call, the bridge's relay
// hands its frames to a mixer (media.Mixer) that, every 20 ms, gives each
// leg the sum of the legs it hears. Who hears whom:
//
//	             caller hears   agent hears   party hears
//	consult      music          party         agent (not the caller)
//	conference   everyone       everyone      everyone
//	listen       agent          caller        caller and agent; nobody hears them
//	whisper      agent          caller+party  caller and agent; only the agent hears them
//	barge        everyone       everyone      everyone
//
// Lock order: call.mu, then agentBridge.partyMu (never the other way).

// Party modes.
const (
	ModeConsult    = "consult"    // a consulted agent; the caller hears hold music
	ModeConference = "conference" // the consulted agent, the agent and the caller all hear each other
	ModeListen     = "listen"     // a supervisor hears both sides, nobody hears them
	ModeWhisper    = "whisper"    // a supervisor heard by the agent only
	ModeBarge      = "barge"      // a supervisor in a three-way conference
)

// ValidMonitorMode reports whether m is a supervisor's mode.
func ValidMonitorMode(m string) bool { return m == ModeListen || m == ModeWhisper || m == ModeBarge }

// mixQueue is how many frames of one leg wait for the mixer (100 ms);
// past it the oldest go, so a leg is heard late by at most this.
const mixQueue = 5

// party is a leg joined to a bridged call besides its agent's.
type party struct {
	agentID string
	leg     phone.Leg
	in      chan []byte
	out     []byte             // the frame it hears; the mixer's
	stop    context.CancelFunc // stops the reader, the leg stays up
	mode    string             // guarded by agentBridge.partyMu
}

// offer queues a copy of frame without blocking: when the queue is full
// the oldest frame goes.
func offer(ch chan []byte, frame []byte) {
	f := append([]byte(nil), frame...)
	for {
		select {
		case ch <- f:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

func take(ch chan []byte) []byte {
	select {
	case f := <-ch:
		return f
	default:
		return nil
	}
}

// join adds a party to the bridge and starts mixing. False: the bridge
// has ended (the leg is not taken).
func (c *call) join(b *agentBridge, p *party) bool {
	a := c.s.agents.Load()
	b.partyMu.Lock()
	if b.ctx.Err() != nil {
		b.partyMu.Unlock()
		return false
	}
	pctx, stop := context.WithCancel(b.ctx)
	p.stop = stop
	p.in, p.out = make(chan []byte, mixQueue), make([]byte, phone.FrameSize)
	b.parties = append(b.parties, p)
	startMixer := !b.mixerOn
	b.mixerOn = true
	b.mixing.Store(true)
	b.wg.Add(1)
	if startMixer {
		b.wg.Add(1)
	}
	consult := p.mode == ModeConsult
	b.partyMu.Unlock()
	if consult {
		// The caller waits on hold music while the agents talk.
		b.held.Store(true)
		b.toCaller.Reset()
		c.holdMusic(b, true)
	}
	go c.readParty(b, p, pctx, a)
	if startMixer {
		go c.mix(b)
	}
	c.s.log.Info("leg joined the call", "contact_id", c.contact.ID, "agent_id", p.agentID, "mode", p.mode)
	return true
}

// readParty queues a party's frames for the mixer until its leg ends or
// it is stopped. A consulted agent hanging up ends the consultation.
func (c *call) readParty(b *agentBridge, p *party, ctx context.Context, a *Agents) {
	defer b.wg.Done()
	buf := make([]byte, 2*phone.FrameSize)
	for {
		n, err := p.leg.ReadFrame(ctx, buf)
		if err != nil {
			break
		}
		offer(p.in, buf[:n])
	}
	if ctx.Err() != nil {
		return // dropped, promoted or the bridge ended: whoever stopped it acts
	}
	mode, ok := b.removeParty(p)
	if !ok {
		return
	}
	c.s.log.Info("leg left the call", "contact_id", c.contact.ID, "agent_id", p.agentID, "mode", mode)
	if mode == ModeConsult || mode == ModeConference {
		c.unholdConsult(b, mode)
		if a != nil && a.ConsultLeft != nil {
			if err := a.ConsultLeft(context.WithoutCancel(ctx), c.contact.ID); err != nil {
				c.s.log.Warn("end consultation after the consulted agent hung up", "contact_id", c.contact.ID, "err", err)
			}
		}
	}
}

// unholdConsult takes the caller off the hold music a consultation put
// them on.
func (c *call) unholdConsult(b *agentBridge, mode string) {
	if mode != ModeConsult || !b.held.Swap(false) {
		return
	}
	b.toCaller.Reset()
	b.toAgent.Reset()
	c.holdMusic(b, false)
}

// removeParty takes p off the bridge; false when it was not on it.
func (b *agentBridge) removeParty(p *party) (string, bool) {
	b.partyMu.Lock()
	defer b.partyMu.Unlock()
	i := slices.Index(b.parties, p)
	if i < 0 {
		return "", false
	}
	b.parties = slices.Delete(b.parties, i, i+1)
	p.stop()
	return p.mode, true
}

// dropParties takes every party off the bridge (its end) and returns them.
func (b *agentBridge) dropParties() []*party {
	b.partyMu.Lock()
	defer b.partyMu.Unlock()
	ps := b.parties
	b.parties = nil
	for _, p := range ps {
		p.stop()
	}
	return ps
}

// consultParty returns the consulted agent's party (nil: none).
func (b *agentBridge) consultParty() *party {
	b.partyMu.Lock()
	defer b.partyMu.Unlock()
	for _, p := range b.parties {
		if p.mode == ModeConsult || p.mode == ModeConference {
			return p
		}
	}
	return nil
}

func (b *agentBridge) consultAnswered() bool { return b.consultParty() != nil }

// hears says whether leg l hears leg s: 0 is the caller, 1 the agent,
// 2+ the parties in order (their modes).
func hears(l, s int, held bool, modes []string) bool {
	if l == s {
		return false
	}
	if held && (l == 0 || s == 0) {
		return false // the caller hears music and is not heard
	}
	if s >= 2 {
		switch modes[s-2] {
		case ModeListen:
			return false
		case ModeWhisper:
			return l == 1
		case ModeConsult:
			return l != 0
		}
	}
	if l >= 2 && modes[l-2] == ModeConsult && s == 0 {
		return false
	}
	return true
}

// mix runs the bridge's mixer every frame until the bridge ends or the
// last party left; then the relay goes direct again.
func (c *call) mix(b *agentBridge) {
	defer b.wg.Done()
	tick := time.NewTicker(phone.FrameDuration)
	defer tick.Stop()
	codec := b.leg.Codec() // the caller's frames come in it (toAgent); the stream to the caller transcodes
	var (
		m     media.Mixer
		legs  []media.MixLeg
		modes []string
		ps    []*party
	)
	callerOut, agentOut := make([]byte, phone.FrameSize), make([]byte, phone.FrameSize)
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-tick.C:
		}
		b.partyMu.Lock()
		if len(b.parties) == 0 {
			b.mixerOn = false
			b.mixing.Store(false)
			b.partyMu.Unlock()
			return
		}
		ps = append(ps[:0], b.parties...)
		modes = modes[:0]
		for _, p := range ps {
			modes = append(modes, p.mode)
		}
		b.partyMu.Unlock()
		held := b.held.Load()
		agentIn := take(b.agentIn)
		if agentIn != nil {
			b.agentFrame(agentIn)
		}
		legs = append(legs[:0], media.MixLeg{Codec: codec, In: take(b.callerIn), Out: callerOut},
			media.MixLeg{Codec: codec, In: agentIn, Out: agentOut})
		for _, p := range ps {
			legs = append(legs, media.MixLeg{Codec: p.leg.Codec(), In: take(p.in), Out: p.out})
		}
		m.Mix(legs, func(l, s int) bool { return hears(l, s, held, modes) })
		if !held {
			b.toCaller.Write(codec, callerOut)
		}
		if b.rec != nil && !held {
			if legs[0].In != nil {
				b.rec.Caller(codec, legs[0].In)
			}
			b.rec.Agent(codec, callerOut)
		}
		_ = b.leg.WriteFrame(agentOut)
		for i, p := range ps {
			_ = p.leg.WriteFrame(legs[i+2].Out)
		}
	}
}

// ringParty rings agentID's phone for the contact's bridged call and joins
// the answered leg in mode.
func (s *Server) ringParty(ctx context.Context, contactID, agentID, mode string) error {
	a := s.agents.Load()
	if a == nil || a.Phones == nil {
		return ErrNotBridged
	}
	c := s.byContact(contactID)
	if c == nil {
		return ErrNoCall
	}
	b := c.bridged()
	if b == nil {
		return ErrNotBridged
	}
	if b.agentID == agentID || b.hasParty(agentID) {
		return fmt.Errorf("%s is on the call already: %w", agentID, ErrOnCall)
	}
	// The call ending withdraws the ring: a supervisor's or consulted
	// agent's phone must not ring on for a call that is over.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.ctx, cancel)()
	leg, err := a.Phones.RingLeg(rctx, contactID, agentID, mode)
	if err != nil {
		if c.ctx.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("the call ended while %s's phone rang: %w", agentID, ErrNoCall)
		}
		return err
	}
	if c.bridged() != b || !c.join(b, &party{agentID: agentID, leg: leg, mode: mode}) {
		_ = leg.Hangup(context.WithoutCancel(ctx), "call ended")
		return ErrNotBridged
	}
	return nil
}

func (b *agentBridge) hasParty(agentID string) bool {
	b.partyMu.Lock()
	defer b.partyMu.Unlock()
	for _, p := range b.parties {
		if p.agentID == agentID {
			return true
		}
	}
	return false
}

// Consult rings the consulted agent's phone and, once answered, puts the
// caller on hold music while the two agents talk. ctx ending withdraws the
// ring. Errors: ErrNoCall, ErrNotBridged (the call ended meanwhile),
// ErrOnCall, or the ring's (ivr/phone's ErrBusy, ErrNoAnswer…).
func (s *Server) Consult(ctx context.Context, contactID, agentID string) error {
	return s.ringParty(ctx, contactID, agentID, ModeConsult)
}

// Conference makes the consultation a three-way conference: the caller
// comes off hold and everyone hears everyone.
func (s *Server) Conference(contactID string) error {
	b, err := s.bridgeOf(contactID)
	if err != nil {
		return err
	}
	b.partyMu.Lock()
	var p *party
	for _, q := range b.parties {
		if q.mode == ModeConsult {
			p = q
		}
	}
	if p != nil {
		p.mode = ModeConference
	}
	b.partyMu.Unlock()
	if p == nil {
		return fmt.Errorf("conference %s: %w", contactID, ErrNoConsult)
	}
	c := s.byContact(contactID)
	c.unholdConsult(b, ModeConsult)
	return nil
}

// EndConsult makes the call follow the ACD when a consultation ends:
// completed, the consulted agent keeps the caller (the first agent's leg
// is hung up; the flow's goroutine moves the bridge); otherwise the
// consulted agent's leg is hung up and the caller is back with the first
// agent. It does not block on the flow.
func (s *Server) EndConsult(contactID string, completed bool) {
	c := s.byContact(contactID)
	if c == nil {
		return
	}
	b := c.bridged()
	if b == nil {
		return
	}
	if completed {
		select {
		case c.ctl <- c.promoteConsult:
		default:
			s.log.Warn("consultation completed but the call is busy", "contact_id", contactID)
		}
		return
	}
	p := b.consultParty()
	if p == nil {
		return
	}
	if mode, ok := b.removeParty(p); ok {
		c.unholdConsult(b, mode)
		_ = p.leg.Hangup(context.Background(), "consult ended")
	}
}

// promoteConsult bridges the caller to the consulted agent's leg in place
// of the first agent's. It runs on the flow's goroutine (Receive).
func (c *call) promoteConsult() {
	b := c.bridged()
	if b == nil {
		return
	}
	p := b.consultParty()
	if p == nil {
		return
	}
	if _, ok := b.removeParty(p); !ok {
		return
	}
	c.endBridge("transferred")
	if !c.bridgeLeg(c.ctx, c.s.agents.Load(), p.agentID, p.leg) {
		_ = p.leg.Hangup(context.Background(), "call ended")
		return
	}
	c.s.log.Info("consulted agent took the call", "contact_id", c.contact.ID, "agent_id", p.agentID)
}

// Monitor rings the supervisor's phone and joins the answered leg to the
// contact's bridged call in mode (ModeListen, ModeWhisper, ModeBarge).
// Errors: ErrNoCall or ErrNotBridged (the call ended or is not with an
// agent), ErrOnCall, ErrBadMode, or the ring's.
func (s *Server) Monitor(ctx context.Context, contactID, supervisorID, mode string) error {
	if !ValidMonitorMode(mode) {
		return fmt.Errorf("mode %q: %w", mode, ErrBadMode)
	}
	return s.ringParty(ctx, contactID, supervisorID, mode)
}

// SetMonitorMode switches a supervisor on the call between listen,
// whisper and barge.
func (s *Server) SetMonitorMode(contactID, supervisorID, mode string) error {
	if !ValidMonitorMode(mode) {
		return fmt.Errorf("mode %q: %w", mode, ErrBadMode)
	}
	b, err := s.bridgeOf(contactID)
	if err != nil {
		return err
	}
	b.partyMu.Lock()
	defer b.partyMu.Unlock()
	for _, p := range b.parties {
		if p.agentID == supervisorID && ValidMonitorMode(p.mode) {
			p.mode = mode
			return nil
		}
	}
	return fmt.Errorf("supervisor %s on %s: %w", supervisorID, contactID, ErrNotOnCall)
}

// Bridged says whether the contact's call is bridged to an agent now:
// nil, ErrNoCall (no such call: it ended) or ErrNotBridged.
func (s *Server) Bridged(contactID string) error {
	_, err := s.bridgeOf(contactID)
	return err
}
