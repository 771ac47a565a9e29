package acd

import (
	"errors"
	"testing"
	"time"
)

func durp(d time.Duration) *time.Duration { return &d }

// serve offers, accepts and ends contact id for agent a at t.
func serve(t *testing.T, r *Router, at time.Time, queue, id, a string) {
	t.Helper()
	mustOK(t, r, r.Enqueue(at, ContactSpec{ID: id, Queue: queue}))
	if st, _ := r.Agent(a); st.Offer != id {
		t.Fatalf("%s offered %q, want %s", a, st.Offer, id)
	}
	mustOK(t, r, r.Accept(at, a, id))
	mustOK(t, r, r.Connected(at, id))
	mustOK(t, r, r.End(at, id))
}

func wrapEnds(t *testing.T, r *Router, start time.Time, a string, want time.Duration) {
	t.Helper()
	r.Advance(start.Add(want - time.Second))
	if st, _ := r.Agent(a); len(st.WrapUps) != 1 {
		t.Fatalf("wrap-up over before %v: %+v", want, st)
	}
	r.Advance(start.Add(want))
	if st, _ := r.Agent(a); len(st.WrapUps) != 0 {
		t.Fatalf("wrap-up still open at %v: %+v", want, st)
	}
}

// A queue's wrap-up time replaces the center's, and an agent's own wins
// over both; a queue's wrap-up of 0 means none.
func TestWrapUpPerQueueAndAgent(t *testing.T) {
	cfg := DefaultConfig()
	cfg.WrapUp = 30 * time.Second
	r, err := NewRouter(cfg, []Queue{
		{ID: "long", Channel: Chat, JoinEmpty: true, Skills: []Requirement{{Skill: "s", Min: 1}}, WrapUp: durp(90 * time.Second)},
		{ID: "none", Channel: Chat, JoinEmpty: true, Skills: []Requirement{{Skill: "s", Min: 1}}, WrapUp: durp(0)},
		{ID: "plain", Channel: Chat, JoinEmpty: true, Skills: []Requirement{{Skill: "s", Min: 1}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, r, r.Login(rc0, AgentSpec{ID: "a", Skills: map[string]int{"s": 5}}))
	mustOK(t, r, r.SetReady(rc0, "a"))
	serve(t, r, rc0, "long", "c1", "a")
	wrapEnds(t, r, rc0, "a", 90*time.Second)

	at := rc0.Add(time.Hour)
	serve(t, r, at, "plain", "c2", "a")
	wrapEnds(t, r, at, "a", 30*time.Second)

	at = rc0.Add(2 * time.Hour)
	serve(t, r, at, "none", "c3", "a")
	if st, _ := r.Agent("a"); len(st.WrapUps) != 0 {
		t.Fatalf("wrap-up after a queue without one: %+v", st)
	}

	// The agent's own time wins, live and across a snapshot.
	at = rc0.Add(3 * time.Hour)
	mustOK(t, r, r.SetWork(at, "boss", "a", nil, durp(10*time.Second)))
	r2, err := Restore(cfg, r.queueConfigs(), r.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	serve(t, r2, at, "long", "c4", "a")
	wrapEnds(t, r2, at, "a", 10*time.Second)

	// An extension of a wrap-up longer than the cap does not shorten it.
	at = rc0.Add(4 * time.Hour)
	mustOK(t, r2, r2.SetWork(at, "boss", "a", nil, durp(200*time.Second)))
	serve(t, r2, at, "plain", "c5", "a")
	end, err := r2.ExtendWrapUp(at, "a", "c5", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := at.Add(200 * time.Second); !end.Equal(want) {
		t.Fatalf("extended to %v, want %v", end, want)
	}
}

// A capacity change reaches a logged-in agent at once unless the agent
// holds more than it allows.
func TestSetWorkCapacity(t *testing.T) {
	cfg := DefaultConfig()
	cfg.WrapUp = 0
	r, err := NewRouter(cfg, []Queue{{ID: "q", Channel: Chat, JoinEmpty: true, Skills: []Requirement{{Skill: "s", Min: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, r, r.Login(rc0, AgentSpec{ID: "a", Skills: map[string]int{"s": 5}, Capacity: &Capacity{Voice: 1, Chat: 1}}))
	mustOK(t, r, r.SetReady(rc0, "a"))
	mustOK(t, r, r.Enqueue(rc0, ContactSpec{ID: "c1", Queue: "q"}))
	mustOK(t, r, r.Accept(rc0, "a", "c1"))
	mustOK(t, r, r.Enqueue(rc0, ContactSpec{ID: "c2", Queue: "q"}))
	if st, _ := r.Agent("a"); st.Offer != "" {
		t.Fatalf("offered %s over a capacity of 1", st.Offer)
	}
	if err := r.SetWork(rc0, "boss", "a", &Capacity{Voice: 1, Chat: 0}, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("capacity below the load: %v, want ErrInvalidArgument", err)
	}
	if err := r.SetWork(rc0, "boss", "a", &Capacity{Voice: 1, Chat: 99}, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("absurd capacity: %v, want ErrInvalidArgument", err)
	}
	mustOK(t, r, r.SetWork(rc0, "boss", "a", &Capacity{Voice: 1, Chat: 2}, nil))
	if st, _ := r.Agent("a"); st.Offer != "c2" {
		t.Fatalf("after raising the capacity offered %q, want c2", st.Offer)
	}
}

func (r *Router) queueConfigs() []Queue {
	var out []Queue
	for _, q := range r.queues {
		out = append(out, q.cfg)
	}
	return out
}

// A queue's opening calendar refuses new contacts outside it; contacts
// already waiting stay.
func TestQueueOpen(t *testing.T) {
	closedAfter := rc0.Add(time.Hour)
	r, err := NewRouter(DefaultConfig(), []Queue{{ID: "q", Channel: Chat, JoinEmpty: true, Skills: []Requirement{{Skill: "s", Min: 1}},
		Open: func(t time.Time) bool { return t.Before(closedAfter) }}})
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, r, r.Enqueue(rc0, ContactSpec{ID: "c1", Queue: "q"}))
	if err := r.Enqueue(closedAfter, ContactSpec{ID: "c2", Queue: "q"}); !errors.Is(err, ErrQueueClosed) {
		t.Fatalf("enqueue after closing: %v, want ErrQueueClosed", err)
	}
	if st, err := r.Contact("c1"); err != nil || st.Queue != "q" {
		t.Fatalf("waiting contact after closing: %+v, %v", st, err)
	}
}
