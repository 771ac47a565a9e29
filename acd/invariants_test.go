package acd

import (
	"fmt"
)

// checkInvariants verifies the Router's internal consistency; tests call it
// after every command.
func checkInvariants(r *Router) error {
	for id, c := range r.contacts {
		if c.id != id {
			return fmt.Errorf("contact %s stored as %s", c.id, id)
		}
		switch c.state {
		case stateQueued:
			if c.pos < 0 || c.queue.waiting[c.stage].items[c.pos] != c {
				return fmt.Errorf("queued contact %s not in its heap", c.id)
			}
			if c.agent != nil {
				return fmt.Errorf("queued contact %s has agent %s", c.id, c.agent.id)
			}
		case stateOffered:
			if c.pos >= 0 {
				return fmt.Errorf("offered contact %s still waiting", c.id)
			}
			if c.agent == nil || c.agent.offer != c || r.agents[c.agent.id] != c.agent {
				return fmt.Errorf("offered contact %s: agent does not hold the offer", c.id)
			}
			if !r.hasTimer(timerOffer, c.offerGen) {
				return fmt.Errorf("offered contact %s has no offer timer: agent stuck reserved", c.id)
			}
		case stateAccepted, stateConnected:
			if c.pos >= 0 || c.agent == nil || !c.agent.holds(c) {
				return fmt.Errorf("%s contact %s not held by its agent", c.state, c.id)
			}
		default:
			return fmt.Errorf("live contact %s in state %s", c.id, c.state)
		}
		if c.held && (c.state != stateConnected || c.heldAt > r.now) {
			return fmt.Errorf("contact %s held while %s", c.id, c.state)
		}
		if !c.held && c.heldAt != 0 {
			return fmt.Errorf("contact %s not held but has a hold start", c.id)
		}
		if c.consult != nil {
			if c.state != stateConnected {
				return fmt.Errorf("consult on %s contact %s", c.state, c.id)
			}
			if c.consultActive != c.consult.holds(c) || (!c.consultActive && c.consult.offer != c) {
				return fmt.Errorf("consult of %s inconsistent", c.id)
			}
		}
	}
	for id, a := range r.agents {
		if a.id != id {
			return fmt.Errorf("agent %s stored as %s", a.id, id)
		}
		v, ch := 0, 0
		for _, c := range a.active {
			if r.contacts[c.id] != c {
				return fmt.Errorf("agent %s holds dead contact %s", a.id, c.id)
			}
			if c.channel == Voice {
				v++
			} else {
				ch++
			}
		}
		if v != a.voice || ch != a.chat {
			return fmt.Errorf("agent %s counts voice=%d chat=%d, holds %d/%d", a.id, a.voice, a.chat, v, ch)
		}
		if a.voice > a.capacity.Voice || a.chat > a.capacity.Chat {
			return fmt.Errorf("agent %s over capacity: voice=%d chat=%d", a.id, a.voice, a.chat)
		}
		if o := a.offer; o != nil && r.contacts[o.id] != o {
			return fmt.Errorf("agent %s offered dead contact %s", a.id, o.id)
		}
		if a.listedVoice != a.available(Voice) || a.listedChat != a.available(Chat) {
			return fmt.Errorf("agent %s listing out of date", a.id)
		}
		if a.state != a.derivedState() {
			return fmt.Errorf("agent %s shows %s, is %s", a.id, a.state, a.derivedState())
		}
		for _, m := range a.members {
			listed := (m.p.q.cfg.Channel == Voice && a.listedVoice) || (m.p.q.cfg.Channel == Chat && a.listedChat)
			if listed != (m.pos >= 0) {
				return fmt.Errorf("agent %s membership in %s listed=%v pos=%d", a.id, m.p.q.cfg.ID, listed, m.pos)
			}
		}
	}
	// Work conservation: no contact waits while an agent eligible for it is
	// available.
	for _, q := range r.order {
		ready := false
		staffed := 0
		for s := range q.waiting {
			ready = ready || len(q.pools[s].ready.items) > 0
			if ready && len(q.waiting[s].items) > 0 {
				return fmt.Errorf("queue %s stage %d: contact %s waits while agent %s is available",
					q.cfg.ID, s, q.waiting[s].items[0].id, firstReady(q, s).a.id)
			}
			for _, m := range q.pools[s].ready.items {
				if !m.a.available(q.cfg.Channel) {
					return fmt.Errorf("unavailable agent %s listed in %s", m.a.id, q.cfg.ID)
				}
			}
		}
		willing := 0
		for _, a := range r.agents {
			for _, m := range a.members {
				if m.p.q == q {
					staffed++
					if a.ready && !a.loggingOut {
						willing++
					}
				}
			}
		}
		if staffed != q.staffed {
			return fmt.Errorf("queue %s staffed %d, counted %d", q.cfg.ID, q.staffed, staffed)
		}
		if willing != q.willing {
			return fmt.Errorf("queue %s willing %d, counted %d", q.cfg.ID, q.willing, willing)
		}
	}
	return nil
}

func firstReady(q *queue, upto int) *membership {
	for s := 0; s <= upto; s++ {
		if m := q.pools[s].ready.peek(); m != nil {
			return m
		}
	}
	return nil
}

func (a *agent) holds(c *contact) bool {
	for _, x := range a.active {
		if x == c {
			return true
		}
	}
	return false
}

func (r *Router) hasTimer(kind timerKind, gen uint64) bool {
	for _, t := range r.timers.items {
		if t.kind == kind && t.gen == gen && t.at >= r.now {
			return true
		}
	}
	return false
}

// outcomeLedger follows an event stream and checks the KPI contract: gapless
// sequence numbers, one agent request per contact, exactly one outcome per
// request, nothing after a contact's end.
type outcomeLedger struct {
	seq      uint64
	requests map[string]int
	outcomes map[string]int
	ended    map[string]bool
	offers   map[string]string // contact → agent with pending offer
	held     map[string]string // contact → agent holding it on hold
}

func newLedger() *outcomeLedger {
	return &outcomeLedger{requests: map[string]int{}, outcomes: map[string]int{}, ended: map[string]bool{}, offers: map[string]string{},
		held: map[string]string{}}
}

func (l *outcomeLedger) add(evs []Event) error {
	for _, e := range evs {
		if e.Seq != l.seq+1 {
			return fmt.Errorf("event seq %d after %d", e.Seq, l.seq)
		}
		l.seq = e.Seq
		if e.Contact == "" || e.Kind == EventWrapUpStarted || e.Kind == EventWrapUpEnded {
			continue
		}
		if l.ended[e.Contact] {
			return fmt.Errorf("event %s for contact %s after its end", e.Kind, e.Contact)
		}
		switch e.Kind {
		case EventHoldStarted:
			if _, ok := l.held[e.Contact]; ok {
				return fmt.Errorf("contact %s put on hold twice", e.Contact)
			}
			l.held[e.Contact] = e.Agent
		case EventHoldEnded:
			if l.held[e.Contact] != e.Agent || e.Wait < 0 {
				return fmt.Errorf("hold of %s ended by %s (held by %q) after %v", e.Contact, e.Agent, l.held[e.Contact], e.Wait)
			}
			delete(l.held, e.Contact)
		case EventEnded, EventTransferred:
			if ag, ok := l.held[e.Contact]; ok {
				return fmt.Errorf("contact %s %s while on hold with %s", e.Contact, e.Kind, ag)
			}
		}
		switch e.Kind {
		case EventQueued:
			if e.FirstEntry {
				l.requests[e.Contact]++
				if l.requests[e.Contact] > 1 {
					return fmt.Errorf("contact %s requested twice", e.Contact)
				}
			}
		case EventOffered:
			if e.Reason == "consult" {
				continue
			}
			if ag, ok := l.offers[e.Contact]; ok {
				return fmt.Errorf("contact %s offered to %s while offered to %s", e.Contact, e.Agent, ag)
			}
			l.offers[e.Contact] = e.Agent
		case EventAccepted, EventRejected, EventOfferTimeout, EventOfferWithdrawn:
			if e.Reason == "consult" {
				continue
			}
			if l.offers[e.Contact] != e.Agent {
				return fmt.Errorf("%s of contact %s by %s, offer was to %q", e.Kind, e.Contact, e.Agent, l.offers[e.Contact])
			}
			delete(l.offers, e.Contact)
		case EventAbandoned, EventLost:
			if _, ok := l.offers[e.Contact]; ok {
				return fmt.Errorf("contact %s ended with an offer pending", e.Contact)
			}
		}
		if e.Outcome != NoOutcome {
			l.outcomes[e.Contact]++
			if l.outcomes[e.Contact] > 1 {
				return fmt.Errorf("contact %s has a second outcome %s", e.Contact, e.Outcome)
			}
		}
		switch e.Kind {
		case EventEnded, EventAbandoned, EventLost:
			l.ended[e.Contact] = true
			if l.outcomes[e.Contact] != 1 || l.requests[e.Contact] != 1 {
				return fmt.Errorf("contact %s ended with %d requests, %d outcomes", e.Contact, l.requests[e.Contact], l.outcomes[e.Contact])
			}
		}
	}
	return nil
}
