package acd

import (
	"testing"
	"time"
)

// Positions follow the service order: priority (and aging) first, then
// arrival — what the customer is told is where the ACD will serve them.
func TestPositionsUnderPriority(t *testing.T) {
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	for _, tc := range []struct {
		name  string
		aging time.Duration
		want  []string // at t=20
	}{
		// Strict priority: the diamond customer who came last is first.
		{"strict", 0, []string{"d", "g", "s1", "s2"}},
		// Aging 30 s per point: s1's 15 s head start is worth less than
		// gold's 2 points (60 s) and diamond's 3 (90 s).
		{"aging", 30 * time.Second, []string{"d", "g", "s1", "s2"}},
		// Aging 5s per point: 15 s of wait outweighs gold's 2 points.
		{"fast aging", 5 * time.Second, []string{"s1", "d", "g", "s2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Aging = tc.aging
			r, err := NewRouter(cfg, []Queue{{ID: "Q", Channel: Chat, Skills: []Requirement{{Skill: "x", Min: 1}}}})
			if err != nil {
				t.Fatal(err)
			}
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(r.Login(at(0), AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}))
			must(r.Enqueue(at(1), ContactSpec{ID: "s1", Queue: "Q"}))
			must(r.Enqueue(at(16), ContactSpec{ID: "g", Queue: "Q", Tier: "gold"}))
			must(r.Enqueue(at(17), ContactSpec{ID: "s2", Queue: "Q"}))
			must(r.Enqueue(at(18), ContactSpec{ID: "d", Queue: "Q", Tier: "diamond"}))
			r.Advance(at(20))
			ps, err := r.Positions("Q")
			must(err)
			order, _ := r.Waiting("Q")
			if len(ps) != len(tc.want) {
				t.Fatalf("got %d positions, want %d", len(ps), len(tc.want))
			}
			for i, p := range ps {
				if p.Contact != tc.want[i] || p.Position != i+1 || order[i] != p.Contact {
					t.Errorf("position %d: got %s (%d), want %s; service order %v", i+1, p.Contact, p.Position, tc.want[i], order)
				}
				if p.ExpectedWait != 0 {
					t.Errorf("%s: expected wait %v promised while no agent is ready", p.Contact, p.ExpectedWait)
				}
			}
			// The agent serves in exactly that order.
			must(r.SetReady(at(21), "A"))
			for i, id := range tc.want[:3] {
				st, _ := r.Agent("A")
				if st.Offer != "" {
					must(r.Accept(at(22+i), "A", st.Offer))
					must(r.Connected(at(22+i), st.Offer))
				}
				st, _ = r.Agent("A")
				if st.Contacts[len(st.Contacts)-1] != id {
					t.Errorf("served %d: got %v, want %s", i+1, st.Contacts, id)
				}
			}
		})
	}
}

// The expected wait comes from the queue's recent pace and is promised
// only while some agent of the queue wishes to work.
func TestExpectedWait(t *testing.T) {
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	cfg := DefaultConfig()
	cfg.WrapUp = 0
	r, err := NewRouter(cfg, []Queue{{ID: "Q", Channel: Voice, Skills: []Requirement{{Skill: "x", Min: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.Login(at(0), AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}))
	must(r.SetReady(at(0), "A"))
	// Two contacts served 60 s apart.
	for i, id := range []string{"a", "b"} {
		must(r.Enqueue(at(60*i), ContactSpec{ID: id, Queue: "Q"}))
		must(r.Accept(at(60*i), "A", id))
		must(r.Connected(at(60*i), id))
		must(r.End(at(60*i+50), id))
	}
	// A busy agent still counts: the queue moves.
	must(r.Enqueue(at(110), ContactSpec{ID: "c", Queue: "Q"}))
	must(r.Accept(at(110), "A", "c"))
	must(r.Connected(at(110), "c"))
	must(r.Enqueue(at(115), ContactSpec{ID: "d", Queue: "Q"}))
	must(r.Enqueue(at(116), ContactSpec{ID: "e", Queue: "Q"}))
	r.Advance(at(120))
	ps, _ := r.Positions("Q")
	// Three services since t=0: one every 40 s up to t=120.
	if len(ps) != 2 || ps[0].ExpectedWait != 40*time.Second || ps[1].ExpectedWait != 80*time.Second {
		t.Fatalf("got %+v, want d 40s and e 80s", ps)
	}
	// The agent says not ready (after this contact): no promise.
	must(r.SetNotReady(at(121), "A", "break"))
	ps, _ = r.Positions("Q")
	if ps[0].ExpectedWait != 0 || ps[0].Position != 1 {
		t.Fatalf("no agent willing: got %+v, want position 1 without a wait", ps[0])
	}
}
