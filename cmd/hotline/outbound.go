package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/sip"
)

// setTrunk gives the SIP server the trunk of calls out (sip.trunk.*); no
// proxy, no calls out.
func setTrunk(srv *sip.Server, t config.Trunk) error {
	if t.Proxy == "" {
		return nil
	}
	plan, err := sip.NewDialPlan(t.DialPlan)
	if err != nil {
		return &config.Error{Key: "sip.trunk.dial_plan", Reason: err.Error()}
	}
	return srv.SetTrunk(&sip.Trunk{Proxy: t.Proxy, Transport: t.Transport, Domain: t.Domain, User: t.User, Password: t.Password,
		From: t.From, Plan: plan, RingTimeout: t.RingTimeout})
}

// callbacks returns the voice channel's calls back to customers: a caller
// who asks to be called back keeps the place, and when the ACD reserves an
// agent the agent's phone rings, then the customer is dialled through the
// trunk; a customer who does not answer is called again
// (sip.trunk.callback_attempts, callback_retry_interval). The callbacks
// owed are kept in the store: resume takes them back at start and runs
// their retries. Nil (no callbacks) without a trunk.
func (v *voice) callbacks(cfg config.Trunk, st *store.Store, phones *phone.Phones, core *center, rec sip.Recorder) *callbacks {
	if v == nil || !v.srv.Trunked() {
		return nil
	}
	c := &callbacks{core: core}
	c.cb = v.srv.NewCallbacks(sip.CallbackOptions{Phones: phones, End: core.engine.End, Lose: core.engine.Lose, Recorder: rec,
		Store: callbackStore{st}, Attempts: cfg.CallbackAttempts, RetryAfter: cfg.CallbackRetryInterval, Requeue: c.requeue})
	return c
}

// callbacks links sip.Callbacks to the contact bridge.
type callbacks struct {
	cb    *sip.Callbacks
	core  *center
	voice bridge.Holder // the voice channel's holder, whose Callback comes here
}

// holder is bridge.Holder.Callback of the voice channel: it keeps the
// number (and the caller's queue and tier, for the retries) and returns
// the holder of callback contacts.
func (c *callbacks) holder(ctx context.Context, contactID, number string) (bridge.Holder, error) {
	req, _ := c.core.bridge.Request(contactID)
	if err := c.cb.Expect(ctx, sip.CallbackRequest{Contact: contactID, Number: number, Queue: req.Queue, Tier: req.Tier}); err != nil {
		return bridge.Holder{}, err
	}
	return c.ring(), nil
}

func (c *callbacks) ring() bridge.Holder { return bridge.Holder{Channel: acd.Voice, Ring: c.cb.Ring} }

// requeue queues an attempt of a callback: a callback contact in the
// callback's queue, held by the callbacks' ring step from the start (the
// ACD may offer it at once).
func (c *callbacks) requeue(ctx context.Context, contactID string, o sip.OwedCallback) error {
	if _, err := c.core.bridge.Enqueue(ctx, c.ring(), ivr.QueueRequest{ContactID: contactID, Channel: ivr.Voice, Queue: o.Queue, Tier: o.Tier, ANI: o.Number}); err != nil {
		return err
	}
	// A callback waits without a maximum wait and shows as one on the
	// board; offered already, it is one anyway.
	if err := c.core.engine.RequestCallback(ctx, contactID); err != nil && !errors.Is(err, acd.ErrIllegalTransition) && !errors.Is(err, acd.ErrUnknownContact) {
		return err
	}
	return nil
}

// follow is the callbacks' acd.Sink: a callback attempt's contact the
// ACD dropped (its queue lost its last agent) is queued again once an
// agent comes; an agent's state changing lets the callbacks that waited
// for one try again.
func (c *callbacks) follow(events []acd.Event) {
	agents := false
	for _, e := range events {
		switch e.Kind {
		case acd.EventLost, acd.EventAbandoned:
			c.cb.Dropped(e.Contact)
		case acd.EventAgentStateChanged:
			agents = true
		}
	}
	if agents {
		c.cb.AgentsChanged()
	}
}

// resume takes back the callbacks the store kept (those the restored ACD
// still holds keep their place) and runs their retries until ctx ends.
func (c *callbacks) resume(ctx context.Context, log *slog.Logger) {
	held := map[string]bool{}
	for _, x := range c.core.restored.Contacts {
		held[x.ID] = true
	}
	if err := c.cb.Resume(ctx, func(id string) bool { return held[id] }, func(id string) { c.core.bridge.Hold(id, c.ring()) }); err != nil {
		log.Error("callbacks owed not resumed", "err", err)
	}
}

// callbackStore keeps sip's callbacks owed in the store.
type callbackStore struct{ st *store.Store }

func (s callbackStore) SaveCallback(ctx context.Context, c sip.OwedCallback) error {
	return s.st.SaveCallback(ctx, store.Callback{ID: c.ID, Contact: c.Contact, Number: c.Number, Queue: c.Queue, Tier: c.Tier,
		Attempts: c.Attempts, NextAt: c.NextAt, CreatedAt: c.CreatedAt})
}

func (s callbackStore) DeleteCallback(ctx context.Context, id string) error {
	if err := s.st.DeleteCallback(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

func (s callbackStore) Callbacks(ctx context.Context) ([]sip.OwedCallback, error) {
	cs, err := s.st.Callbacks(ctx)
	out := make([]sip.OwedCallback, len(cs))
	for i, c := range cs {
		out[i] = sip.OwedCallback{ID: c.ID, Contact: c.Contact, Number: c.Number, Queue: c.Queue, Tier: c.Tier,
			Attempts: c.Attempts, NextAt: c.NextAt, CreatedAt: c.CreatedAt}
	}
	return out, err
}
