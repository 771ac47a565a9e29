package acd

import (
	"errors"
	"testing"
	"time"
)

func leaveRouter(t *testing.T) *Router {
	t.Helper()
	cfg := DefaultConfig()
	cfg.WrapUp = 0
	r, err := NewRouter(cfg, []Queue{{ID: "Q", Channel: Voice, Skills: []Requirement{{Skill: "x", Min: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Login(epoch, AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}); err != nil {
		t.Fatal(err)
	}
	r.Drain()
	return r
}

// Leave books each reason and state as KPIS.md counts it, in one step.
func TestLeave(t *testing.T) {
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	cases := []struct {
		name  string
		state string // queued, offered, accepted, connected
		why   LeaveReason
		left  Left
		kind  EventKind
		out   Outcome
	}{
		{"hang-up while queued", "queued", LeaveHangup, LeftQueue, EventAbandoned, Abandoned},
		{"hang-up while offered", "offered", LeaveHangup, LeftQueue, EventAbandoned, Abandoned},
		{"hang-up while ringing", "accepted", LeaveHangup, LeftQueue, EventAbandoned, Abandoned},
		{"hang-up while connected", "connected", LeaveHangup, LeftAgent, EventEnded, NoOutcome},
		{"drain while queued", "queued", LeaveDrain, LeftQueue, EventLost, SystemLost},
		{"drain while offered", "offered", LeaveDrain, LeftQueue, EventLost, SystemLost},
		{"drain while ringing", "accepted", LeaveDrain, LeftQueue, EventLost, SystemLost},
		{"drain while connected", "connected", LeaveDrain, LeftAgent, EventEnded, NoOutcome},
		{"teardown while queued", "queued", LeaveTeardown, LeftQueue, EventLost, SystemLost},
		{"teardown while connected", "connected", LeaveTeardown, LeftAgent, EventEnded, NoOutcome},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := leaveRouter(t)
			led := newLedger()
			led.seq = r.seq
			step := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				if err := led.add(r.Drain()); err != nil {
					t.Fatal(err)
				}
				if err := checkInvariants(r); err != nil {
					t.Fatal(err)
				}
			}
			step(r.Enqueue(at(1), ContactSpec{ID: "c1", Queue: "Q"}))
			if tc.state != "queued" {
				step(r.SetReady(at(2), "A"))
			}
			if tc.state == "accepted" || tc.state == "connected" {
				step(r.Accept(at(3), "A", "c1"))
			}
			if tc.state == "connected" {
				step(r.Connected(at(4), "c1"))
			}
			left, err := r.Leave(at(9), "c1", tc.why)
			evs := append([]Event(nil), r.Drain()...)
			if err != nil || left != tc.left {
				t.Fatalf("leave: got %v, %v; want %v", left, err, tc.left)
			}
			if err := led.add(evs); err != nil {
				t.Fatal(err)
			}
			var got *Event
			for i := range evs {
				if evs[i].Contact == "c1" && evs[i].Kind == tc.kind {
					got = &evs[i]
				}
			}
			if got == nil {
				t.Fatalf("no %s event in %+v", tc.kind, evs)
			}
			if got.Outcome != tc.out || got.Reason != tc.why.String() {
				t.Errorf("got outcome %v reason %q, want %v %q", got.Outcome, got.Reason, tc.out, tc.why)
			}
			if _, err := r.Contact("c1"); !errors.Is(err, ErrUnknownContact) {
				t.Errorf("contact still held: %v", err)
			}
			if st, _ := r.Agent("A"); st.State == Busy || st.State == Reserved {
				t.Errorf("agent left %s", st.State)
			}
			// Leaving again is harmless: the paths of a hang-up and a
			// drain may cross.
			if left, err := r.Leave(at(10), "c1", LeaveHangup); err != nil || left != LeftNothing {
				t.Errorf("second leave: got %v, %v; want nothing", left, err)
			}
		})
	}
	r := leaveRouter(t)
	if _, err := r.Leave(epoch, "c1", 0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("leave without a reason: got %v, want invalid argument", err)
	}
}
