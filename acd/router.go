package acd

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Router is the ACD state machine. It is not safe for concurrent use: one
// goroutine owns it (Engine, the simulator, a test). Every command takes the
// current time; timers due at or before that time fire first, in deadline
// order. Time never runs backwards: an earlier time is taken as the last one
// seen. A command that returns an error has changed nothing.
type Router struct {
	cfg      Config
	queues   map[string]*queue
	order    []*queue
	bySkill  map[string][]*queue
	agents   map[string]*agent
	contacts map[string]*contact
	timers   timerHeap
	now      int64
	seq      uint64 // last event sequence number
	ord      uint64 // last ordinal given to an agent, contact or offer
	gen      uint64 // last timer generation
	events   []Event
}

// NewRouter validates cfg and queues and returns an empty Router.
func NewRouter(cfg Config, queues []Queue) (*Router, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := validateQueues(queues); err != nil {
		return nil, err
	}
	tiers := make(map[string]int, len(cfg.TierPriority))
	for k, v := range cfg.TierPriority {
		tiers[k] = v
	}
	cfg.TierPriority = tiers
	r := &Router{
		cfg:      cfg,
		queues:   make(map[string]*queue, len(queues)),
		bySkill:  map[string][]*queue{},
		agents:   map[string]*agent{},
		contacts: map[string]*contact{},
	}
	for _, qc := range queues {
		q := newQueue(qc)
		r.queues[qc.ID] = q
		r.order = append(r.order, q)
		seen := map[string]bool{}
		for _, s := range q.skills() {
			if !seen[s] {
				seen[s] = true
				r.bySkill[s] = append(r.bySkill[s], q)
			}
		}
	}
	return r, nil
}

// Config returns the configuration the Router runs with.
func (r *Router) Config() Config { return r.cfg }

// Now is the latest time the Router has seen.
func (r *Router) Now() time.Time { return time.Unix(0, r.now).UTC() }

// Drain returns the events recorded since the last Drain, oldest first. The
// slice is reused by the Router: consume it before the next command.
func (r *Router) Drain() []Event {
	ev := r.events
	r.events = r.events[:0]
	return ev
}

// NextDeadline is the earliest pending timer, if any. Cancelled timers may
// make it early; Advance to it is then a no-op.
func (r *Router) NextDeadline() (time.Time, bool) {
	if len(r.timers.items) == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, r.timers.items[0].at).UTC(), true
}

// Advance fires every timer due at or before now.
func (r *Router) Advance(now time.Time) {
	r.tick(now)
}

// tick moves the clock to now, firing due timers at their own deadlines.
func (r *Router) tick(now time.Time) {
	n := now.UnixNano()
	for len(r.timers.items) > 0 && r.timers.items[0].at <= n {
		t := r.timers.pop()
		if t.at > r.now {
			r.now = t.at
		}
		r.fire(t)
	}
	if n > r.now {
		r.now = n
	}
}

func (r *Router) nextGen() uint64 { r.gen++; return r.gen }
func (r *Router) nextOrd() uint64 { r.ord++; return r.ord }

func (r *Router) emit(e Event) {
	r.seq++
	e.Seq = r.seq
	e.At = time.Unix(0, r.now).UTC()
	r.events = append(r.events, e)
}

// contactEvent fills the fields every contact event carries.
func (r *Router) contactEvent(kind EventKind, c *contact) Event {
	e := Event{Kind: kind, Contact: c.id, Channel: c.channel, Tier: c.tier, Customer: c.customer,
		Priority: c.priority, RequestQueue: c.requestQueue, Callback: c.callback}
	if c.queue != nil {
		e.Queue = c.queue.cfg.ID
	}
	return e
}

func (r *Router) fire(t timer) {
	switch t.kind {
	case timerWrapUp:
		a := t.a
		if r.agents[a.id] != a {
			return
		}
		for i := range a.wraps {
			if a.wraps[i].gen == t.gen {
				r.endWrapUp(a, i, ActorSystem, "timeout")
				return
			}
		}
	case timerOffer:
		c := t.c
		if r.contacts[c.id] != c || c.offerGen != t.gen {
			return
		}
		r.offerTimeout(c)
	case timerStep:
		c := t.c
		if r.contacts[c.id] != c || c.queueGen != t.gen {
			return
		}
		r.stepDue(c, t.step)
	case timerMaxWait:
		c := t.c
		if r.contacts[c.id] != c || c.queueGen != t.gen {
			return
		}
		r.maxWaitDue(c)
	}
}

func (r *Router) queue(id string) (*queue, error) {
	q, ok := r.queues[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownQueue, id)
	}
	return q, nil
}

func (r *Router) agent(id string) (*agent, error) {
	a, ok := r.agents[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownAgent, id)
	}
	return a, nil
}

func (r *Router) contact(id string) (*contact, error) {
	c, ok := r.contacts[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownContact, id)
	}
	return c, nil
}

// sortedAgents lists agents in login order, for deterministic output.
func (r *Router) sortedAgents() []*agent {
	out := make([]*agent, 0, len(r.agents))
	for _, a := range r.agents {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *agent) int { return cmp.Compare(a.ord, b.ord) })
	return out
}
