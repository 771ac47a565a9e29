package acd_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/hotline10000/hotline/acd"
)

// A Router driven by hand: one agent, one contact, on virtual time.
func ExampleRouter() {
	cfg := acd.DefaultConfig()
	cfg.WrapUp = 0
	r, err := acd.NewRouter(cfg, []acd.Queue{{
		ID: "billing", Channel: acd.Voice,
		Skills: []acd.Requirement{{Skill: "billing", Min: 3}},
	}})
	if err != nil {
		panic(err)
	}
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

	_ = r.Login(at(0), acd.AgentSpec{ID: "li.wei", Skills: map[string]int{"billing": 7}})
	_ = r.SetReady(at(0), "li.wei")
	_ = r.Enqueue(at(5), acd.ContactSpec{ID: "call-1", Queue: "billing", Tier: "gold", Customer: "0571-0000"})
	_ = r.Accept(at(7), "li.wei", "call-1")
	_ = r.Connected(at(8), "call-1")
	_ = r.End(at(200), "call-1")

	for _, e := range r.Drain() {
		line := fmt.Sprintf("t=%.0f %s", e.At.Sub(t0).Seconds(), e.Kind)
		if e.Kind == acd.EventAgentStateChanged {
			line += fmt.Sprintf(" %s %s→%s", e.Agent, e.PrevState, e.State)
		} else {
			line += fmt.Sprintf(" %s %s wait=%v %s", e.Contact, e.Agent, e.Wait, e.Outcome)
		}
		fmt.Println(strings.TrimSpace(line))
	}
	// Output:
	// t=0 agent_state_changed li.wei logged_out→not_ready
	// t=0 agent_state_changed li.wei not_ready→ready
	// t=5 queued call-1  wait=0s
	// t=5 offered call-1 li.wei wait=0s
	// t=5 agent_state_changed li.wei ready→reserved
	// t=7 accepted call-1 li.wei wait=2s
	// t=7 agent_state_changed li.wei reserved→busy
	// t=8 answered call-1 li.wei wait=3s answered
	// t=200 ended call-1 li.wei wait=3m12s
	// t=200 agent_state_changed li.wei busy→ready
}
