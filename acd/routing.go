package acd

import (
	"slices"
	"strconv"
	"time"
)

// routeContact offers a waiting contact to the best available agent
// eligible at its stage, if any: it compares the heads of the pools of
// stages 0..stage, O(stages + log n) with the reservation.
func (r *Router) routeContact(c *contact) {
	q := c.queue
	var best *membership
	for s := 0; s <= c.stage; s++ {
		if m := q.pools[s].ready.peek(); m != nil && (best == nil || q.cfg.Selection.better(m, best)) {
			best = m
		}
	}
	if best != nil {
		r.offer(c, best.a)
	}
}

// routeAgent offers an available agent the first waiting contact among the
// heads of the contact heaps it is eligible for: O(queues × stages).
func (r *Router) routeAgent(a *agent) {
	var best *contact
	for _, m := range a.members {
		q := m.p.q
		if m.pos < 0 { // not available on this queue's channel
			continue
		}
		for s := m.p.stage; s < len(q.waiting); s++ {
			if c := q.waiting[s].peek(); c != nil && (best == nil || c.before(best)) {
				best = c
			}
		}
	}
	if best != nil {
		r.offer(best, a)
	}
}

// offer reserves a for c and starts the offer timer.
func (r *Router) offer(c *contact, a *agent) {
	if c.pos >= 0 {
		c.queue.del(c)
	}
	c.state, c.agent = stateOffered, a
	r.reserve(c, a)
	e := r.contactEvent(EventOffered, c)
	e.Agent, e.Wait = a.id, c.waited(r.now)
	r.emit(e)
	r.settle(a, ActorSystem, "", "offer")
}

// reserve gives agent a the offer of c and starts its timeout.
func (r *Router) reserve(c *contact, a *agent) {
	c.offerGen, c.offerAt = r.nextGen(), r.now+int64(r.cfg.OfferTimeout)
	a.offer = c
	a.lastOffer = r.nextOrd()
	a.dirty = true
	r.timers.push(timer{at: c.offerAt, kind: timerOffer, id: c.id, gen: c.offerGen, c: c})
}

// withdrawOffer takes a pending offer back from the agent, leaving the
// contact detached; the caller requeues or ends it and settles the agent. A
// consultation offer ends the consultation; the customer stays connected.
func (r *Router) withdrawOffer(c *contact, why string) {
	if c.consult != nil && !c.consultActive {
		r.endConsult(c, why)
		return
	}
	a := c.agent
	a.offer = nil
	c.agent, c.offerGen, c.state = nil, 0, stateQueued
	e := r.contactEvent(EventOfferWithdrawn, c)
	e.Agent, e.Reason = a.id, why
	r.emit(e)
}

// requeue puts a detached contact back in its queue at its old place (its
// key keeps its entry time), or carries out an overflow or maximum wait
// that came due while it was offered.
func (r *Router) requeue(c *contact) {
	if c.state != stateQueued {
		return
	}
	if c.overflowDue {
		c.overflowDue, c.maxWaitDue = false, false
		r.overflow(c, c.queue.cfg.Steps[c.queue.overflowStep].OverflowTo, "overflow_step")
		return
	}
	c.setKey(r.cfg.Aging)
	c.queue.add(c)
	if c.maxWaitDue {
		c.maxWaitDue = false
		r.maxWaitDue(c)
	}
	if c.state == stateQueued && c.pos >= 0 {
		r.routeContact(c)
	}
}

// enqueue puts c into q as a fresh entry into that queue.
func (r *Router) enqueue(c *contact, q *queue, first bool, why, actor, by string) {
	c.queue, c.stage, c.state, c.agent = q, 0, stateQueued, nil
	c.queueGen, c.queueTimers = r.nextGen(), true
	c.enteredQueue = r.now
	c.overflowDue, c.maxWaitDue = false, false
	if first {
		c.requestQueue = q.cfg.ID
	}
	e := r.contactEvent(EventQueued, c)
	e.FirstEntry, e.Reason, e.Actor, e.By = first, why, actor, by
	r.emit(e)
	if q.staffed == 0 && !q.cfg.JoinEmpty && !q.canOverflow() {
		r.lose(c, Hangup, "no_agents")
		return
	}
	if len(q.cfg.Steps) > 0 {
		r.timers.push(timer{at: r.now + int64(q.cfg.Steps[0].After), kind: timerStep, id: c.id, gen: c.queueGen, c: c})
	}
	if q.cfg.MaxWait > 0 && !c.callback {
		r.timers.push(timer{at: r.now + int64(q.cfg.MaxWait), kind: timerMaxWait, id: c.id, gen: c.queueGen, c: c})
	}
	c.setKey(r.cfg.Aging)
	q.add(c)
	r.routeContact(c)
}

func (r *Router) stepDue(c *contact, i int) {
	if c.state == stateConnected {
		return // with an agent: steps no longer matter in this queue
	}
	// Offered or accepted (the agent leg connecting), the contact may
	// still come back to its place: the step is booked for then.
	q := c.queue
	st := q.cfg.Steps[i]
	if i+1 < len(q.cfg.Steps) {
		r.timers.push(timer{at: c.enteredQueue + int64(q.cfg.Steps[i+1].After), kind: timerStep, id: c.id, gen: c.queueGen, step: i + 1, c: c})
	}
	if st.OverflowTo != "" {
		switch c.state {
		case stateQueued:
			r.overflow(c, st.OverflowTo, "overflow_step")
		default:
			c.overflowDue = true
		}
		return
	}
	e := r.contactEvent(EventStepReached, c)
	e.Reason, e.Wait = stepName(i), c.waited(r.now)
	r.emit(e)
	if c.pos >= 0 {
		q.del(c)
		c.stage++
		q.add(c)
		r.routeContact(c)
		return
	}
	c.stage++
}

func stepName(i int) string { return "step_" + strconv.Itoa(i+1) }

func (r *Router) maxWaitDue(c *contact) {
	if c.callback {
		return // callbacks keep their place until served
	}
	switch c.state {
	case stateOffered, stateAccepted:
		// It may come back to its place (a rejected offer, an agent leg
		// that never connected): the maximum wait applies then.
		c.maxWaitDue = true
		return
	case stateQueued:
	default:
		return
	}
	q := c.queue
	switch q.cfg.OnMaxWait {
	case Overflow:
		r.overflow(c, q.cfg.OverflowTo, "max_wait")
	case OfferCallback:
		r.toCallback(c, "", ActorSystem)
	default:
		r.lose(c, q.cfg.OnMaxWait, "max_wait")
	}
}

// overflow moves a queued contact to another queue keeping its entry time:
// not a new agent request.
func (r *Router) overflow(c *contact, to, why string) {
	r.detachWaiting(c)
	e := r.contactEvent(EventTransferred, c)
	e.Target, e.Reason, e.Actor = to, why, ActorSystem
	r.emit(e)
	r.enqueue(c, r.queues[to], false, why, ActorSystem, "")
}

func (r *Router) detachWaiting(c *contact) {
	if c.pos >= 0 {
		c.queue.del(c)
	}
}

func (r *Router) offerTimeout(c *contact) {
	if b := c.consult; b != nil && !c.consultActive {
		r.emit(Event{Kind: EventOfferTimeout, Contact: c.id, Channel: c.channel, Agent: b.id, Reason: "consult"})
		r.endConsult(c, "offer_timeout")
		b.ready, b.reason = false, "missed"
		r.settle(b, ActorSystem, "", "missed")
		return
	}
	a := c.agent
	e := r.contactEvent(EventOfferTimeout, c)
	e.Agent, e.Wait = a.id, c.waited(r.now)
	r.emit(e)
	a.offer = nil
	c.agent, c.state, c.offerGen = nil, stateQueued, 0
	a.ready, a.reason = false, "missed"
	r.settle(a, ActorSystem, "", "missed")
	r.requeue(c)
}

// lose ends a contact that is not connected with a lost event.
func (r *Router) lose(c *contact, act Action, why string) {
	r.detachWaiting(c)
	e := r.contactEvent(EventLost, c)
	e.Action, e.Reason, e.Wait = act, why, c.waited(r.now)
	if !c.settled {
		e.Outcome, c.settled = SystemLost, true
	}
	if c.agent != nil {
		e.Agent = c.agent.id
	}
	r.emit(e)
	r.drop(c)
}

// loseAll loses every contact waiting in q.
func (r *Router) loseAll(q *queue, why string) {
	var all []*contact
	for s := range q.waiting {
		all = append(all, q.waiting[s].items...)
	}
	sortContacts(all)
	for _, c := range all {
		r.lose(c, Hangup, why)
	}
}

func sortContacts(cs []*contact) {
	slices.SortFunc(cs, func(a, b *contact) int {
		if a.before(b) {
			return -1
		}
		if b.before(a) {
			return 1
		}
		return 0
	})
}

// drop forgets a finished contact.
func (r *Router) drop(c *contact) {
	delete(r.contacts, c.id)
	c.state = stateDone
}

func (c *contact) waited(now int64) time.Duration { return time.Duration(now - c.waitFrom) }
