package acd

import (
	"maps"
	"slices"
	"time"
)

// QueueStats is one queue on the supervisor board.
type QueueStats struct {
	Queue   string  `json:"queue"`
	Channel Channel `json:"channel"`
	// Waiting counts contacts waiting (callbacks included); Callbacks those
	// of them that wait as callbacks; Offered those reserved for an agent.
	Waiting     int           `json:"waiting"`
	Callbacks   int           `json:"callbacks"`
	LongestWait time.Duration `json:"longest_wait_ns"`
	// Staffed counts logged-in agents eligible at any stage, Available those
	// who could take a contact of the queue now.
	Staffed     int           `json:"staffed"`
	Available   int           `json:"available"`
	SLThreshold time.Duration `json:"sl_threshold_ns"`
	SLTarget    float64       `json:"sl_target"`
}

// QueueStats reports a queue at the Router's current time. Longest wait is
// O(waiting contacts of the queue); everything else is O(stages).
func (r *Router) QueueStats(queueID string) (QueueStats, error) {
	q, err := r.queue(queueID)
	if err != nil {
		return QueueStats{}, err
	}
	st := QueueStats{Queue: q.cfg.ID, Channel: q.cfg.Channel, Waiting: q.waitingCount(), Callbacks: q.callbacks,
		Staffed: q.staffed, SLThreshold: q.cfg.SLThreshold, SLTarget: q.cfg.SLTarget}
	for s := range q.waiting {
		for _, c := range q.waiting[s].items {
			st.LongestWait = max(st.LongestWait, c.waited(r.now))
		}
		st.Available += len(q.pools[s].ready.items)
	}
	return st, nil
}

// Skills lists, sorted, the skills some queue uses (at any routing step):
// the only skills an agent may log in with.
func (r *Router) Skills() []string {
	out := make([]string, 0, len(r.bySkill))
	for s := range r.bySkill {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Queues reports every queue in configuration order.
func (r *Router) Queues() []QueueStats {
	out := make([]QueueStats, 0, len(r.order))
	for _, q := range r.order {
		st, _ := r.QueueStats(q.cfg.ID)
		out = append(out, st)
	}
	return out
}

// AgentStatus is one agent on the supervisor board.
type AgentStatus struct {
	Agent      string         `json:"agent_id"`
	State      AgentState     `json:"state"`
	Reason     string         `json:"reason,omitempty"`
	Since      time.Time      `json:"since"`
	Skills     map[string]int `json:"skills"`
	Contacts   []string       `json:"contacts,omitempty"`
	Offer      string         `json:"offer,omitempty"`
	WrapUps    []string       `json:"wrap_ups,omitempty"`
	LoggingOut bool           `json:"logging_out,omitempty"`
	// Ready is the agent's own wish; it shows once work ends.
	Ready   bool `json:"ready"`
	Handled int  `json:"handled"`
	// Held lists its contacts on hold; HoldTime is its contacts' hold time
	// since login, running holds included (EF01, EF03).
	Held     []string      `json:"held,omitempty"`
	HoldTime time.Duration `json:"hold_time_ns"`
}

// Agent reports one logged-in agent.
func (r *Router) Agent(agentID string) (AgentStatus, error) {
	a, err := r.agent(agentID)
	if err != nil {
		return AgentStatus{}, err
	}
	return a.status(r.now), nil
}

// Agents reports every logged-in agent in login order.
func (r *Router) Agents() []AgentStatus {
	as := r.sortedAgents()
	out := make([]AgentStatus, len(as))
	for i, a := range as {
		out[i] = a.status(r.now)
	}
	return out
}

func (a *agent) status(now int64) AgentStatus {
	st := AgentStatus{Agent: a.id, State: a.state, Since: time.Unix(0, a.stateSince).UTC(),
		Skills: maps.Clone(a.skills), LoggingOut: a.loggingOut, Ready: a.ready, Handled: a.handled,
		HoldTime: time.Duration(a.holdTime)}
	if a.state == NotReady {
		st.Reason = a.reason
	}
	for _, c := range a.active {
		st.Contacts = append(st.Contacts, c.id)
		if c.held && c.agent == a {
			st.Held = append(st.Held, c.id)
			st.HoldTime += time.Duration(now - c.heldAt)
		}
	}
	if a.offer != nil {
		st.Offer = a.offer.id
	}
	for _, w := range a.wraps {
		st.WrapUps = append(st.WrapUps, w.contact)
	}
	return st
}

// ContactStatus describes one contact the ACD holds.
type ContactStatus struct {
	Contact  string        `json:"contact_id"`
	State    string        `json:"state"`
	Queue    string        `json:"queue"`
	Agent    string        `json:"agent_id,omitempty"`
	Consult  string        `json:"consult_agent_id,omitempty"`
	Wait     time.Duration `json:"wait_ns"`
	Priority int           `json:"priority"`
	Stage    int           `json:"stage"`
	Callback bool          `json:"callback,omitempty"`
	// Held: on hold now; Hold: hold time with the current agent so far.
	Held bool          `json:"held,omitempty"`
	Hold time.Duration `json:"hold_ns,omitempty"`
}

// Contact reports one contact.
func (r *Router) Contact(contactID string) (ContactStatus, error) {
	c, err := r.contact(contactID)
	if err != nil {
		return ContactStatus{}, err
	}
	st := ContactStatus{Contact: c.id, State: c.state.String(), Queue: c.queue.cfg.ID, Wait: c.waited(r.now),
		Priority: c.priority, Stage: c.stage, Callback: c.callback, Held: c.held, Hold: c.holding(r.now)}
	if c.agent != nil {
		st.Agent = c.agent.id
	}
	if c.consult != nil {
		st.Consult = c.consult.id
	}
	return st, nil
}

// Waiting lists a queue's waiting contacts in service order (O(n log n)).
func (r *Router) Waiting(queueID string) ([]string, error) {
	q, err := r.queue(queueID)
	if err != nil {
		return nil, err
	}
	all := q.inServiceOrder()
	ids := make([]string, len(all))
	for i, c := range all {
		ids[i] = c.id
	}
	return ids, nil
}
