package main

import (
	"github.com/hotline10000/hotline/internal/config"
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
