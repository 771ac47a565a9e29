package sip

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hotline10000/hotline/ivr"
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
	// Store keeps the callbacks owed, so that a restart re-queues them
	// (Resume); nil keeps them in memory only.
	Store CallbackStore
	// Attempts is how many calls a customer who does not answer gets;
	// below 1: one.
	Attempts int
	// RetryAfter is the wait between two attempts.
	RetryAfter time.Duration
	// Requeue queues an attempt as callback contact contactID in the
	// callback's queue (cmd/hotline: the contact bridge, then
	// KeepAsCallback, which comes back through Expect). Nil: no retries,
	// and callbacks that lost their contact over a restart are given up.
	Requeue func(ctx context.Context, contactID string, c OwedCallback) error
	// Clock times the retries; default the wall clock.
	Clock ivr.Clock
}

// OwedCallback is a callback owed to a customer, as the store keeps it
// (internal/store Callback).
type OwedCallback struct {
	// ID is the contact that asked; it names the callback through its
	// attempts (the contacts queued again are ID.2.xxxxxx, ID.3.xxxxxx…).
	ID string
	// Contact is the ACD contact of the attempt queued now; empty while
	// the callback waits for its next attempt at NextAt.
	Contact, Number, Queue, Tier string
	// Attempts counts the calls the customer did not answer.
	Attempts          int
	NextAt, CreatedAt time.Time
}

// CallbackStore keeps the callbacks owed; internal/store implements it
// (through cmd/hotline).
type CallbackStore interface {
	SaveCallback(ctx context.Context, c OwedCallback) error
	DeleteCallback(ctx context.Context, id string) error
	Callbacks(ctx context.Context) ([]OwedCallback, error)
}

// CallbackRequest is a queued caller's request to be called back.
type CallbackRequest struct {
	Contact, Number, Queue, Tier string
}

// Callbacks calls customers back for the ACD: a caller who chose "call me
// back" while queued keeps the place as a callback contact; when the ACD
// reserves an agent for it, Ring rings the agent's phone first, then dials
// the customer through the trunk (OriginSystem, the dial plan applies) and
// relays the two legs until either hangs up. A customer who does not
// answer is called again after RetryAfter, up to Attempts calls: each
// attempt is a callback contact of its own in the callback's queue, the one
// not answered ending as lost (callback_retry; callback_not_answered after
// the last). The callbacks owed are kept in the Store; Resume takes them
// back after a restart and Run queues the attempts when due. Safe for
// concurrent use.
type Callbacks struct {
	s     *Server
	o     CallbackOptions
	clock ivr.Clock
	wake  chan struct{}

	mu      sync.Mutex
	pending map[string]*OwedCallback // by the ACD contact of the attempt queued now
	waiting map[string]*OwedCallback // by ID: between attempts, due at NextAt
	blocked map[string]bool          // waiting IDs whose queue took no contact: due when an agent comes
	dirty   []OwedCallback           // changed by Dropped, stored by Run
}

// NewCallbacks returns the callbacks of the server's trunk.
func (s *Server) NewCallbacks(o CallbackOptions) *Callbacks {
	cb := &Callbacks{s: s, o: o, clock: o.Clock, wake: make(chan struct{}, 1),
		pending: map[string]*OwedCallback{}, waiting: map[string]*OwedCallback{}, blocked: map[string]bool{}}
	if cb.clock == nil {
		cb.clock = ivr.SystemClock{}
	}
	return cb
}

// Expect checks the number against the trunk's dial plan and keeps it as
// the number to call back for the contact, in the Store too. Errors wrap
// ErrNoTrunk or ErrForbiddenNumber, or are the store's: the caller then
// keeps waiting on the line. The contact of a retry (Requeue) keeps its
// callback's attempts.
func (cb *Callbacks) Expect(ctx context.Context, req CallbackRequest) error {
	if err := cb.s.CheckNumber(req.Number); err != nil {
		return fmt.Errorf("callback to %s: %w", maskNumber(Normalize(req.Number)), err)
	}
	now := cb.clock.Now()
	cb.mu.Lock()
	c := cb.pending[req.Contact]
	if c == nil {
		c = &OwedCallback{ID: req.Contact, Contact: req.Contact, Queue: req.Queue, Tier: req.Tier, NextAt: now, CreatedAt: now}
		cb.pending[req.Contact] = c
	}
	c.Number = Normalize(req.Number)
	rec := *c
	cb.mu.Unlock()
	if err := cb.save(ctx, rec); err != nil {
		cb.mu.Lock()
		if cb.pending[req.Contact] == c && c.ID == req.Contact {
			delete(cb.pending, req.Contact)
		}
		cb.mu.Unlock()
		return fmt.Errorf("callback %s: %w", req.Contact, err)
	}
	return nil
}

func (cb *Callbacks) save(ctx context.Context, c OwedCallback) error {
	if cb.o.Store == nil {
		return nil
	}
	return cb.o.Store.SaveCallback(ctx, c)
}

// done forgets a callback for good (made, or given up).
func (cb *Callbacks) done(ctx context.Context, id string) {
	if cb.o.Store == nil {
		return
	}
	if err := cb.o.Store.DeleteCallback(ctx, id); err != nil {
		cb.s.log.Warn("callback not removed from the store", "callback", id, "err", err)
	}
}

// Number returns the number a contact is to be called back on.
func (cb *Callbacks) Number(contactID string) (string, bool) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if c := cb.pending[contactID]; c != nil {
		return c.Number, true
	}
	return "", false
}

// Forget drops a contact's callback (it ended without a call), from the
// Store too.
func (cb *Callbacks) Forget(contactID string) {
	cb.mu.Lock()
	c := cb.pending[contactID]
	delete(cb.pending, contactID)
	cb.mu.Unlock()
	if c != nil {
		cb.done(context.Background(), c.ID)
	}
}

// Resume takes back the callbacks the Store kept over a restart: one whose
// contact the restored ACD still holds (held) is the channel's again
// (hold: the contact bridge's Hold with the callbacks' Holder) and keeps
// its place; the others (their contact went with the ACD's state, or they
// waited for a retry) are queued again by Run, now or when their retry is
// due. Call it before Run.
func (cb *Callbacks) Resume(ctx context.Context, held func(contactID string) bool, hold func(contactID string)) error {
	if cb.o.Store == nil {
		return nil
	}
	owed, err := cb.o.Store.Callbacks(ctx)
	if err != nil {
		return fmt.Errorf("callbacks owed: %w", err)
	}
	var keep []string
	cb.mu.Lock()
	for i := range owed {
		c := &owed[i]
		switch {
		case c.Contact != "" && held(c.Contact):
			cb.pending[c.Contact] = c
			keep = append(keep, c.Contact)
		default:
			c.Contact = ""
			cb.waiting[c.ID] = c
		}
	}
	cb.mu.Unlock()
	for _, id := range keep {
		hold(id)
	}
	cb.s.log.Info("callbacks resumed", "queued", len(keep), "to_queue", len(owed)-len(keep))
	cb.poke()
	return nil
}

func (cb *Callbacks) poke() {
	select {
	case cb.wake <- struct{}{}:
	default:
	}
}

// Run queues the attempts of the callbacks that wait for one (Requeue) as
// they fall due, until ctx ends.
func (cb *Callbacks) Run(ctx context.Context) {
	for {
		now := cb.clock.Now()
		var due []OwedCallback
		var next time.Time
		cb.mu.Lock()
		dirty := cb.dirty
		cb.dirty = nil
		for id, c := range cb.waiting {
			if !c.NextAt.After(now) {
				delete(cb.waiting, id)
				delete(cb.blocked, id)
				due = append(due, *c)
			} else if next.IsZero() || c.NextAt.Before(next) {
				next = c.NextAt
			}
		}
		cb.mu.Unlock()
		for _, c := range dirty {
			if err := cb.save(ctx, c); err != nil {
				cb.s.log.Warn("callback not stored", "callback", c.ID, "err", err)
			}
		}
		for _, c := range due {
			cb.requeue(ctx, c)
		}
		if len(due) > 0 {
			continue
		}
		var timer <-chan time.Time
		if !next.IsZero() {
			timer = cb.clock.After(next.Sub(now))
		}
		select {
		case <-ctx.Done():
			return
		case <-cb.wake:
		case <-timer:
		}
	}
}

// requeue queues the next attempt of c as a contact ID.n.xxxx (n the
// attempt; a fresh suffix each time, as a contact's ID is never used
// twice in the contact records).
func (cb *Callbacks) requeue(ctx context.Context, c OwedCallback) {
	if cb.o.Requeue == nil {
		cb.s.log.Warn("callback given up: nothing queues its attempts", "callback", c.ID)
		cb.done(ctx, c.ID)
		return
	}
	c.Contact = fmt.Sprintf("%s.%d.%s", c.ID, c.Attempts+1, newID()[:6])
	rec := c
	cb.mu.Lock()
	cb.pending[c.Contact] = &rec
	cb.mu.Unlock()
	err := cb.save(ctx, rec)
	if err == nil {
		err = cb.o.Requeue(ctx, c.Contact, rec)
	}
	if err != nil {
		if ctx.Err() != nil {
			return // stopping: the store still owes it
		}
		// The queue took no contact (closed, nobody logged in): tried again
		// when an agent comes (AgentsChanged), or after the interval.
		cb.s.log.Warn("callback attempt not queued", "callback", c.ID, "contact_id", c.Contact, "err", err)
		cb.park(ctx, c.Contact)
		return
	}
	cb.s.log.Info("callback attempt queued", "callback", c.ID, "contact_id", c.Contact, "attempt", c.Attempts+1, "queue", c.Queue)
}

// park takes back a callback whose attempt's contact the ACD did not keep:
// it waits for an agent (AgentsChanged), or the retry interval.
func (cb *Callbacks) park(ctx context.Context, contactID string) {
	cb.mu.Lock()
	c := cb.pending[contactID]
	if c == nil {
		cb.mu.Unlock()
		return
	}
	delete(cb.pending, contactID)
	c.Contact, c.NextAt = "", cb.clock.Now().Add(max(cb.o.RetryAfter, time.Minute))
	cb.waiting[c.ID] = c
	cb.blocked[c.ID] = true
	rec := *c
	cb.mu.Unlock()
	if err := cb.save(ctx, rec); err != nil {
		cb.s.log.Warn("callback not stored", "callback", rec.ID, "err", err)
	}
}

// Dropped tells the callbacks that the ACD ended contactID without a call
// (acd.EventLost or EventAbandoned: its queue lost its last agent, a
// teardown): a callback attempt's contact is queued again once an agent
// comes. Other contacts, and the attempts the callbacks ended themselves,
// are none of its business. It does not block (an acd.Sink may call it).
func (cb *Callbacks) Dropped(contactID string) {
	cb.mu.Lock()
	c := cb.pending[contactID]
	if c != nil {
		delete(cb.pending, contactID)
		c.Contact, c.NextAt = "", cb.clock.Now().Add(max(cb.o.RetryAfter, time.Minute))
		cb.waiting[c.ID] = c
		cb.blocked[c.ID] = true
		cb.dirty = append(cb.dirty, *c) // stored by Run: this must not block
	}
	cb.mu.Unlock()
	if c == nil {
		return
	}
	cb.s.log.Info("callback's contact dropped by the ACD; queued again when an agent comes", "contact_id", contactID)
	cb.poke()
}

// AgentsChanged tells the callbacks an agent's state changed (one logged
// in, went ready): the callbacks whose queue took no contact are tried
// again now. It does not block.
func (cb *Callbacks) AgentsChanged() {
	cb.mu.Lock()
	n := len(cb.blocked)
	if n > 0 {
		now := cb.clock.Now()
		for id := range cb.blocked {
			if c := cb.waiting[id]; c != nil {
				c.NextAt = now
			}
			delete(cb.blocked, id)
		}
	}
	cb.mu.Unlock()
	if n > 0 {
		cb.poke()
	}
}

// notAnswered settles an attempt the customer did not answer: another one
// after RetryAfter while attempts remain, else the callback is given up.
// It returns the reason the ACD contact ends with.
func (cb *Callbacks) notAnswered(ctx context.Context, contactID string) string {
	cb.mu.Lock()
	c := cb.pending[contactID]
	delete(cb.pending, contactID)
	if c == nil {
		cb.mu.Unlock()
		return "callback_not_answered"
	}
	c.Attempts++
	retry := c.Attempts < max(cb.o.Attempts, 1) && cb.o.Requeue != nil
	if retry {
		c.Contact, c.NextAt = "", cb.clock.Now().Add(cb.o.RetryAfter)
		cb.waiting[c.ID] = c
	}
	rec := *c
	cb.mu.Unlock()
	if !retry {
		cb.done(ctx, rec.ID)
		return "callback_not_answered"
	}
	if err := cb.save(ctx, rec); err != nil {
		cb.s.log.Warn("callback retry not stored", "callback", rec.ID, "err", err)
	}
	cb.s.log.Info("callback: customer not reached; calling again later", "callback", rec.ID, "attempts", rec.Attempts, "next_at", rec.NextAt)
	cb.poke()
	return "callback_retry"
}

// Ring is the ring step of callback contacts (bridge.Holder.Ring): it
// returns nil once the agent and then the customer answered, and the two
// are connected. The agent not answering rejects the offer (the callback
// keeps its place); the customer not answering ends the attempt as lost
// (callback_retry while attempts remain, else callback_not_answered).
func (cb *Callbacks) Ring(ctx context.Context, contactID, agentID string) error {
	bg := context.WithoutCancel(ctx)
	number, ok := cb.Number(contactID)
	if !ok {
		// Nobody knows the number (a callback from before the store kept
		// them): nobody to call.
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
		why := cb.notAnswered(bg, contactID)
		if cb.o.Lose != nil {
			if lerr := cb.o.Lose(bg, contactID, why); lerr != nil {
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
		by := cb.relay(contactID, agentLeg, custLeg, rec)
		if cb.o.End != nil {
			if err := cb.o.End(context.Background(), contactID); err != nil {
				cb.s.log.Warn("end callback contact", "contact_id", contactID, "err", err, "by", by)
			}
		}
	}()
	return nil
}

// Visit calls a customer for an agent (a ticket's return visit): the
// agent's phone rings first (CallInfo.Role "visit"), then the number is
// dialled through the trunk as that agent (OriginAgent: the caller of
// Visit has authenticated the agent; the dial plan applies, and a number
// outside it is refused before anything rings) and the two are relayed,
// recorded like any call as contactID, until either hangs up. It returns
// once both answered; then ended, if set, is told who hung up. Errors wrap
// ErrNoTrunk, ErrForbiddenNumber, ErrOriginRefused, the ring's (the agent
// did not answer) or the dial's (ErrCustomerUnreachable…).
func (cb *Callbacks) Visit(ctx context.Context, agentID, contactID, number string, ended func(by string)) error {
	bg := context.WithoutCancel(ctx)
	origin := Origin{Kind: OriginAgent, Agent: agentID, Contact: contactID}
	if err := origin.check(); err != nil {
		return fmt.Errorf("visit %s: %w", contactID, err)
	}
	if err := cb.s.CheckNumber(number); err != nil {
		return fmt.Errorf("visit %s to %s: %w", contactID, maskNumber(Normalize(number)), err)
	}
	number = Normalize(number)
	if cb.o.Phones == nil {
		return fmt.Errorf("visit %s: no agent phones: %w", contactID, phone.ErrNoPhone)
	}
	agentLeg, err := cb.o.Phones.RingAgent(ctx, agentID, phone.CallInfo{ContactID: contactID, Caller: number, Role: "visit"})
	if err != nil {
		return fmt.Errorf("visit %s: %w", contactID, err)
	}
	cb.s.log.Info("return visit: agent answered, calling the customer", "contact_id", contactID, "agent_id", agentID)
	custLeg, err := cb.s.Dial(ctx, origin, number)
	if err != nil {
		_ = agentLeg.Hangup(bg, "customer not reached")
		return fmt.Errorf("visit %s: %w", contactID, err)
	}
	cb.s.mu.Lock()
	if cb.s.closed || ctx.Err() != nil {
		cb.s.mu.Unlock()
		_ = custLeg.Hangup(bg, "node stopping")
		_ = agentLeg.Hangup(bg, "node stopping")
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return ErrClosed
	}
	cb.s.out.Add(1)
	cb.s.mu.Unlock()
	var rec Recording
	if cb.o.Recorder != nil {
		if rec, err = cb.o.Recorder.Record(bg, contactID, agentID); err != nil {
			cb.s.log.Warn("return visit not recorded", "contact_id", contactID, "err", err)
			rec = nil
		}
	}
	go func() {
		defer cb.s.out.Done()
		by := cb.relay(contactID, agentLeg, custLeg, rec)
		if ended != nil {
			ended(by)
		}
	}()
	return nil
}

// relay copies audio between the agent and the customer (transcoding
// when their laws differ) until either hangs up or the node stops, and
// says who ended the call.
func (cb *Callbacks) relay(contactID string, agent, customer phone.Leg, rec Recording) string {
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
	cb.s.log.Info("call out ended", "contact_id", contactID, "by", by)
	return by
}
