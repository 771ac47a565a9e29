package acd

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// SetQueue adds a queue or replaces the settings of one while the center
// runs (administration). Contacts waiting in it keep their place: their
// entry time, priority and arrival order are kept, only the queue's weight
// enters their key again. Its steps and maximum wait are counted again from
// each contact's entry into the queue, so a step or limit the new settings
// have already passed is taken at once. Every logged-in agent's pool
// memberships are worked out again and available agents are offered what
// now fits them. A queue's channel cannot change while contacts are in it.
// The error of invalid settings is a *ConfigError naming the field.
func (r *Router) SetQueue(now time.Time, cfg Queue) error {
	r.tick(now)
	old, exists := r.queues[cfg.ID]
	all := make([]Queue, 0, len(r.order)+1)
	for _, q := range r.order {
		if q == old {
			all = append(all, cfg)
		} else {
			all = append(all, q.cfg)
		}
	}
	if !exists {
		all = append(all, cfg)
	}
	if err := validateQueues(all); err != nil {
		return err
	}
	if exists && old.cfg.Channel != cfg.Channel && r.inUse(old) {
		return fmt.Errorf("%w: queue %s has contacts: its channel cannot change", ErrInvalidArgument, cfg.ID)
	}
	agents := r.leaveAll()
	q := old
	if exists {
		// The same *queue stays: contacts and events refer to it.
		fresh := newQueue(cfg)
		fresh.pace = q.pace
		*q = *fresh
		for _, p := range q.pools {
			p.q = q
		}
	} else {
		q = newQueue(cfg)
		r.queues[cfg.ID] = q
		r.order = append(r.order, q)
	}
	r.indexSkills()
	if exists {
		var mine []*contact
		for _, c := range r.contacts {
			if c.queue == q && c.state != stateConnected {
				mine = append(mine, c)
			}
		}
		slices.SortFunc(mine, func(a, b *contact) int { return cmp.Compare(a.ord, b.ord) })
		for _, c := range mine {
			waiting := c.pos >= 0
			c.pos, c.stage = -1, 0
			c.overflowDue, c.maxWaitDue = false, false
			c.queueGen = r.nextGen() // the old settings' timers no longer fire
			if c.queueTimers {
				if len(cfg.Steps) > 0 {
					r.timers.push(timer{at: c.enteredQueue + int64(cfg.Steps[0].After), kind: timerStep, id: c.id, gen: c.queueGen, c: c})
				}
				if cfg.MaxWait > 0 && !c.callback {
					r.timers.push(timer{at: c.enteredQueue + int64(cfg.MaxWait), kind: timerMaxWait, id: c.id, gen: c.queueGen, c: c})
				}
			}
			if waiting {
				c.setKey(r.cfg.Aging)
				q.add(c)
			}
		}
	}
	r.rejoinAll(agents)
	// Steps and limits the new settings have passed fire now.
	r.tick(time.Unix(0, r.now))
	return nil
}

// RemoveQueue deletes a queue nobody is in (ErrInvalidArgument while a
// contact waits in it or is served from it) and that no other queue
// overflows to (a *ConfigError naming that queue's field).
func (r *Router) RemoveQueue(now time.Time, id string) error {
	r.tick(now)
	q, err := r.queue(id)
	if err != nil {
		return err
	}
	if r.inUse(q) {
		return fmt.Errorf("%w: queue %s has contacts", ErrInvalidArgument, id)
	}
	rest := make([]Queue, 0, len(r.order))
	for _, x := range r.order {
		if x != q {
			rest = append(rest, x.cfg)
		}
	}
	if err := validateQueues(rest); err != nil {
		return err
	}
	agents := r.leaveAll()
	delete(r.queues, id)
	r.order = slices.DeleteFunc(r.order, func(x *queue) bool { return x == q })
	r.indexSkills()
	r.rejoinAll(agents)
	return nil
}

// leaveAll takes every logged-in agent out of every pool, before the
// queues change; rejoinAll puts them back by the new queues.
func (r *Router) leaveAll() []*agent {
	agents := r.sortedAgents()
	for _, a := range agents {
		r.unlist(a)
		for _, m := range a.members {
			m.p.q.staffed--
			if a.willing {
				m.p.q.willing--
			}
		}
		a.members = nil
	}
	return agents
}

func (r *Router) rejoinAll(agents []*agent) {
	for _, a := range agents {
		r.join(a)
		a.dirty = true
	}
	// As when an agent's skills change: a queue left without anyone who
	// could serve it loses its waiting contacts, unless it may wait empty.
	for _, x := range r.order {
		if x.staffed == 0 && !x.cfg.JoinEmpty && !x.canOverflow() && x.waitingCount() > 0 {
			r.loseAll(x, "no_agents")
		}
	}
	for _, a := range agents {
		r.settle(a, ActorSystem, "", "queue_changed")
	}
}

// indexSkills rebuilds the skill → queues index from the queues.
func (r *Router) indexSkills() {
	r.bySkill = map[string][]*queue{}
	for _, x := range r.order {
		seen := map[string]bool{}
		for _, s := range x.skills() {
			if !seen[s] {
				seen[s] = true
				r.bySkill[s] = append(r.bySkill[s], x)
			}
		}
	}
}

// inUse reports whether any contact is in q (waiting, offered or with an agent).
func (r *Router) inUse(q *queue) bool {
	for _, c := range r.contacts {
		if c.queue == q {
			return true
		}
	}
	return false
}

// SetQueue adds or changes a queue while the center runs (Router.SetQueue).
func (e *Engine) SetQueue(ctx context.Context, q Queue) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.SetQueue(now, q) })
}

// RemoveQueue deletes a queue nobody is in (Router.RemoveQueue).
func (e *Engine) RemoveQueue(ctx context.Context, id string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.RemoveQueue(now, id) })
}
