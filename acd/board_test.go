package acd_test

import (
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
)

// TestBoard: each queue with its eligible agents and its waiting contacts
// in service order, with waits measured at the time asked.
func TestBoard(t *testing.T) {
	r, err := acd.NewRouter(acd.DefaultConfig(), []acd.Queue{
		{ID: "billing", Channel: acd.Chat, Skills: []acd.Requirement{{Skill: "billing", Min: 1}}, JoinEmpty: true},
		{ID: "fault", Channel: acd.Chat, Skills: []acd.Requirement{{Skill: "fault", Min: 1}}, JoinEmpty: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for _, id := range []string{"wu", "an"} {
		if err := r.Login(at(0), acd.AgentSpec{ID: id, Skills: map[string]int{"billing": 5}}); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range []string{"c1", "c2", "c3"} {
		if err := r.Enqueue(at(10*i), acd.ContactSpec{ID: id, Queue: "billing", Channel: acd.Chat}); err != nil {
			t.Fatal(err)
		}
	}
	r.Advance(at(45))
	b := r.Board(2)
	if len(b) != 2 || b[0].Queue != "billing" || b[1].Queue != "fault" {
		t.Fatalf("got %+v, want billing and fault", b)
	}
	q := b[0]
	if got := q.Agents; len(got) != 2 || got[0] != "an" || got[1] != "wu" || q.Staffed != 2 {
		t.Fatalf("agents %v staffed %d, want [an wu] and 2", got, q.Staffed)
	}
	if q.Waiting != 3 || q.LongestWait != 45*time.Second {
		t.Fatalf("waiting %d longest %v, want 3 and 45s", q.Waiting, q.LongestWait)
	}
	if len(q.Contacts) != 2 || q.Contacts[0].Contact != "c1" || q.Contacts[0].Wait != 45*time.Second ||
		q.Contacts[1].Contact != "c2" || q.Contacts[1].Wait != 35*time.Second {
		t.Fatalf("contacts %+v, want c1 (45s) and c2 (35s)", q.Contacts)
	}
	if len(b[1].Agents) != 0 || len(b[1].Contacts) != 0 {
		t.Fatalf("fault %+v, want empty", b[1])
	}
}

// TestReturnToQueue: a connected contact whose agent leaves goes back ahead
// of contacts that have waited long, and stays first after a rejection.
func TestReturnToQueue(t *testing.T) {
	for _, aging := range []time.Duration{0, 30 * time.Second} {
		cfg := acd.DefaultConfig()
		cfg.Aging = aging
		cfg.WrapUp = 0
		r, err := acd.NewRouter(cfg, []acd.Queue{{ID: "general", Channel: acd.Chat, Skills: []acd.Requirement{{Skill: "general", Min: 1}}, JoinEmpty: true}})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(r.Login(at(0), acd.AgentSpec{ID: "wu", Skills: map[string]int{"general": 5}}))
		must(r.SetReady(at(0), "wu"))
		must(r.Enqueue(at(1), acd.ContactSpec{ID: "mine", Queue: "general", Channel: acd.Chat}))
		must(r.Accept(at(2), "wu", "mine"))
		must(r.Connected(at(2), "mine"))
		must(r.SetNotReady(at(3), "wu", "break"))
		must(r.Enqueue(at(10), acd.ContactSpec{ID: "vip", Queue: "general", Channel: acd.Chat, Tier: "diamond"}))
		must(r.Enqueue(at(20), acd.ContactSpec{ID: "old", Queue: "general", Channel: acd.Chat}))
		must(r.ReturnToQueue(at(900), "mine"))
		ids, _ := r.Waiting("general")
		if len(ids) != 3 || ids[0] != "mine" {
			t.Fatalf("aging %v: waiting %v, want mine first", aging, ids)
		}
		must(r.Login(at(901), acd.AgentSpec{ID: "an", Skills: map[string]int{"general": 5}}))
		must(r.SetReady(at(901), "an"))
		st, _ := r.Contact("mine")
		if st.State != "offered" || st.Agent != "an" {
			t.Fatalf("aging %v: mine %+v, want offered to an first", aging, st)
		}
		must(r.Reject(at(902), "an", "mine"))
		ids, _ = r.Waiting("general")
		if ids[0] != "mine" {
			t.Fatalf("aging %v: after a rejection waiting %v, want mine still first", aging, ids)
		}
	}
}
