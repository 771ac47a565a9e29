package main

import (
	"context"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/internal/config"
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

// callbacks returns the voice channel's bridge.Holder.Callback: a caller
// who asks to be called back keeps the place, and when the ACD reserves an
// agent the agent's phone rings, then the customer is dialled through the
// trunk. Nil (no callbacks) without a trunk.
func (v *voice) callbacks(phones *phone.Phones, engine *acd.Engine, rec sip.Recorder) func(context.Context, string, string) (bridge.Holder, error) {
	if v == nil || !v.srv.Trunked() {
		return nil
	}
	cb := v.srv.NewCallbacks(sip.CallbackOptions{Phones: phones, End: engine.End, Lose: engine.Lose, Recorder: rec})
	return func(_ context.Context, contactID, number string) (bridge.Holder, error) {
		if err := cb.Expect(contactID, number); err != nil {
			return bridge.Holder{}, err
		}
		return bridge.Holder{Channel: acd.Voice, Ring: cb.Ring}, nil
	}
}
