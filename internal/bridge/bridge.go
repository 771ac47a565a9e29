package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/ivr"
)

// Holder is how a channel holds its contacts in the Bridge.
type Holder struct {
	// Channel is the ACD channel of the contacts (acd.Chat, acd.Voice).
	Channel acd.Channel
	// Ring sets up the agent's leg of a contact just offered to the agent
	// (voice: the agent's phone rings). It returns nil once the agent
	// answered; then the Bridge accepts and connects the contact. An error
	// rejects the offer. ctx ends when the offer does (withdrawn, timed
	// out, accepted elsewhere). Nil: the channel has no ring step and a
	// contact is connected the moment its agent accepts (chat).
	Ring func(ctx context.Context, contactID, agentID string) error
	// Observe, if set, sees every queue event of the channel's contacts
	// (positions included) as the Bridge sends it. It runs on the
	// Bridge's goroutines and must not block.
	Observe func(contactID string, ev ivr.QueueEvent)
	// Survives says the channel carries its contacts over a restart of the
	// node (Handle.Keep): a drain leaves them in the ACD's snapshot
	// instead of losing them.
	Survives bool
	// Callback, if set, lets the channel's contacts leave the line and
	// keep their place (Handle.KeepAsCallback): it checks and records the
	// number to call back and returns the Holder that takes the contact
	// over (its ring step rings the agent, then dials the customer). Nil:
	// no callbacks.
	Callback func(ctx context.Context, contactID, number string) (Holder, error)
	// Consulter, if set, joins a consulted agent's leg to the contact's
	// call (voice): the Bridge rings it when the ACD offers the
	// consultation and tells it when the consultation ends. Nil: a
	// consultation is the desks' business only (chat).
	Consulter Consulter
}

// Consulter is how a channel follows a consultation (warm transfer) the
// ACD runs on one of its contacts.
type Consulter interface {
	// Consult rings the consulted agent's leg and joins it to the call;
	// nil once joined (the Bridge then accepts the consultation, the
	// first agent and the consulted one talk). ctx ends when the
	// consultation offer does. An error rejects the consultation.
	Consult(ctx context.Context, contactID, agentID string) error
	// EndConsult: the consultation ended. Completed: the consulted agent
	// keeps the customer and the first agent's leg goes; otherwise the
	// consulted agent's leg goes. It must not block for long.
	EndConsult(contactID string, completed bool)
}

// Options are the Bridge's dependencies.
type Options struct {
	Engine *acd.Engine
	Clock  ivr.Clock
	Logger *slog.Logger
	// Grace is how long a contact restored from a snapshot may wait for a
	// channel to hold it again; then it ends as system_lost. Default 3m.
	Grace time.Duration
	// Location is the center's time zone: today's counts (Today) start at
	// its midnight. Default UTC.
	Location *time.Location
}

// Bridge links channels to the ACD engine. It is safe for concurrent use;
// Run must run for positions, ring steps and grace periods to proceed.
type Bridge struct {
	o   Options
	log *slog.Logger

	mu       sync.Mutex
	held     map[string]*Handle // by contact id
	dirty    map[string]bool    // queues whose positions may have moved
	orphans  map[string]time.Time
	rings    map[string]*ringStep // ring steps under way, by contact
	consults map[string]*ringStep // consultation rings under way, by contact
	wake     chan struct{}
	changed  chan struct{} // a contact came or went: the Saver saves soon
	ctx      context.Context
	wg       sync.WaitGroup
	stopping bool
	today    map[string]DayCount // by queue
	date     string              // today, in the center's zone
}

// New returns a Bridge over the engine.
func New(o Options) (*Bridge, error) {
	if o.Engine == nil {
		return nil, errors.New("bridge: Engine is required")
	}
	if o.Clock == nil {
		o.Clock = ivr.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Grace <= 0 {
		o.Grace = 3 * time.Minute
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	return &Bridge{o: o, log: o.Logger, held: map[string]*Handle{}, dirty: map[string]bool{}, orphans: map[string]time.Time{},
		rings: map[string]*ringStep{}, consults: map[string]*ringStep{}, today: map[string]DayCount{}, wake: make(chan struct{}, 1), changed: make(chan struct{}, 1),
		ctx: context.Background()}, nil
}

// Handle follows one contact a channel holds: it is the ivr.QueueHandle
// the IVR waits on.
type Handle struct {
	b       *Bridge
	contact string
	holder  *Holder
	events  chan ivr.QueueEvent

	// guarded by b.mu
	req       ivr.QueueRequest // what the channel queued it with (Bridge.Request)
	queue     string
	position  int
	connected bool // QueueConnected was sent
	callback  bool // the ACD holds the contact as a callback
	keep      json.RawMessage
	done      bool
}

// Contact is the contact's id.
func (h *Handle) Contact() string { return h.contact }

// Events delivers position updates, then QueueConnected (later
// QueueAgentLeft), QueueMaxWait or QueueLost.
func (h *Handle) Events() <-chan ivr.QueueEvent { return h.events }

// Keep stores what the channel needs to take the contact back after a
// restart; the Saver writes it with the ACD's snapshot.
func (h *Handle) Keep(data json.RawMessage) {
	h.b.mu.Lock()
	h.keep = data
	h.b.mu.Unlock()
}

// Cancel takes the contact out of the ACD with a reason (Engine.Leave). A
// drain leaves the contacts of a channel that survives restarts where they
// are: the snapshot carries them to the next start.
func (h *Handle) Cancel(ctx context.Context, why acd.LeaveReason) error {
	if why == acd.LeaveDrain && h.holder.Survives {
		return nil
	}
	_, err := h.b.o.Engine.Leave(ctx, h.contact, why)
	if errors.Is(err, acd.ErrStopped) && why == acd.LeaveDrain {
		return nil // the snapshot keeps it; the next start settles it
	}
	if err != nil {
		return fmt.Errorf("leave %s: %w", h.contact, err)
	}
	h.b.forget(h.contact, h)
	return nil
}

// KeepAsCallback makes the contact a callback to number (ivr.CallbackHandle):
// the ACD keeps its place without the caller on the line, and the Holder's
// Callback takes it over. A contact the ACD already made a callback (its
// queue's maximum wait) only changes hands.
func (h *Handle) KeepAsCallback(ctx context.Context, number string) error {
	if h.holder.Callback == nil {
		return fmt.Errorf("callback for %s: %w", h.contact, ErrNoCallbacks)
	}
	b := h.b
	b.mu.Lock()
	already, done := h.callback, h.done
	b.mu.Unlock()
	if done {
		return fmt.Errorf("callback for %s: %w", h.contact, acd.ErrUnknownContact)
	}
	next, err := h.holder.Callback(ctx, h.contact, number)
	if err != nil {
		return fmt.Errorf("callback for %s: %w", h.contact, err)
	}
	if !already {
		if err := b.o.Engine.RequestCallback(ctx, h.contact); err != nil {
			return fmt.Errorf("callback for %s: %w", h.contact, err)
		}
	}
	nh := b.Hold(h.contact, next)
	b.mu.Lock()
	nh.queue, nh.callback = h.queue, true
	h.done = true
	b.mu.Unlock()
	return nil
}

// push sends a queue event without blocking: position updates beyond half
// the buffer are dropped (a newer one follows), the few outcome events
// always fit. Call with b.mu held.
func (h *Handle) push(ev ivr.QueueEvent) {
	if h.holder.Observe != nil {
		h.holder.Observe(h.contact, ev)
	}
	if ev.Kind == ivr.QueuePosition && len(h.events) > cap(h.events)/2 {
		return
	}
	select {
	case h.events <- ev:
	default:
	}
}

// Queuer returns the ivr.Queuer of one channel.
func (b *Bridge) Queuer(holder Holder) ivr.Queuer { return queuer{b: b, holder: &holder} }

type queuer struct {
	b      *Bridge
	holder *Holder
}

// Enqueue puts the contact in the ACD and returns its Handle. A tier the
// ACD does not know is served as the standard tier.
func (q queuer) Enqueue(ctx context.Context, req ivr.QueueRequest) (ivr.QueueHandle, error) {
	return q.b.Enqueue(ctx, *q.holder, req)
}

// Enqueue queues a contact for a channel and returns its Handle.
func (b *Bridge) Enqueue(ctx context.Context, holder Holder, req ivr.QueueRequest) (*Handle, error) {
	h := b.Hold(req.ContactID, holder)
	b.mu.Lock()
	h.req = req
	b.mu.Unlock()
	spec := acd.ContactSpec{ID: req.ContactID, Queue: req.Queue, Channel: holder.Channel, Customer: req.ANI, Tier: req.Tier}
	err := b.o.Engine.Enqueue(ctx, spec)
	if errors.Is(err, acd.ErrUnknownTier) {
		spec.Tier = ""
		err = b.o.Engine.Enqueue(ctx, spec)
	}
	if err != nil {
		b.forget(req.ContactID, h)
		return nil, fmt.Errorf("enqueue %s: %w", req.ContactID, err)
	}
	return h, nil
}

// Hold makes holder the channel of a contact, new or restored, and
// returns its Handle. A restored contact held again keeps its place.
func (b *Bridge) Hold(contactID string, holder Holder) *Handle {
	h := &Handle{b: b, contact: contactID, holder: &holder, events: make(chan ivr.QueueEvent, 32)}
	b.mu.Lock()
	b.held[contactID] = h
	delete(b.orphans, contactID)
	b.mu.Unlock()
	return h
}

func (b *Bridge) forget(contactID string, h *Handle) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held[contactID] == h {
		delete(b.held, contactID)
		h.done = true
	}
	b.note()
}

// note tells the Saver a contact came or went. Call with b.mu held.
func (b *Bridge) note() {
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

// Changed signals, coalesced, that a contact came or went.
func (b *Bridge) Changed() <-chan struct{} { return b.changed }

// Accept is an agent taking an offer. A contact whose channel has no ring
// step is connected in the same call (chat); with a ring step the
// connection waits for the agent's leg to answer.
func (b *Bridge) Accept(ctx context.Context, agentID, contactID string) error {
	if err := b.o.Engine.Accept(ctx, agentID, contactID); err != nil {
		return err
	}
	b.mu.Lock()
	h := b.held[contactID]
	b.mu.Unlock()
	if h == nil || h.holder.Ring != nil {
		// Nobody holds it (a restored contact whose channel has not come
		// back: the grace period settles it), or the ring step connects.
		return nil
	}
	return b.o.Engine.Connected(ctx, contactID)
}

// Request returns what the channel queued a contact it holds with: the
// caller's number, tier and the flow's variables for the agent's screen
// (ivr.QueueRequest.Context, with the IVR path). False: no channel holds
// it, or it was restored without them.
func (b *Bridge) Request(contactID string) (ivr.QueueRequest, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.held[contactID]
	if h == nil || h.req.ContactID == "" {
		return ivr.QueueRequest{}, false
	}
	return h.req, true
}

// Kept returns what each held contact's channel asked to keep over a
// restart (Handle.Keep).
func (b *Bridge) Kept() map[string]json.RawMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]json.RawMessage, len(b.held))
	for id, h := range b.held {
		if h.keep != nil {
			out[id] = h.keep
		}
	}
	return out
}

// Deliver is the Bridge's part of the engine's Sink: it fans each event out
// to the Handle holding its contact. It never blocks on a channel.
func (b *Bridge) Deliver(events []acd.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range events {
		b.apply(&events[i])
	}
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *Bridge) apply(ev *acd.Event) {
	b.count(ev)
	switch ev.Kind {
	case acd.EventQueued, acd.EventOffered, acd.EventRejected, acd.EventOfferTimeout, acd.EventOfferWithdrawn,
		acd.EventAbandoned, acd.EventLost, acd.EventTransferred, acd.EventStepReached:
		// The waiting line of the queue may have moved.
		if ev.Queue != "" {
			b.dirty[ev.Queue] = true
		}
	}
	switch ev.Kind {
	case acd.EventQueued, acd.EventAnswered, acd.EventEnded, acd.EventAbandoned, acd.EventLost:
		b.note()
	}
	switch ev.Kind {
	case acd.EventRejected, acd.EventOfferTimeout, acd.EventOfferWithdrawn, acd.EventTransferred,
		acd.EventAbandoned, acd.EventLost, acd.EventAnswered:
		// The offer a ring step was for has ended.
		if rs := b.rings[ev.Contact]; rs != nil && ev.Reason != "consult" {
			rs.cancel()
			delete(b.rings, ev.Contact)
		}
	}
	switch ev.Kind {
	case acd.EventConsultStarted, acd.EventConsultEnded, acd.EventTransferred, acd.EventEnded, acd.EventAbandoned, acd.EventLost:
		// The consultation offer a consult ring was for has ended.
		if rs := b.consults[ev.Contact]; rs != nil {
			rs.cancel()
			delete(b.consults, ev.Contact)
		}
	}
	h := b.held[ev.Contact]
	if h == nil {
		return
	}
	if cs := h.holder.Consulter; cs != nil {
		switch {
		case ev.Kind == acd.EventOffered && ev.Reason == "consult":
			b.consultRing(h, ev.Agent)
		case ev.Kind == acd.EventConsultEnded:
			b.goEndConsult(cs, ev.Contact, false)
		case ev.Kind == acd.EventTransferred && ev.Reason == "consult":
			b.goEndConsult(cs, ev.Contact, true)
		}
	}
	switch ev.Kind {
	case acd.EventQueued:
		h.queue, h.position = ev.Queue, 0
	case acd.EventOffered:
		h.position = 0
		if h.holder.Ring != nil && ev.Reason != "consult" {
			b.ring(h, ev.Agent)
		}
	case acd.EventAnswered:
		if !h.connected {
			h.connected = true
			h.push(ivr.QueueEvent{Kind: ivr.QueueConnected, Agent: ev.Agent})
		}
	case acd.EventTransferred:
		// A voice contact leaves its agent for a queue or another agent:
		// the channel drops the agent's leg and connects the next answer.
		// A completed consultation (reason "consult") hands the customer
		// over with no new answer: the channel moved the media already.
		if h.connected && h.holder.Ring != nil && ev.Agent != "" && ev.Reason != "consult" {
			h.connected = false
			h.push(ivr.QueueEvent{Kind: ivr.QueueTransferred, Agent: ev.Target})
		}
	case acd.EventEnded:
		h.push(ivr.QueueEvent{Kind: ivr.QueueAgentLeft})
		delete(b.held, ev.Contact)
		h.done = true
	case acd.EventAbandoned:
		delete(b.held, ev.Contact)
		h.done = true
	case acd.EventCallbackRequested:
		first := !h.callback
		h.callback = true
		if first && ev.Actor == acd.ActorSystem && h.holder.Callback != nil {
			// The queue's maximum wait made it a callback: the caller's
			// flow keeps it as one (KeepAsCallback) or leaves.
			h.push(ivr.QueueEvent{Kind: ivr.QueueMaxWait, Action: ivr.ActionCallback, Kept: true})
		}
	case acd.EventLost:
		qe := ivr.QueueEvent{Kind: ivr.QueueLost}
		if ev.Action == acd.Ticket || ev.Action == acd.Voicemail {
			qe = ivr.QueueEvent{Kind: ivr.QueueMaxWait, Action: ivr.ActionMessage}
		}
		h.push(qe)
		delete(b.held, ev.Contact)
		h.done = true
	}
}

// ringStep is one agent leg being rung.
type ringStep struct{ cancel context.CancelFunc }

// ring starts the ring step of an offered contact. Call with b.mu held.
func (b *Bridge) ring(h *Handle, agentID string) {
	if b.stopping {
		return
	}
	if rs := b.rings[h.contact]; rs != nil {
		rs.cancel()
	}
	ctx, cancel := context.WithCancel(b.ctx)
	rs := &ringStep{cancel: cancel}
	b.rings[h.contact] = rs
	contact, ring := h.contact, h.holder.Ring
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer cancel()
		err := ring(ctx, contact, agentID)
		b.mu.Lock()
		current := b.rings[contact] == rs && ctx.Err() == nil
		if b.rings[contact] == rs {
			delete(b.rings, contact)
		}
		b.mu.Unlock()
		if !current {
			return // the offer ended meanwhile
		}
		e, bg := b.o.Engine, context.WithoutCancel(ctx)
		if err != nil {
			b.log.Info("agent leg not answered", "contact_id", contact, "agent_id", agentID, "err", err)
			if rerr := e.Reject(bg, agentID, contact); rerr != nil && !errors.Is(rerr, acd.ErrNoOffer) {
				b.log.Warn("reject after ring", "contact_id", contact, "err", rerr)
			}
			return
		}
		// The agent answered: accepted (unless the desk already did) and
		// connected.
		if aerr := e.Accept(bg, agentID, contact); aerr != nil && !errors.Is(aerr, acd.ErrNoOffer) {
			b.log.Warn("accept after ring", "contact_id", contact, "err", aerr)
			return
		}
		if cerr := e.Connected(bg, contact); cerr != nil {
			b.log.Warn("connect after ring", "contact_id", contact, "err", cerr)
		}
	}()
}

// consultRing rings the consulted agent's leg; answered, the consultation
// is accepted in the ACD, else rejected. Call with b.mu held.
func (b *Bridge) consultRing(h *Handle, agentID string) {
	if b.stopping {
		return
	}
	if rs := b.consults[h.contact]; rs != nil {
		rs.cancel()
	}
	ctx, cancel := context.WithCancel(b.ctx)
	rs := &ringStep{cancel: cancel}
	b.consults[h.contact] = rs
	contact, cs := h.contact, h.holder.Consulter
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer cancel()
		err := cs.Consult(ctx, contact, agentID)
		b.mu.Lock()
		current := b.consults[contact] == rs && ctx.Err() == nil
		if b.consults[contact] == rs {
			delete(b.consults, contact)
		}
		b.mu.Unlock()
		e, bg := b.o.Engine, context.WithoutCancel(ctx)
		if !current {
			if err == nil {
				cs.EndConsult(contact, false) // joined just as the offer ended
			}
			return
		}
		if err != nil {
			b.log.Info("consulted agent's leg not answered", "contact_id", contact, "agent_id", agentID, "err", err)
			if rerr := e.Reject(bg, agentID, contact); rerr != nil && !errors.Is(rerr, acd.ErrNoOffer) {
				b.log.Warn("reject consultation after ring", "contact_id", contact, "err", rerr)
			}
			return
		}
		// (The desk may have accepted already.)
		if aerr := e.Accept(bg, agentID, contact); aerr != nil && !errors.Is(aerr, acd.ErrNoOffer) {
			b.log.Warn("accept consultation after ring", "contact_id", contact, "err", aerr)
			cs.EndConsult(contact, false)
		}
	}()
}

// goEndConsult tells the channel a consultation ended, off the Bridge's
// lock. Call with b.mu held.
func (b *Bridge) goEndConsult(cs Consulter, contact string, completed bool) {
	if b.stopping {
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		cs.EndConsult(contact, completed)
	}()
}

// Run tells waiting contacts their places, settles restored contacts left
// without a channel, and waits for ring steps, until ctx ends.
func (b *Bridge) Run(ctx context.Context) error {
	b.mu.Lock()
	b.ctx = ctx
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.stopping = true
		for _, rs := range b.rings {
			rs.cancel()
		}
		for _, rs := range b.consults {
			rs.cancel()
		}
		b.mu.Unlock()
		b.wg.Wait()
	}()
	for {
		var grace <-chan time.Time
		b.mu.Lock()
		if next, ok := b.nextOrphan(); ok {
			grace = b.o.Clock.After(max(next.Sub(b.o.Clock.Now()), 0))
		}
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.wake:
			b.tell(ctx)
		case <-grace:
			b.settleOrphans(ctx)
		}
	}
}

// tell asks the router for the places of the contacts waiting in queues
// that moved, and sends each held contact its place when it changed.
func (b *Bridge) tell(ctx context.Context) {
	b.mu.Lock()
	queues := make([]string, 0, len(b.dirty))
	for q := range b.dirty {
		queues = append(queues, q)
	}
	clear(b.dirty)
	b.mu.Unlock()
	if len(queues) == 0 {
		return
	}
	slices.Sort(queues)
	ps, err := b.o.Engine.Positions(ctx, queues)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, acd.ErrStopped) {
			b.log.Warn("queue positions", "err", err)
		}
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range ps {
		h := b.held[p.Contact]
		if h == nil || h.position == p.Position {
			continue
		}
		h.position = p.Position
		h.push(ivr.QueueEvent{Kind: ivr.QueuePosition, Position: p.Position, ExpectedWait: p.ExpectedWait})
	}
}
