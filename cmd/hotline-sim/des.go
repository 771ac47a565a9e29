package main

import (
	"container/heap"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hotline10000/hotline/acd"
)

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
		if p.OnEvents != nil {
			p.OnEvents(batch)
		}
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
				if p.OccupancyFromStart {
					measureFrom = 0
				}
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
