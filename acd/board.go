package acd

import (
	"context"
	"slices"
)

// BoardQueue is one queue as the supervisor board shows it at one instant:
// its statistics, the agents eligible for it and its first waiting
// contacts in service order, each with its wait.
type BoardQueue struct {
	QueueStats
	// Agents are the logged-in agents eligible for the queue (at any
	// stage): those Staffed counts, sorted.
	Agents []string `json:"agents"`
	// Contacts are the first waiting contacts (at most the limit asked
	// for) in the order they will be served.
	Contacts []ContactStatus `json:"contacts"`
}

// Board reports every queue in configuration order with its eligible
// agents and up to limit waiting contacts, all at the Router's current
// time. It is O(agents' memberships + waiting contacts log n).
func (r *Router) Board(limit int) []BoardQueue {
	agents := map[*queue][]string{}
	for _, a := range r.agents {
		for _, m := range a.members {
			agents[m.p.q] = append(agents[m.p.q], a.id)
		}
	}
	out := make([]BoardQueue, 0, len(r.order))
	for _, q := range r.order {
		st, _ := r.QueueStats(q.cfg.ID)
		bq := BoardQueue{QueueStats: st, Agents: agents[q], Contacts: []ContactStatus{}}
		slices.Sort(bq.Agents)
		if bq.Agents == nil {
			bq.Agents = []string{}
		}
		ids, _ := r.Waiting(q.cfg.ID)
		for _, id := range ids[:min(len(ids), limit)] {
			if c, err := r.Contact(id); err == nil {
				bq.Contacts = append(bq.Contacts, c)
			}
		}
		out = append(out, bq)
	}
	return out
}

// Board is Router.Board on the owner goroutine, at the engine clock's now.
func (e *Engine) Board(ctx context.Context, limit int) ([]BoardQueue, error) {
	return query(ctx, e, func(r *Router) ([]BoardQueue, error) { return r.Board(limit), nil })
}
