package sip

import (
	"context"
	"fmt"
	"sync"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
)

// CallbackOptions are what calling customers back needs besides the trunk.
type CallbackOptions struct {
	// Phones rings the agent first (the agent's phone of their kind).
	Phones *phone.Phones
	// End ends the contact in the ACD once either side hung up
	// (acd.Engine.End): the agent goes on to wrap-up.
	End func(ctx context.Context, contactID string) error
	// Lose ends a callback whose customer could not be reached, or whose
	// number nobody knows any more (acd.Engine.Lose).
	Lose func(ctx context.Context, contactID, reason string) error
	// Recorder, if set, records the calls: the customer is the caller side.
	Recorder Recorder
}

// Callbacks calls customers back for the ACD: a caller who chose "call me
// back" while queued keeps the place as a callback contact; when the ACD
// reserves an agent for it, Ring rings the agent's phone first, then dials
// the customer through the trunk (OriginSystem, the dial plan applies) and
// relays the two legs until either hangs up. Safe for concurrent use.
type Callbacks struct {
	s *Server
	o CallbackOptions

	mu      sync.Mutex
	pending map[string]string // the number to call, by contact
}

// NewCallbacks returns the callbacks of the server's trunk.
func (s *Server) NewCallbacks(o CallbackOptions) *Callbacks {
	return &Callbacks{s: s, o: o, pending: map[string]string{}}
}

// Expect checks the number against the trunk's dial plan and keeps it as
// the number to call back for the contact. Errors wrap ErrNoTrunk or
// ErrForbiddenNumber: the caller then keeps waiting on the line.
func (cb *Callbacks) Expect(contactID, number string) error {
	if err := cb.s.CheckNumber(number); err != nil {
		return fmt.Errorf("callback to %s: %w", maskNumber(Normalize(number)), err)
	}
	cb.mu.Lock()
	cb.pending[contactID] = Normalize(number)
	cb.mu.Unlock()
	return nil
}

// Number returns the number a contact is to be called back on.
func (cb *Callbacks) Number(contactID string) (string, bool) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	n, ok := cb.pending[contactID]
	return n, ok
}

// Forget drops a contact's number (its callback ended without a call).
func (cb *Callbacks) Forget(contactID string) {
	cb.mu.Lock()
	delete(cb.pending, contactID)
	cb.mu.Unlock()
}

// Ring is the ring step of callback contacts (bridge.Holder.Ring): it
// returns nil once the agent and then the customer answered, and the two
// are connected. The agent not answering rejects the offer (the callback
// keeps its place); the customer not answering ends the callback as lost
// (reason callback_not_answered).
func (cb *Callbacks) Ring(ctx context.Context, contactID, agentID string) error {
	bg := context.WithoutCancel(ctx)
	number, ok := cb.Number(contactID)
	if !ok {
		// The number went with a restart of the node: nobody to call.
		if cb.o.Lose != nil {
			if err := cb.o.Lose(bg, contactID, "callback_number_unknown"); err != nil {
				cb.s.log.Warn("callback without a number", "contact_id", contactID, "err", err)
			}
		}
		return fmt.Errorf("callback %s: no number: %w", contactID, ErrNoCall)
	}
	if cb.o.Phones == nil {
		return fmt.Errorf("callback %s: no agent phones: %w", contactID, phone.ErrNoPhone)
	}
	agentLeg, err := cb.o.Phones.RingAgent(ctx, agentID, phone.CallInfo{ContactID: contactID, Caller: number})
	if err != nil {
		return fmt.Errorf("callback %s: %w", contactID, err)
	}
	cb.s.log.Info("callback: agent answered, calling the customer", "contact_id", contactID, "agent_id", agentID)
	custLeg, err := cb.s.Dial(ctx, Origin{Kind: OriginSystem, Contact: contactID}, number)
	if err != nil {
		_ = agentLeg.Hangup(bg, "customer not reached")
		if ctx.Err() != nil {
			return ctx.Err()
		}
		cb.s.log.Info("callback: customer not reached", "contact_id", contactID, "err", err)
		cb.Forget(contactID)
		if cb.o.Lose != nil {
			if lerr := cb.o.Lose(bg, contactID, "callback_not_answered"); lerr != nil {
				cb.s.log.Warn("callback lost", "contact_id", contactID, "err", lerr)
			}
		}
		return fmt.Errorf("callback %s: %w", contactID, err)
	}
	if ctx.Err() != nil {
		// The offer ended while the customer answered.
		_ = custLeg.Hangup(bg, "offer ended")
		_ = agentLeg.Hangup(bg, "offer ended")
		return ctx.Err()
	}
	cb.s.mu.Lock()
	if cb.s.closed {
		cb.s.mu.Unlock()
		_ = custLeg.Hangup(bg, "node stopping")
		_ = agentLeg.Hangup(bg, "node stopping")
		return ErrClosed
	}
	cb.s.out.Add(1)
	cb.s.mu.Unlock()
	cb.Forget(contactID)
	var rec Recording
	if cb.o.Recorder != nil {
		if rec, err = cb.o.Recorder.Record(bg, contactID, agentID); err != nil {
			cb.s.log.Warn("callback not recorded", "contact_id", contactID, "err", err)
			rec = nil
		}
	}
	go func() {
		defer cb.s.out.Done()
		cb.relay(contactID, agentLeg, custLeg, rec)
	}()
	return nil
}

// relay copies audio between the agent and the customer (transcoding
// when their laws differ) until either hangs up or the node stops, then
// ends the contact.
func (cb *Callbacks) relay(contactID string, agent, customer phone.Leg, rec Recording) {
	ctx, cancel := context.WithCancel(cb.s.callCtx)
	defer cancel()
	var wg sync.WaitGroup
	pipe := func(from, to phone.Leg, tap func(media.Codec, []byte)) {
		in := make([]byte, 2*phone.FrameSize)
		out := make([]byte, 2*phone.FrameSize)
		for {
			n, err := from.ReadFrame(ctx, in)
			if err != nil {
				return
			}
			if tap != nil {
				tap(from.Codec(), in[:n])
			}
			f := out[:copy(out, in[:n])]
			media.Transcode(f, from.Codec(), to.Codec())
			if to.WriteFrame(f) != nil {
				return
			}
		}
	}
	var toCustomer, toAgent func(media.Codec, []byte)
	if rec != nil {
		toCustomer, toAgent = rec.Agent, rec.Caller
	}
	wg.Go(func() { pipe(agent, customer, toCustomer) })
	wg.Go(func() { pipe(customer, agent, toAgent) })
	by := "node stopping"
	select {
	case <-agent.Done():
		by = "agent hung up"
	case <-customer.Done():
		by = "customer hung up"
	case <-ctx.Done():
	}
	cancel()
	_ = agent.Hangup(context.Background(), by)
	_ = customer.Hangup(context.Background(), by)
	wg.Wait()
	if rec != nil {
		if err := rec.Close(); err != nil {
			cb.s.log.Warn("callback recording", "contact_id", contactID, "err", err)
		}
	}
	cb.s.log.Info("callback ended", "contact_id", contactID, "by", by)
	if cb.o.End != nil {
		if err := cb.o.End(context.Background(), contactID); err != nil {
			cb.s.log.Warn("end callback contact", "contact_id", contactID, "err", err)
		}
	}
}
