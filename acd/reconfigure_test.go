package acd

import (
	"errors"
	"slices"
	"testing"
	"time"
)

var rc0 = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

func reconfRouter(t *testing.T) *Router {
	t.Helper()
	r, err := NewRouter(DefaultConfig(), []Queue{
		{ID: "general", Channel: Chat, JoinEmpty: true, Skills: []Requirement{{Skill: "general", Min: 1}}},
		{ID: "billing", Channel: Chat, JoinEmpty: true, Skills: []Requirement{{Skill: "billing", Min: 8}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustOK(t *testing.T, r *Router, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkInvariants(r); err != nil {
		t.Fatalf("invariants: %v", err)
	}
}

func kinds(evs []Event, k EventKind) []Event {
	var out []Event
	for _, e := range evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// Waiting contacts keep their order when the queue's requirements change,
// and an agent who now fits is offered the first of them at once.
func TestSetQueueKeepsWaitingContactsInPlace(t *testing.T) {
	r := reconfRouter(t)
	mustOK(t, r, r.Login(rc0, AgentSpec{ID: "a1", Skills: map[string]int{"billing": 6}}))
	mustOK(t, r, r.SetReady(rc0, "a1"))
	for i, id := range []string{"c1", "c2", "c3"} {
		mustOK(t, r, r.Enqueue(rc0.Add(time.Duration(i)*time.Second), ContactSpec{ID: id, Queue: "billing"}))
	}
	if st, _ := r.Agent("a1"); st.Offer != "" {
		t.Fatalf("offered %s below the required proficiency", st.Offer)
	}
	r.Drain()
	at := rc0.Add(10 * time.Second)
	mustOK(t, r, r.SetQueue(at, Queue{ID: "billing", Channel: Chat, JoinEmpty: true, Weight: 5, Skills: []Requirement{{Skill: "billing", Min: 5}}}))
	st, _ := r.Agent("a1")
	if st.Offer != "c1" {
		t.Fatalf("offer %q after lowering the requirement, want c1 (the first in line)", st.Offer)
	}
	qs, _ := r.QueueStats("billing")
	if qs.Waiting != 2 {
		t.Fatalf("waiting %d, want 2", qs.Waiting)
	}
	// c2 still before c3.
	mustOK(t, r, r.Login(at, AgentSpec{ID: "a2", Skills: map[string]int{"billing": 9}}))
	mustOK(t, r, r.SetReady(at, "a2"))
	if st, _ := r.Agent("a2"); st.Offer != "c2" {
		t.Fatalf("second offer %q, want c2", st.Offer)
	}
}

// A new queue routes at once, to agents already logged in.
func TestSetQueueAddsAQueue(t *testing.T) {
	r := reconfRouter(t)
	mustOK(t, r, r.Login(rc0, AgentSpec{ID: "a1", Skills: map[string]int{"general": 6}}))
	mustOK(t, r, r.SetReady(rc0, "a1"))
	if err := r.Enqueue(rc0, ContactSpec{ID: "c1", Queue: "promo"}); !errors.Is(err, ErrUnknownQueue) {
		t.Fatalf("enqueue to a queue not yet there: %v", err)
	}
	mustOK(t, r, r.SetQueue(rc0, Queue{ID: "promo", Channel: Chat, Skills: []Requirement{{Skill: "general", Min: 5}}}))
	mustOK(t, r, r.Enqueue(rc0, ContactSpec{ID: "c1", Queue: "promo"}))
	if st, _ := r.Agent("a1"); st.Offer != "c1" {
		t.Fatalf("offer %q, want c1 from the new queue", st.Offer)
	}
	if !slices.Contains(r.Skills(), "general") {
		t.Fatalf("skills %v", r.Skills())
	}
}

// A step the new settings have already passed is taken at once; the old
// settings' timers no longer fire.
func TestSetQueueStepsCountFromEntry(t *testing.T) {
	r := reconfRouter(t)
	mustOK(t, r, r.Login(rc0, AgentSpec{ID: "a1", Skills: map[string]int{"billing": 5}}))
	mustOK(t, r, r.SetReady(rc0, "a1"))
	mustOK(t, r, r.Enqueue(rc0, ContactSpec{ID: "c1", Queue: "billing"}))
	r.Drain()
	mustOK(t, r, r.SetQueue(rc0.Add(time.Minute), Queue{ID: "billing", Channel: Chat, JoinEmpty: true,
		Skills:  []Requirement{{Skill: "billing", Min: 8}},
		Steps:   []Step{{After: 30 * time.Second, MinProficiency: 4}, {After: 5 * time.Minute, OverflowTo: "general"}},
		MaxWait: 10 * time.Minute, OnMaxWait: Ticket}))
	evs := r.Drain()
	if n := len(kinds(evs, EventStepReached)); n != 1 {
		t.Fatalf("steps reached %d, want 1: %v", n, evs)
	}
	if st, _ := r.Agent("a1"); st.Offer != "c1" {
		t.Fatalf("offer %q after the passed step, want c1", st.Offer)
	}
	mustOK(t, r, r.Reject(rc0.Add(time.Minute), "a1", "c1"))
	// The overflow step (5 min after entry) moves it on.
	r.Advance(rc0.Add(5*time.Minute + time.Second))
	if err := checkInvariants(r); err != nil {
		t.Fatal(err)
	}
	c, err := r.Contact("c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Queue != "general" {
		t.Fatalf("queue %q after the overflow step, want general", c.Queue)
	}
}

func TestSetQueueRefusals(t *testing.T) {
	r := reconfRouter(t)
	mustOK(t, r, r.Enqueue(rc0, ContactSpec{ID: "c1", Queue: "billing"}))
	var ce *ConfigError
	if err := r.SetQueue(rc0, Queue{ID: "billing", Channel: Voice, Skills: []Requirement{{Skill: "billing", Min: 5}}}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("channel change with a contact waiting: %v", err)
	}
	if err := r.SetQueue(rc0, Queue{ID: "billing", Channel: Chat, OverflowTo: "nowhere", Skills: []Requirement{{Skill: "billing", Min: 5}}}); !errors.As(err, &ce) || ce.Field != "queues[billing].overflow_to" {
		t.Fatalf("unknown overflow target: %v", err)
	}
	if err := r.SetQueue(rc0, Queue{ID: "x", Channel: Chat}); !errors.As(err, &ce) {
		t.Fatalf("a queue without skills: %v", err)
	}
	if err := checkInvariants(r); err != nil {
		t.Fatal(err)
	}
	if qs, _ := r.QueueStats("billing"); qs.Waiting != 1 {
		t.Fatalf("a refused change touched the queue: %+v", qs)
	}
}

func TestRemoveQueue(t *testing.T) {
	r := reconfRouter(t)
	mustOK(t, r, r.Login(rc0, AgentSpec{ID: "a1", Skills: map[string]int{"billing": 9, "general": 2}}))
	mustOK(t, r, r.SetQueue(rc0, Queue{ID: "promo", Channel: Chat, OverflowTo: "billing", MaxWait: time.Minute, OnMaxWait: Overflow,
		Skills: []Requirement{{Skill: "general", Min: 1}}}))
	var ce *ConfigError
	if err := r.RemoveQueue(rc0, "billing"); !errors.As(err, &ce) {
		t.Fatalf("removing an overflow target: %v", err)
	}
	mustOK(t, r, r.Enqueue(rc0, ContactSpec{ID: "c1", Queue: "promo"}))
	if err := r.RemoveQueue(rc0, "promo"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("removing a queue with a contact: %v", err)
	}
	mustOK(t, r, r.Abandon(rc0, "c1"))
	mustOK(t, r, r.RemoveQueue(rc0, "promo"))
	mustOK(t, r, r.RemoveQueue(rc0, "billing"))
	if _, err := r.QueueStats("billing"); !errors.Is(err, ErrUnknownQueue) {
		t.Fatalf("removed queue still there: %v", err)
	}
	st, _ := r.Agent("a1")
	if st.State != NotReady {
		t.Fatalf("agent %+v", st)
	}
	mustOK(t, r, r.SetReady(rc0, "a1"))
	mustOK(t, r, r.Enqueue(rc0, ContactSpec{ID: "c2", Queue: "general"}))
	if st, _ := r.Agent("a1"); st.Offer != "c2" {
		t.Fatalf("offer %q, want c2", st.Offer)
	}
}
