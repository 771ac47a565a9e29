package acd

import "time"

// Position is a waiting contact's place in its queue as the Router serves
// it: by aged priority, then arrival (the order of Waiting), not by arrival
// alone.
type Position struct {
	Contact  string `json:"contact_id"`
	Queue    string `json:"queue"`
	Position int    `json:"position"` // 1 = served next
	// ExpectedWait is the Router's estimate from the queue's recent pace
	// of service; 0 when it makes no promise: no agent of the queue wishes
	// to work (all not ready), or too little history.
	ExpectedWait time.Duration `json:"expected_wait_ns,omitempty"`
}

// paceWindow is how many recent services of a queue its pace looks at.
const paceWindow = 20

// pace remembers when a queue's last contacts were taken by an agent.
type pace struct {
	at [paceWindow]int64
	n  int // samples held, up to paceWindow
	i  int // next slot
}

func (p *pace) add(now int64) {
	p.at[p.i] = now
	p.i = (p.i + 1) % paceWindow
	p.n = min(p.n+1, paceWindow)
}

// perPosition is the recent time between two services of the queue, over
// the window up to now: a queue nobody served lately slows down. It needs
// two services to say anything.
func (p *pace) perPosition(now int64) time.Duration {
	if p.n < 2 {
		return 0
	}
	oldest := p.at[(p.i-p.n+paceWindow)%paceWindow]
	return time.Duration((now - oldest) / int64(p.n))
}

// expect estimates the wait at position pos of q, or 0 for no promise.
func (r *Router) expect(q *queue, pos int) time.Duration {
	if q.willing == 0 {
		return 0
	}
	return q.pace.perPosition(r.now) * time.Duration(pos)
}

// Positions lists the contacts waiting in a queue with their places and
// expected waits, in service order (O(n log n)). Contacts being offered
// have no place: they are with an agent.
func (r *Router) Positions(queueID string) ([]Position, error) {
	q, err := r.queue(queueID)
	if err != nil {
		return nil, err
	}
	all := q.inServiceOrder()
	out := make([]Position, len(all))
	for i, c := range all {
		out[i] = Position{Contact: c.id, Queue: q.cfg.ID, Position: i + 1, ExpectedWait: r.expect(q, i+1)}
	}
	return out, nil
}

// countWilling keeps each queue's count of agents who wish to work (ready,
// not logging out), whatever they are doing now: the agents a waiting
// customer may be promised.
func (r *Router) countWilling(a *agent) {
	w := a.ready && !a.loggingOut && r.agents[a.id] == a
	if w == a.willing {
		return
	}
	d := 1
	if !w {
		d = -1
	}
	for _, m := range a.members {
		m.p.q.willing += d
	}
	a.willing = w
}

// inServiceOrder returns the queue's waiting contacts in the order the
// router serves them (priority with aging, then arrival).
func (q *queue) inServiceOrder() []*contact {
	var all []*contact
	for s := range q.waiting {
		all = append(all, q.waiting[s].items...)
	}
	sortContacts(all)
	return all
}
