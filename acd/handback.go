package acd

import (
	"context"
	"fmt"
	"time"
)

// ReturnToQueue puts a connected contact back in its queue ahead of every
// contact waiting there, because its agent is leaving (logged out, idled
// out, gone): the customer did nothing to lose their turn. For the KPIs it
// is a new wait from now, like any transfer; the contact keeps the raised
// priority that puts it first, so an offer rejected on the way does not
// send it to the back.
func (r *Router) ReturnToQueue(now time.Time, contactID string) error {
	r.tick(now)
	c, err := r.connected(contactID, "return")
	if err != nil {
		return err
	}
	q := c.queue
	if q.staffed == 0 && !q.cfg.JoinEmpty && !q.canOverflow() {
		return fmt.Errorf("return %s: %w %s", c.id, ErrNoAgents, q.cfg.ID)
	}
	c.priority = r.frontPriority(q, c)
	a := r.transfer(c, q.cfg.ID, "")
	r.enqueue(c, q, false, "agent_left", ActorAgent, "")
	r.settle(a, ActorAgent, "", "transferred")
	return nil
}

// frontPriority is the lowest priority, at least c's own, that puts c
// (waiting from now) before every contact waiting in q under the service
// order of contact.setKey (the queue's weight is on both sides).
func (r *Router) frontPriority(q *queue, c *contact) int {
	p := c.priority
	aging := int64(r.cfg.Aging)
	for s := range q.waiting {
		for _, o := range q.waiting[s].items {
			if aging <= 0 {
				p = max(p, o.priority+1)
				continue
			}
			// now − (p+w)·aging < o.waitFrom − (o.priority+w)·aging
			need := (r.now-o.waitFrom)/aging + int64(o.priority) + 1
			p = max(p, int(need))
		}
	}
	return p
}

// ReturnToQueue is Router.ReturnToQueue on the owner goroutine.
func (e *Engine) ReturnToQueue(ctx context.Context, contactID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.ReturnToQueue(now, contactID) })
}
