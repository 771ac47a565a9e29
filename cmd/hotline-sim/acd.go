package main

import (
	"container/heap"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hotline10000/hotline/acd"
)

// acdParams are the simulation's inputs; see parseACDFlags for meanings.
type acdParams struct {
	Agents      int     `json:"agents"`
	Rate        float64 `json:"rate_per_hour"`
	AHT         float64 `json:"aht_s"`
	Patience    float64 `json:"patience_s"`
	SLThreshold float64 `json:"sl_threshold_s"`
	Contacts    int     `json:"contacts"`
	Warmup      int     `json:"warmup"`
	Seed        uint64  `json:"seed"`
	Runs        int     `json:"runs"`
	VIPShare    float64 `json:"vip_share"`
	Ring        float64 `json:"ring_s"`
	WrapUp      float64 `json:"wrap_up_s"`
	Aging       float64 `json:"aging_s"`
}

func parseACDFlags(args []string, stderr io.Writer) (acdParams, error) {
	fs := flag.NewFlagSet("acd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var p acdParams
	fs.IntVar(&p.Agents, "agents", 10, "agents logged in and ready")
	fs.Float64Var(&p.Rate, "rate", 100, "Poisson arrivals per hour")
	fs.Float64Var(&p.AHT, "aht", 300, "mean handle (talk) time in seconds, exponential")
	fs.Float64Var(&p.Patience, "patience", 0, "mean patience in seconds, exponential; 0 = never abandon")
	fs.Float64Var(&p.SLThreshold, "sl-threshold", 20, "service-level threshold in seconds")
	fs.IntVar(&p.Contacts, "contacts", 100000, "contacts per run (after warm-up)")
	fs.IntVar(&p.Warmup, "warmup", -1, "contacts simulated before measuring; -1 = contacts/10")
	fs.Uint64Var(&p.Seed, "seed", 1, "random seed of the first run")
	fs.IntVar(&p.Runs, "runs", 1, "independent runs (seeds seed…seed+runs−1); >1 adds 95 % confidence intervals")
	fs.Float64Var(&p.VIPShare, "vip-share", 0, "fraction of contacts with top priority")
	fs.Float64Var(&p.Ring, "ring", 0, "seconds an agent's phone rings before the agent accepts")
	fs.Float64Var(&p.WrapUp, "wrap-up", 0, "after-contact work in seconds (fixed)")
	fs.Float64Var(&p.Aging, "aging", 0, "seconds of wait worth one priority point; 0 = strict priority")
	if err := fs.Parse(args); err != nil {
		return p, err
	}
	if p.Warmup < 0 {
		p.Warmup = p.Contacts / 10
	}
	if err := p.validate(); err != nil {
		fmt.Fprintln(stderr, "hotline-sim acd:", err)
		return p, err
	}
	return p, nil
}

func (p acdParams) validate() error {
	switch {
	case p.Agents < 1 || p.Agents > 100000:
		return errors.New("--agents must be in [1, 100000]")
	case p.Rate <= 0, p.AHT <= 0:
		return errors.New("--rate and --aht must be positive")
	case p.Patience < 0, p.Ring < 0, p.WrapUp < 0, p.Aging < 0, p.SLThreshold < 0:
		return errors.New("durations must not be negative")
	case p.Contacts < 1 || p.Runs < 1 || p.Runs > 1000:
		return errors.New("--contacts must be positive and --runs in [1, 1000]")
	case p.VIPShare < 0 || p.VIPShare > 1:
		return errors.New("--vip-share must be in [0, 1]")
	case p.Patience == 0 && p.Rate*p.AHT/3600 >= float64(p.Agents):
		return fmt.Errorf("load %.2f erlangs ≥ %d agents with no abandonment: the queue grows without bound", p.Rate*p.AHT/3600, p.Agents)
	}
	return nil
}

// report is the one JSON object the simulator prints.
type report struct {
	Params       acdParams                 `json:"params"`
	Offered      float64                   `json:"offered"`
	Answered     float64                   `json:"answered"`
	Abandoned    float64                   `json:"abandoned"`
	ServiceLevel float64                   `json:"service_level"`
	ASA          float64                   `json:"asa_s"`
	AbandonRate  float64                   `json:"abandon_rate"`
	Occupancy    float64                   `json:"occupancy"`
	ByPriority   map[string]priorityReport `json:"by_priority,omitempty"`
	CI95         map[string]float64        `json:"ci95,omitempty"`
	Theory       map[string]any            `json:"theory"`
	// Speed of the simulation itself.
	RouterEvents int64   `json:"router_events"`
	WallSeconds  float64 `json:"wall_s"`
	EventsPerSec float64 `json:"router_events_per_s"`
}

type priorityReport struct {
	Offered  float64 `json:"offered"`
	Answered float64 `json:"answered"`
	ASA      float64 `json:"asa_s"`
}

// runResult is one replication.
type runResult struct {
	offered, answered, abandoned, withinSL int
	waitSum                                float64
	occupancy                              float64
	byPrio                                 map[string]*prioAcc
	events                                 int64
}

type prioAcc struct {
	offered, answered int
	waitSum           float64
}

func simulate(p acdParams) (report, error) {
	rep := report{Params: p, Theory: theory(p)}
	start := time.Now()
	metrics := map[string][]float64{}
	prio := map[string][3][]float64{}
	for i := range p.Runs {
		res, err := simulateOnce(p, p.Seed+uint64(i))
		if err != nil {
			return rep, err
		}
		rep.RouterEvents += res.events
		off := float64(res.offered)
		add := func(k string, v float64) { metrics[k] = append(metrics[k], v) }
		add("offered", off)
		add("answered", float64(res.answered))
		add("abandoned", float64(res.abandoned))
		add("service_level", float64(res.withinSL)/off)
		add("asa_s", res.waitSum/math.Max(1, float64(res.answered)))
		add("abandon_rate", float64(res.abandoned)/off)
		add("occupancy", res.occupancy)
		for name, acc := range res.byPrio {
			v := prio[name]
			v[0] = append(v[0], float64(acc.offered))
			v[1] = append(v[1], float64(acc.answered))
			v[2] = append(v[2], acc.waitSum/math.Max(1, float64(acc.answered)))
			prio[name] = v
		}
	}
	rep.WallSeconds = time.Since(start).Seconds()
	rep.EventsPerSec = float64(rep.RouterEvents) / rep.WallSeconds
	mean := func(k string) float64 { m, _ := meanCI(metrics[k]); return m }
	rep.Offered, rep.Answered, rep.Abandoned = mean("offered"), mean("answered"), mean("abandoned")
	rep.ServiceLevel, rep.ASA = mean("service_level"), mean("asa_s")
	rep.AbandonRate, rep.Occupancy = mean("abandon_rate"), mean("occupancy")
	if p.Runs > 1 {
		rep.CI95 = map[string]float64{}
		for _, k := range []string{"service_level", "asa_s", "abandon_rate", "occupancy"} {
			_, rep.CI95[k] = meanCI(metrics[k])
		}
	}
	if p.VIPShare > 0 {
		rep.ByPriority = map[string]priorityReport{}
		for name, v := range prio {
			o, _ := meanCI(v[0])
			a, _ := meanCI(v[1])
			w, _ := meanCI(v[2])
			rep.ByPriority[name] = priorityReport{Offered: o, Answered: a, ASA: w}
		}
	}
	return rep, nil
}

// meanCI is the mean of independent replications and the half-width of its
// 95 % confidence interval (Student t with n−1 degrees of freedom).
func meanCI(xs []float64) (mean, half float64) {
	n := float64(len(xs))
	for _, x := range xs {
		mean += x
	}
	mean /= n
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / (n - 1))
	return mean, tQuantile975(len(xs)-1) * sd / math.Sqrt(n)
}

// tQuantile975 is the 97.5 % quantile of Student's t distribution.
func tQuantile975(df int) float64 {
	table := []float64{0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}
	if df < len(table) {
		return table[df]
	}
	return 1.96 + 2.4/float64(df) // within 0.005 of the exact value beyond 30
}

func theory(p acdParams) map[string]any {
	lambda := p.Rate / 3600
	out := map[string]any{}
	if p.VIPShare > 0 || p.Ring > 0 || p.WrapUp > 0 {
		out["note"] = "Erlang models assume one class, no ring time and no wrap-up; compare with care"
	}
	if p.Patience == 0 {
		out["model"] = "erlang_c"
		out["erlang_c"] = erlangCModel(p.Agents, lambda, p.AHT, p.SLThreshold)
	} else {
		out["model"] = "erlang_a"
		out["erlang_a"] = erlangAModel(p.Agents, lambda, p.AHT, p.Patience)
	}
	return out
}

// The discrete-event simulation. The simulator owns customer behaviour
// (arrivals, patience, talk time) and agent behaviour (ring, accept); the
// acd.Router owns every routing decision and its own timers.

type simKind uint8

const (
	simArrival simKind = iota
	simPatience
	simAccept
	simHangup
)

type simEvent struct {
	at      int64
	kind    simKind
	contact int
	agent   string
}

type simQueue []simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].kind < q[j].kind
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type simContact struct {
	arrival  int64
	vip      bool
	answered bool
	done     bool
}

var simEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func secs(s float64) int64 { return int64(s * float64(time.Second)) }

func simulateOnce(p acdParams, seed uint64) (runResult, error) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	cfg := acd.DefaultConfig()
	cfg.TierPriority = map[string]int{"": 0, "vip": 1}
	cfg.Aging = time.Duration(secs(p.Aging))
	cfg.WrapUp = time.Duration(secs(p.WrapUp))
	cfg.WrapUpCap = cfg.WrapUp
	// Simulated agents answer within the ring time; the timeout only
	// guards against a ring longer than it.
	cfg.OfferTimeout = max(time.Duration(secs(p.Ring))*2, time.Minute)
	q := acd.Queue{ID: "Q", Channel: acd.Voice, Skills: []acd.Requirement{{Skill: "s", Min: 1}},
		SLThreshold: time.Duration(secs(p.SLThreshold)), JoinEmpty: true}
	r, err := acd.NewRouter(cfg, []acd.Queue{q})
	if err != nil {
		return runResult{}, err
	}
	res := runResult{byPrio: map[string]*prioAcc{"vip": {}, "standard": {}}}
	at := func(n int64) time.Time { return simEpoch.Add(time.Duration(n)) }
	for i := range p.Agents {
		id := "a" + strconv.Itoa(i)
		if err := r.Login(at(0), acd.AgentSpec{ID: id, Skills: map[string]int{"s": 5}}); err != nil {
			return res, err
		}
		if err := r.SetReady(at(0), id); err != nil {
			return res, err
		}
	}
	r.Drain()

	total := p.Warmup + p.Contacts
	contacts := make([]simContact, 0, total)
	events := &simQueue{}
	meanGap := 3600 / p.Rate
	heap.Push(events, simEvent{at: secs(rng.ExpFloat64() * meanGap), kind: simArrival})
	threshold := secs(p.SLThreshold)

	// Occupancy (EF03): (busy + wrap-up) / (busy + wrap-up + ready) agent
	// time, integrated over the measurement window from the agent state
	// events.
	var measureFrom, measureTo int64 = -1, -1
	counts := map[acd.AgentState]int{acd.Ready: p.Agents}
	var lastT int64
	var occWork, occAll float64
	integrate := func(t int64) {
		if measureFrom >= 0 {
			from, to := max(lastT, measureFrom), t
			if measureTo >= 0 {
				to = min(to, measureTo)
			}
			if to > from {
				dt := float64(to - from)
				work := float64(counts[acd.Busy] + counts[acd.WrapUp])
				occWork += work * dt
				occAll += (work + float64(counts[acd.Ready])) * dt
			}
		}
		lastT = t
	}
	contactIndex := func(id string) int {
		n, _ := strconv.Atoi(id[1:])
		return n
	}
	measured := func(i int) bool { return i >= p.Warmup }

	var handle func(evs []acd.Event) error
	handle = func(evs []acd.Event) error {
		// Copy: the Router reuses its buffer on the next command.
		batch := append([]acd.Event(nil), evs...)
		res.events += int64(len(batch))
		for _, e := range batch {
			now := e.At.Sub(simEpoch).Nanoseconds()
			switch e.Kind {
			case acd.EventAgentStateChanged:
				integrate(now)
				counts[e.PrevState]--
				counts[e.State]++
				if e.State == acd.NotReady && e.Reason == "missed" {
					if err := r.SetReady(e.At, e.Agent); err != nil {
						return err
					}
					if err := handle(r.Drain()); err != nil {
						return err
					}
				}
			case acd.EventOffered:
				if p.Ring > 0 {
					heap.Push(events, simEvent{at: now + secs(p.Ring), kind: simAccept, contact: contactIndex(e.Contact), agent: e.Agent})
					continue
				}
				if err := acceptAndTalk(r, e.At, e.Agent, e.Contact); err != nil {
					return err
				}
				if err := handle(r.Drain()); err != nil {
					return err
				}
			case acd.EventAnswered:
				i := contactIndex(e.Contact)
				contacts[i].answered = true
				heap.Push(events, simEvent{at: now + secs(rng.ExpFloat64()*p.AHT), kind: simHangup, contact: i})
				if measured(i) {
					res.answered++
					res.waitSum += e.Wait.Seconds()
					if e.Wait.Nanoseconds() <= threshold {
						res.withinSL++
					}
					acc := res.byPrio[prioName(contacts[i].vip)]
					acc.answered++
					acc.waitSum += e.Wait.Seconds()
				}
			case acd.EventAbandoned, acd.EventLost:
				i := contactIndex(e.Contact)
				contacts[i].done = true
				if measured(i) && e.Outcome == acd.Abandoned {
					res.abandoned++
				}
			case acd.EventEnded:
				contacts[contactIndex(e.Contact)].done = true
			}
		}
		return nil
	}

	for events.Len() > 0 || hasDeadline(r) {
		next := int64(math.MaxInt64)
		if events.Len() > 0 {
			next = (*events)[0].at
		}
		if d, ok := r.NextDeadline(); ok && d.Sub(simEpoch).Nanoseconds() <= next {
			r.Advance(d)
			if err := handle(r.Drain()); err != nil {
				return res, err
			}
			continue
		}
		ev := heap.Pop(events).(simEvent)
		now := at(ev.at)
		switch ev.kind {
		case simArrival:
			i := len(contacts)
			vip := p.VIPShare > 0 && rng.Float64() < p.VIPShare
			contacts = append(contacts, simContact{arrival: ev.at, vip: vip})
			if i == p.Warmup {
				measureFrom = ev.at
				integrate(ev.at)
			}
			if measured(i) {
				res.offered++
				res.byPrio[prioName(vip)].offered++
			}
			tier := ""
			if vip {
				tier = "vip"
			}
			if err := r.Enqueue(now, acd.ContactSpec{ID: "c" + strconv.Itoa(i), Queue: "Q", Tier: tier}); err != nil {
				return res, err
			}
			if p.Patience > 0 {
				heap.Push(events, simEvent{at: ev.at + secs(rng.ExpFloat64()*p.Patience), kind: simPatience, contact: i})
			}
			if len(contacts) < total {
				heap.Push(events, simEvent{at: ev.at + secs(rng.ExpFloat64()*meanGap), kind: simArrival})
			} else {
				measureTo = ev.at
			}
		case simPatience:
			c := &contacts[ev.contact]
			if !c.answered && !c.done {
				if err := r.Abandon(now, "c"+strconv.Itoa(ev.contact)); err != nil {
					return res, err
				}
			}
		case simAccept:
			c := contacts[ev.contact]
			if !c.done && !c.answered {
				if err := acceptAndTalk(r, now, ev.agent, "c"+strconv.Itoa(ev.contact)); err != nil && !errors.Is(err, acd.ErrNoOffer) {
					return res, err
				}
			}
		case simHangup:
			if err := r.End(now, "c"+strconv.Itoa(ev.contact)); err != nil {
				return res, err
			}
		}
		if err := handle(r.Drain()); err != nil {
			return res, err
		}
	}
	integrate(measureTo)
	if occAll > 0 {
		res.occupancy = occWork / occAll
	}
	return res, nil
}

func hasDeadline(r *acd.Router) bool {
	_, ok := r.NextDeadline()
	return ok
}

func acceptAndTalk(r *acd.Router, now time.Time, agent, contact string) error {
	if err := r.Accept(now, agent, contact); err != nil {
		return err
	}
	return r.Connected(now, contact)
}

func prioName(vip bool) string {
	if vip {
		return "vip"
	}
	return "standard"
}
