package acd

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// propertyQueues exercise steps, overflow, callbacks, chat, weights and an
// unstaffed queue that loses its contacts.
func propertyQueues() []Queue {
	return []Queue{
		{ID: "Q1", Channel: Voice, Skills: []Requirement{{Skill: "x", Min: 3}}, Steps: []Step{
			{After: 20 * time.Second, MinProficiency: 1},
			{After: 40 * time.Second, AddSkills: []Requirement{{Skill: "y", Min: 2}}},
			{After: 90 * time.Second, OverflowTo: "Q2"},
		}},
		{ID: "Q2", Channel: Voice, Skills: []Requirement{{Skill: "y", Min: 1}}, MaxWait: 60 * time.Second, OnMaxWait: OfferCallback, JoinEmpty: true},
		{ID: "Q3", Channel: Chat, Skills: []Requirement{{Skill: "x", Min: 1}}, MaxWait: 30 * time.Second, OnMaxWait: Voicemail, Selection: LongestIdle},
		{ID: "Q4", Channel: Voice, Skills: []Requirement{{Skill: "z", Min: 5}}, Weight: 2, Selection: RoundRobin,
			MaxWait: 45 * time.Second, OnMaxWait: Overflow, OverflowTo: "Q1"},
	}
}

func propertyConfig() Config {
	cfg := DefaultConfig()
	cfg.Aging = 10 * time.Second
	cfg.OfferTimeout = 10 * time.Second
	cfg.WrapUp = 5 * time.Second
	cfg.WrapUpCap = 20 * time.Second
	return cfg
}

// opStream turns bytes into choices; it returns zeros once exhausted.
type opStream struct {
	b []byte
	i int
}

func (s *opStream) next(n int) int {
	if s.i >= len(s.b) {
		return 0
	}
	v := int(s.b[s.i])
	s.i++
	return v % n
}

func (s *opStream) done() bool { return s.i >= len(s.b) }

// driver applies operations chosen by an opStream to one Router and checks
// the invariants and the event ledger after each.
type driver struct {
	t           *testing.T
	r           *Router
	led         *outcomeLedger
	now         time.Time
	s           *opStream
	contacts    []string
	nextContact int
	steps       int
	last        []Event // events of the last operation
	lastWhat    string
}

var (
	propAgents = []string{"a0", "a1", "a2", "a3", "a4"}
	propQueues = []string{"Q1", "Q2", "Q3", "Q4"}
	propSkills = []map[string]int{{"x": 5}, {"x": 2, "y": 3}, {"y": 1}, {"z": 6, "x": 4}, {"x": 9, "y": 9, "z": 9}}
)

func newDriver(t *testing.T, data []byte) *driver {
	r, err := NewRouter(propertyConfig(), propertyQueues())
	if err != nil {
		t.Fatal(err)
	}
	return &driver{t: t, r: r, led: newLedger(), now: epoch, s: &opStream{b: data}}
}

func (d *driver) check(what string) {
	d.t.Helper()
	d.steps++
	d.last = append(d.last[:0], d.r.Drain()...)
	if err := d.led.add(d.last); err != nil {
		d.t.Fatalf("step %d %s: events: %v", d.steps, what, err)
	}
	if err := checkInvariants(d.r); err != nil {
		d.t.Fatalf("step %d %s: %v", d.steps, what, err)
	}
}

func (d *driver) pickContact() string {
	if len(d.contacts) == 0 {
		return "none"
	}
	return d.contacts[d.s.next(len(d.contacts))]
}

// op applies one operation; errors are expected (random operations are
// mostly illegal) and must leave the Router consistent.
func (d *driver) op() {
	r, s, now := d.r, d.s, d.now
	op := s.next(25)
	a := propAgents[s.next(len(propAgents))]
	var what string
	switch op {
	case 0, 1:
		d.now = now.Add(time.Duration(s.next(40)) * time.Second)
		r.Advance(d.now)
		what = "advance"
	case 2:
		_ = r.Login(now, AgentSpec{ID: a, Skills: propSkills[s.next(len(propSkills))]})
		what = "login " + a
	case 3:
		_ = r.Logout(now, a)
		what = "logout " + a
	case 4, 5:
		_ = r.SetReady(now, a)
		what = "ready " + a
	case 6:
		_ = r.SetNotReady(now, a, "break")
		what = "not ready " + a
	case 7, 8:
		id := fmt.Sprintf("c%d", d.nextContact)
		d.nextContact++
		d.contacts = append(d.contacts, id)
		q := propQueues[s.next(len(propQueues))]
		_ = r.Enqueue(now, ContactSpec{ID: id, Queue: q, Tier: []string{"", "gold", "diamond"}[s.next(3)]})
		what = "enqueue " + id + " " + q
	case 9, 10:
		if st, err := r.Agent(a); err == nil && st.Offer != "" {
			_ = r.Accept(now, a, st.Offer)
		}
		what = "accept " + a
	case 11:
		if st, err := r.Agent(a); err == nil && st.Offer != "" {
			_ = r.Reject(now, a, st.Offer)
		}
		what = "reject " + a
	case 12:
		c := d.pickContact()
		_ = r.Connected(now, c)
		what = "connect " + c
	case 13:
		c := d.pickContact()
		_ = r.End(now, c)
		what = "end " + c
	case 14:
		c := d.pickContact()
		_ = r.Abandon(now, c)
		what = "abandon " + c
	case 15:
		c := d.pickContact()
		_ = r.RequestCallback(now, c)
		what = "callback " + c
	case 16:
		c := d.pickContact()
		_ = r.TransferToQueue(now, c, propQueues[s.next(len(propQueues))])
		what = "transfer " + c
	case 17:
		c := d.pickContact()
		_ = r.TransferToAgent(now, c, a)
		what = "transfer to agent " + c
	case 18:
		c := d.pickContact()
		switch s.next(3) {
		case 0:
			_ = r.Consult(now, c, a)
		case 1:
			_ = r.CompleteConsult(now, c)
		case 2:
			_ = r.CancelConsult(now, c)
		}
		what = "consult " + c
	case 19:
		c := d.pickContact()
		_ = r.MoveContact(now, "sup", c, propQueues[s.next(len(propQueues))])
		what = "move " + c
	case 20:
		_ = r.SetSkills(now, "sup", a, propSkills[s.next(len(propSkills))])
		what = "skills " + a
	case 21:
		if st, err := r.Agent(a); err == nil && len(st.WrapUps) > 0 {
			if s.next(2) == 0 {
				_ = r.EndWrapUp(now, a, st.WrapUps[0])
			} else {
				_, _ = r.ExtendWrapUp(now, a, st.WrapUps[0], time.Duration(s.next(30)+1)*time.Second)
			}
		}
		what = "wrap-up " + a
	case 22:
		_ = r.ForceState(now, "sup", a, []AgentState{Ready, NotReady, LoggedOut}[s.next(3)], "coaching")
		what = "force " + a
	case 23:
		c := d.pickContact()
		_ = r.Lose(now, c, "teardown")
		what = "lose " + c
	case 24:
		c := d.pickContact()
		if s.next(2) == 0 {
			_ = r.Hold(now, c)
		} else {
			_ = r.Unhold(now, c)
		}
		what = "hold/unhold " + c
	}
	d.lastWhat = what
	d.check(what)
}

// windDown ends every live contact and logs every agent out, then checks
// that each request got exactly one outcome and nobody is left reserved.
func (d *driver) windDown() {
	t, r := d.t, d.r
	for _, id := range d.contacts {
		if st, err := r.Contact(id); err == nil {
			if st.State == "connected" {
				if st.Consult != "" {
					_ = r.CancelConsult(d.now, id)
				}
				if err := r.End(d.now, id); err != nil {
					t.Fatalf("end %s: %v", id, err)
				}
			} else if err := r.Abandon(d.now, id); err != nil {
				t.Fatalf("abandon %s (%s): %v", id, st.State, err)
			}
			d.check("wind down " + id)
		}
	}
	d.now = d.now.Add(time.Hour)
	r.Advance(d.now)
	d.check("final advance")
	for _, a := range propAgents {
		if st, err := r.Agent(a); err == nil {
			if st.State == Reserved || st.State == Busy {
				t.Fatalf("agent %s left %s with no contacts", a, st.State)
			}
			if err := r.Logout(d.now, a); err != nil {
				t.Fatalf("logout %s: %v", a, err)
			}
			d.check("logout " + a)
		}
	}
	if len(r.contacts) != 0 || len(r.agents) != 0 {
		t.Fatalf("left %d contacts, %d agents", len(r.contacts), len(r.agents))
	}
	for id, n := range d.led.requests {
		if n != 1 || d.led.outcomes[id] != 1 || !d.led.ended[id] {
			t.Fatalf("contact %s: %d requests, %d outcomes, ended=%v", id, n, d.led.outcomes[id], d.led.ended[id])
		}
	}
}

func runOps(t *testing.T, data []byte) {
	d := newDriver(t, data)
	for !d.s.done() {
		d.op()
	}
	d.windDown()
}

func TestRandomOperations(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 50
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		data := make([]byte, 600)
		for i := range data {
			data[i] = byte(rng.UintN(256))
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runOps(t, data) })
	}
}

func FuzzOperations(f *testing.F) {
	f.Add([]byte{2, 0, 0, 4, 0, 7, 0, 0, 9, 0, 12, 0, 13, 0})
	f.Add([]byte{7, 0, 0, 0, 2, 1, 1, 5, 1, 0, 11, 1, 1, 30, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4000 {
			return
		}
		runOps(t, data)
	})
}
