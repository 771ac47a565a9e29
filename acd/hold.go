package acd

import "time"

// Hold puts a connected contact on hold: the customer waits (music on a
// call) while the agent stays busy with it. Hold is part of handle time
// (KPIS.md EF01, EF03: talk + hold + after-contact work): the hold_ended
// event carries each hold's length, and the ended or transferred event
// that closes the agent's handling carries the agent's total hold on the
// contact, so talk = connected time − hold. A consultation may run while
// the customer is on hold.
func (r *Router) Hold(now time.Time, contactID string) error {
	r.tick(now)
	c, err := r.contact(contactID)
	if err != nil {
		return err
	}
	if c.state != stateConnected {
		return illegal("hold", c.id, c.state.String())
	}
	if c.held {
		return illegal("hold", c.id, "held")
	}
	c.held, c.heldAt = true, r.now
	e := r.contactEvent(EventHoldStarted, c)
	e.Agent, e.Actor = c.agent.id, ActorAgent
	r.emit(e)
	return nil
}

// Unhold takes a contact off hold: agent and customer talk again.
func (r *Router) Unhold(now time.Time, contactID string) error {
	r.tick(now)
	c, err := r.contact(contactID)
	if err != nil {
		return err
	}
	if c.state != stateConnected || !c.held {
		return illegal("unhold", c.id, c.state.String())
	}
	r.endHold(c, "agent", ActorAgent)
	return nil
}

// endHold closes a running hold, if any, before the contact leaves its
// agent (end, transfer, logout): every hold_started has its hold_ended
// before the event that ends the agent's handling.
func (r *Router) endHold(c *contact, why, actor string) {
	if !c.held {
		return
	}
	d := r.now - c.heldAt
	c.held, c.heldAt = false, 0
	c.holdTime += d
	c.agent.holdTime += d
	e := r.contactEvent(EventHoldEnded, c)
	e.Agent, e.Wait, e.Reason, e.Actor = c.agent.id, time.Duration(d), why, actor
	r.emit(e)
}

// holding is the agent's hold time on c so far, a running hold included.
func (c *contact) holding(now int64) time.Duration {
	d := c.holdTime
	if c.held {
		d += now - c.heldAt
	}
	return time.Duration(d)
}
