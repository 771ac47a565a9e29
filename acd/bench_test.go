package acd

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

// The provincial-scale world of the issue: 10 000 logged-in agents, 200
// skills (one queue each, three routing stages), 5 000 waiting contacts.
// Queues 0–99 are "hot": their 7 000 agents are all busy and the 5 000
// contacts wait there. Queues 100–199 are "cold": 3 000 agents, mostly
// ready. Each agent has 5 skills of its half, proficiency 1–10.
const (
	benchAgents   = 10000
	benchHot      = 7000
	benchSkills   = 200
	benchWaiting  = 5000
	benchSkillsPA = 5
)

type benchWorld struct {
	r         *Router
	rng       *rand.Rand
	now       time.Time
	connected []string // connected contacts, oldest first
	waiting   []string // contacts known to wait (may have gone)
	next      int
	events    int
	lat       []time.Duration
}

func benchQueues() []Queue {
	qs := make([]Queue, benchSkills)
	for i := range qs {
		half := i / 100 * 100
		alt := half + (i+1)%100
		qs[i] = Queue{ID: "q" + strconv.Itoa(i), Channel: Voice,
			Skills: []Requirement{{Skill: "s" + strconv.Itoa(i), Min: 5}},
			Steps: []Step{
				{After: 30 * time.Second, MinProficiency: 1},
				{After: 60 * time.Second, AddSkills: []Requirement{{Skill: "s" + strconv.Itoa(alt), Min: 3}}},
			}}
	}
	return qs
}

func newBenchWorld(b *testing.B) *benchWorld {
	b.Helper()
	cfg := DefaultConfig()
	cfg.WrapUp = 0
	cfg.OfferTimeout = time.Hour // offers in these benchmarks are answered
	r, err := NewRouter(cfg, benchQueues())
	if err != nil {
		b.Fatal(err)
	}
	w := &benchWorld{r: r, rng: rand.New(rand.NewPCG(1, 2)), now: epoch}
	for i := range benchAgents {
		half := 0
		if i >= benchHot {
			half = 100
		}
		skills := map[string]int{}
		for len(skills) < benchSkillsPA {
			skills["s"+strconv.Itoa(half+w.rng.IntN(100))] = 1 + w.rng.IntN(10)
		}
		id := "a" + strconv.Itoa(i)
		w.must(r.Login(w.now, AgentSpec{ID: id, Skills: skills}))
		w.must(r.SetReady(w.now, id))
		w.drain()
	}
	// Load the hot queues beyond their agents, let every routing step
	// fire so the hot agents take what they can, then top the backlog up to
	// 5 000 waiting contacts.
	for range benchHot + benchWaiting {
		w.enqueue(w.rng.IntN(100))
	}
	w.now = w.now.Add(61 * time.Second)
	w.r.Advance(w.now)
	w.drain()
	for w.r.queueWaiting(0, 100) < benchWaiting {
		w.enqueue(w.rng.IntN(100))
	}
	w.lat = make([]time.Duration, 0, 1<<20)
	return w
}

func (w *benchWorld) must(err error) {
	if err != nil {
		panic(err)
	}
}

func (r *Router) queueWaiting(from, to int) int {
	n := 0
	for _, q := range r.order[from:to] {
		n += q.waitingCount()
	}
	return n
}

// drain answers every offer at once (accept + connect) and counts events.
func (w *benchWorld) drain() {
	for {
		evs := w.r.Drain()
		if len(evs) == 0 {
			return
		}
		w.events += len(evs)
		var offers [][2]string
		for _, e := range evs {
			if e.Kind == EventOffered {
				offers = append(offers, [2]string{e.Agent, e.Contact})
			}
		}
		for _, o := range offers {
			w.must(w.r.Accept(w.now, o[0], o[1]))
			w.must(w.r.Connected(w.now, o[1]))
			w.connected = append(w.connected, o[1])
		}
	}
}

func (w *benchWorld) newID() string {
	w.next++
	return "c" + strconv.Itoa(w.next)
}

func (w *benchWorld) enqueue(q int) {
	id := w.newID()
	w.must(w.r.Enqueue(w.now, ContactSpec{ID: id, Queue: "q" + strconv.Itoa(q)}))
	if w.r.contacts[id].state == stateQueued {
		w.waiting = append(w.waiting, id)
	}
	w.drain()
}

func (w *benchWorld) timed(f func() error) {
	t0 := time.Now()
	err := f()
	w.lat = append(w.lat, time.Since(t0))
	w.must(err)
}

func (w *benchWorld) report(b *testing.B) {
	if len(w.lat) == 0 {
		return
	}
	slices.Sort(w.lat)
	q := func(p float64) float64 { return float64(w.lat[int(p*float64(len(w.lat)-1))].Nanoseconds()) }
	b.ReportMetric(q(0.50), "p50-ns")
	b.ReportMetric(q(0.99), "p99-ns")
	b.ReportMetric(q(0.999), "p999-ns")
}

// BenchmarkEnqueueToOffer: a contact arrives for a queue with ready agents
// and is offered (timed: the Enqueue call); the customer then hangs up so
// the next iteration sees the same world (untimed in the percentiles).
func BenchmarkEnqueueToOffer(b *testing.B) {
	w := newBenchWorld(b)
	b.ReportAllocs()
	for b.Loop() {
		w.now = w.now.Add(time.Millisecond)
		id := w.newID()
		q := "q" + strconv.Itoa(100+w.rng.IntN(100))
		w.timed(func() error { return w.r.Enqueue(w.now, ContactSpec{ID: id, Queue: q}) })
		if w.r.contacts[id].state != stateOffered {
			b.Fatalf("contact %s not offered", id)
		}
		w.must(w.r.Abandon(w.now, id))
		w.r.Drain()
	}
	w.report(b)
}

// BenchmarkAgentFreedToNextOffer: a hot agent ends its contact and is
// offered the best of the 5 000 waiting contacts it qualifies for (timed:
// the End call); it answers, and a new contact joins the hot queues to keep
// the backlog at 5 000.
func BenchmarkAgentFreedToNextOffer(b *testing.B) {
	w := newBenchWorld(b)
	b.ReportAllocs()
	for b.Loop() {
		w.now = w.now.Add(time.Millisecond)
		id := w.connected[0]
		w.connected = w.connected[1:]
		w.timed(func() error { return w.r.End(w.now, id) })
		w.drain()
		w.enqueue(w.rng.IntN(100))
	}
	w.report(b)
}

// BenchmarkStateChange: a ready agent goes not ready and back (timed: each
// call); going ready searches its queues for waiting contacts.
func BenchmarkStateChange(b *testing.B) {
	w := newBenchWorld(b)
	var ready []string
	for i := benchHot; i < benchAgents; i++ {
		if id := "a" + strconv.Itoa(i); w.r.agents[id].state == Ready {
			ready = append(ready, id)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := ready[i%len(ready)]
		i++
		w.timed(func() error { return w.r.SetNotReady(w.now, id, "break") })
		w.timed(func() error { return w.r.SetReady(w.now, id) })
		w.r.Drain()
	}
	w.report(b)
}

// BenchmarkMixed is a sustained mix at scale: contacts end and free their
// agents (who take the next waiting contact), contacts arrive in hot and
// cold queues, waiting customers abandon, agents take breaks, virtual time
// runs so routing steps fire. It reports the Router events per second of
// wall time and the latency of every routing command.
func BenchmarkMixed(b *testing.B) {
	w := newBenchWorld(b)
	b.ReportAllocs()
	w.events = 0
	start := time.Now()
	for b.Loop() {
		w.now = w.now.Add(5 * time.Millisecond)
		switch op := w.rng.IntN(10); {
		case op < 4 && len(w.connected) > 0: // a contact ends; its agent takes the next one
			id := w.connected[0]
			w.connected = w.connected[1:]
			w.timed(func() error { return w.r.End(w.now, id) })
		case op < 8: // a contact arrives, mostly in hot queues
			q := w.rng.IntN(100)
			if op == 7 {
				q += 100
			}
			id := w.newID()
			w.timed(func() error { return w.r.Enqueue(w.now, ContactSpec{ID: id, Queue: "q" + strconv.Itoa(q)}) })
			if w.r.contacts[id].state == stateQueued {
				w.waiting = append(w.waiting, id)
			}
		case op == 8 && len(w.waiting) > 0: // a waiting customer gives up
			i := w.rng.IntN(len(w.waiting))
			id := w.waiting[i]
			w.waiting[i] = w.waiting[len(w.waiting)-1]
			w.waiting = w.waiting[:len(w.waiting)-1]
			if c, ok := w.r.contacts[id]; ok && c.state == stateQueued {
				w.timed(func() error { return w.r.Abandon(w.now, id) })
			}
		default: // an agent takes a break or comes back
			id := "a" + strconv.Itoa(w.rng.IntN(benchAgents))
			a := w.r.agents[id]
			if a.state == NotReady {
				w.timed(func() error { return w.r.SetReady(w.now, id) })
			} else if a.ready {
				w.timed(func() error { return w.r.SetNotReady(w.now, id, "break") })
			}
		}
		w.drain()
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(w.events)/elapsed.Seconds(), "events/s")
	w.report(b)
}

// BenchmarkPositions: the places and expected waits of one hot queue's
// waiting contacts (about 50 of the 5 000), what the contact bridge asks
// for after a batch of events that moved that queue.
func BenchmarkPositions(b *testing.B) {
	w := newBenchWorld(b)
	b.ReportAllocs()
	for b.Loop() {
		ps, err := w.r.Positions("q" + strconv.Itoa(w.rng.IntN(100)))
		if err != nil || len(ps) == 0 {
			b.Fatalf("positions: %d, %v", len(ps), err)
		}
	}
}

// BenchmarkSnapshot is the engine goroutine's share of a state save at the
// issue's scale (10 000 agents, 5 000 waiting): while it runs, no offer is
// decided.
func BenchmarkSnapshot(b *testing.B) {
	w := newBenchWorld(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = w.r.Snapshot()
	}
}
