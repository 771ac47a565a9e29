package sip

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/ivr"
)

// byeTimeout bounds our BYE's transaction when we hang up.
const byeTimeout = 5 * time.Second

// call is one answered call: its dialog, its media leg, and the
// ivr.Channel its flow runs on. The flow calls the Channel methods from
// its one goroutine; the SIP handlers call callerLeft and update.
type call struct {
	s          *Server
	dlg        *sipgo.DialogServerSession
	leg        Leg
	contactHdr *sip.ContactHeader
	contact    ivr.Contact
	rtp        netip.AddrPort // our RTP address

	// ctx ends when the call does (either side hung up, or its media died).
	ctx    context.Context
	cancel context.CancelFunc

	// session is the RFC 4028 session interval, 0: no session timer;
	// weRefresh: we send the refreshes (the caller asked refresher=uas);
	// peerUpdate: the caller's INVITE allowed UPDATE. refreshed carries
	// each refresh the caller sent to watch.
	session    time.Duration
	weRefresh  bool
	peerUpdate bool
	refreshed  chan sessionTimer

	// ctl carries work that must run on the flow's goroutine while it
	// waits in Receive (moving the bridge to a consulted agent).
	ctl chan func()

	// late: the INVITE had no SDP (late offer); the leg opens with the
	// answer its ACK carries (ackSDP), until then leg is nil.
	late   bool
	ackSDP []byte

	mu        sync.Mutex // guards offer, version, by, ackSDP; leg while it may be nil (late offer)
	offer     Offer
	sessionID uint64
	version   uint64
	by        string       // who ended the call: caller, flow, rtp timeout, drain
	agent     *agentBridge // the agent leg the caller is bridged to (agentcall.go)
	endOnce   sync.Once
}

func newCall(s *Server, dlg *sipgo.DialogServerSession, leg Leg, o Offer, rtp netip.AddrPort, contact *sip.ContactHeader) *call {
	c := &call{s: s, dlg: dlg, leg: leg, offer: o, rtp: rtp, contactHdr: contact, version: 1,
		sessionID: uint64(time.Now().UnixNano()), refreshed: make(chan sessionTimer, 1), ctl: make(chan func(), 4)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// keepAnswer keeps the SDP answer of a late offer's ACK (the first one
// with a body: a retransmitted ACK repeats it).
func (c *call) keepAnswer(body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ackSDP == nil && len(body) > 0 {
		c.ackSDP = body
	}
}

func (c *call) ackAnswer() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ackSDP
}

// setLeg gives a late offer's call its media, before its flow starts.
func (c *call) setLeg(l Leg, answer Offer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leg, c.offer = l, answer
}

// media is the call's leg for the SIP handlers, nil while a late offer
// waits for its answer. The flow's goroutine starts after the leg is set
// and reads c.leg directly.
func (c *call) media() Leg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leg
}

// update applies a re-INVITE's offer and returns the new answer.
func (c *call) update(o Offer) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offer = o
	c.version++
	c.leg.Update(o)
	return Answer(o, c.rtp, c.sessionID, c.version)
}

// callerLeft ends the call after the caller's BYE (answered already).
func (c *call) callerLeft() {
	c.endOnce.Do(func() {
		c.setBy("caller")
		c.cancel()
	})
}

// hangup ends the call from our side with a BYE, once.
func (c *call) hangup(by string) {
	c.endOnce.Do(func() {
		c.setBy(by)
		c.cancel()
		ctx, cancel := context.WithTimeout(context.Background(), c.s.byeTimeout)
		defer cancel()
		if err := c.dlg.Bye(ctx); err != nil {
			c.s.log.Debug("sip BYE", "contact_id", c.contact.ID, "err", err)
		}
	})
}

func (c *call) setBy(by string) {
	c.mu.Lock()
	c.by = by
	c.mu.Unlock()
}

func (c *call) endedBy() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.by
}

// sessionTimer is a session timer's interval (0: none) and refresher.
type sessionTimer struct {
	d         time.Duration
	weRefresh bool
}

// refresh restarts the session timer of a call that runs one, on a
// refresh the caller sent with interval d and role weRefresh or, d 0, the
// current ones; it returns the timer now running (d 0: none).
func (c *call) refresh(d time.Duration, weRefresh bool) sessionTimer {
	if c.session == 0 {
		return sessionTimer{}
	}
	st := sessionTimer{d, weRefresh}
	if d == 0 {
		st = sessionTimer{c.session, c.weRefresh}
	}
	select {
	case <-c.refreshed: // an unread refresh is superseded
	default:
	}
	c.refreshed <- st
	return st
}

// watch ends the call when its media dies or its session timer expires,
// and sends our refreshes when we are the refresher, until the call ends.
func (c *call) watch() {
	var expired, due <-chan time.Time
	arm := func(st sessionTimer) {
		expired, due = nil, nil
		if st.d > 0 {
			expired = c.s.o.Clock.After(expiryWait(st.d))
			if st.weRefresh {
				due = c.s.o.Clock.After(refreshWait(st.d))
			}
		}
	}
	cur := sessionTimer{c.session, c.weRefresh}
	arm(cur)
	for {
		select {
		case <-c.leg.Dead():
			c.hangup("rtp timeout")
			return
		case st := <-c.refreshed:
			cur = st
			arm(st)
		case <-due:
			due = nil
			d, we, fatal, err := c.sendRefresh(cur.d)
			switch {
			case fatal:
				c.s.log.Info("sip session refresh failed", "contact_id", c.contact.ID, "err", err)
				c.hangup("session refresh failed")
				return
			case err != nil:
				// Not fatal (RFC 4028 10): the session ends at expiry
				// unless the caller refreshes meanwhile.
				c.s.log.Info("sip session refresh refused", "contact_id", c.contact.ID, "err", err)
			default:
				cur = sessionTimer{d, we}
				arm(cur)
			}
		case <-expired:
			c.hangup("session expired")
			return
		case <-c.ctx.Done():
			return
		}
	}
}

// Kind returns ivr.Voice.
func (c *call) Kind() ivr.ChannelKind { return ivr.Voice }

// Play plays the utterance; with barge-in, a key pressed stops it and
// comes back as the input.
func (c *call) Play(ctx context.Context, u ivr.Utterance) (ivr.Input, error) {
	if c.ctx.Err() != nil {
		return ivr.Input{}, ivr.ErrHangup
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.ctx, cancel)
	defer stop()
	d, pressed, err := c.leg.Play(pctx, u)
	switch {
	case c.ctx.Err() != nil:
		return ivr.Input{}, ivr.ErrHangup
	case ctx.Err() != nil:
		return ivr.Input{}, ctx.Err()
	case err != nil:
		return ivr.Input{}, err
	case pressed:
		c.s.m.digit(d.Method)
		return ivr.Input{Kind: ivr.InputDigits, Digits: string(d.Key)}, nil
	}
	return ivr.Input{}, nil
}

// Receive waits for a key, a queue event, the deadline or the caller's
// leaving. A queued caller hears hold music meanwhile.
func (c *call) Receive(ctx context.Context, deadline time.Time, queue <-chan ivr.QueueEvent) (ivr.Input, error) {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := deadline.Sub(c.s.o.Clock.Now())
		if d <= 0 {
			return ivr.Input{}, ivr.ErrTimeout
		}
		timeout = c.s.o.Clock.After(d)
	}
	b := c.bridged()
	var agentGone <-chan struct{}
	if b != nil {
		if a := c.s.agents.Load(); a != nil && a.AgentLeft == nil {
			agentGone = b.gone
		}
	}
	if queue != nil && b == nil {
		hctx, cancel := context.WithCancel(ctx)
		held := make(chan struct{})
		go func() {
			defer close(held)
			_ = c.leg.Hold(hctx)
		}()
		defer func() { cancel(); <-held }()
	}
	select {
	case d := <-c.leg.Digits():
		c.s.m.digit(d.Method)
		return ivr.Input{Kind: ivr.InputDigits, Digits: string(d.Key)}, nil
	case ev, ok := <-queue:
		if !ok {
			ev = ivr.QueueEvent{Kind: ivr.QueueLost}
		}
		switch {
		case b != nil && (ev.Kind == ivr.QueueAgentLeft || ev.Kind == ivr.QueueLost):
			c.endBridge("contact ended")
		case ev.Kind == ivr.QueueTransferred:
			// The agent transferred the caller: their leg ends, the
			// caller hears hold music until the next agent answers.
			c.endBridge("transferred")
		}
		return ivr.Input{Kind: ivr.InputQueue, Queue: ev}, nil
	case f := <-c.ctl:
		f()
		return c.Receive(ctx, deadline, queue)
	case <-agentGone:
		c.endBridge("agent hung up")
		return ivr.Input{Kind: ivr.InputQueue, Queue: ivr.QueueEvent{Kind: ivr.QueueAgentLeft}}, nil
	case <-c.ctx.Done():
		return ivr.Input{}, ivr.ErrHangup
	case <-timeout:
		return ivr.Input{}, ivr.ErrTimeout
	case <-ctx.Done():
		return ivr.Input{}, ctx.Err()
	}
}

// Transfer bridges the caller to the agent leg the offer was answered on
// (Server.AttachAgents). A contact accepted without a phone (the desk
// accepted, no agent leg) keeps the caller on hold music while the agent
// has it, and the flow goes on when the agent ends it.
func (c *call) Transfer(ctx context.Context, agentID string) error {
	if c.bridged() != nil {
		c.endBridge("transferred") // a transfer whose QueueTransferred was lost
	}
	if c.bridge(ctx, agentID) {
		return nil
	}
	c.s.log.Info("voice contact connected to an agent without an agent leg", "contact_id", c.contact.ID, "agent_id", agentID)
	return nil
}

// Hangup ends the call from the IVR's side (BYE).
func (c *call) Hangup(ctx context.Context) error {
	c.hangup("flow")
	return nil
}
