package acd

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// SnapshotVersion is the format version Snapshot writes and Restore reads.
const SnapshotVersion = 1

// Snapshot is the Router's whole live state as a JSON-serialisable value:
// agents with their skills, states and work; contacts with their queue,
// entry times, priority and progress, waiting contacts in service order.
// Restore rebuilds a Router that makes the same decisions. Timers are not
// stored: they are derived from the times kept here.
type Snapshot struct {
	Version  int               `json:"version"`
	At       time.Time         `json:"at"`
	Seq      uint64            `json:"seq"`
	Ord      uint64            `json:"ord"`
	Agents   []AgentSnapshot   `json:"agents"`
	Contacts []ContactSnapshot `json:"contacts"`
}

// AgentSnapshot is one logged-in agent.
type AgentSnapshot struct {
	ID         string         `json:"id"`
	Ord        uint64         `json:"ord"`
	Skills     map[string]int `json:"skills"` // shared with the Router: read only
	Capacity   Capacity       `json:"capacity"`
	WrapUp     *time.Duration `json:"wrap_up_ns,omitempty"`
	Ready      bool           `json:"ready"`
	Reason     string         `json:"reason,omitempty"`
	LoggingOut bool           `json:"logging_out,omitempty"`
	LogoutBy   [2]string      `json:"logout_by,omitzero"`
	State      AgentState     `json:"state"`
	StateWhy   string         `json:"state_reason,omitempty"`
	StateSince time.Time      `json:"state_since"`
	IdleSince  time.Time      `json:"idle_since"`
	LastOffer  uint64         `json:"last_offer"`
	Handled    int            `json:"handled"`
	WorkTime   time.Duration  `json:"work_time_ns"`
	HoldTime   time.Duration  `json:"hold_time_ns,omitempty"`
	WrapUps    []WrapUpState  `json:"wrap_ups,omitempty"`
}

// WrapUpState is one open after-contact work.
type WrapUpState struct {
	Contact string    `json:"contact_id"`
	Queue   string    `json:"queue,omitempty"`
	Channel Channel   `json:"channel"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
}

// ContactSnapshot is one live contact.
type ContactSnapshot struct {
	ID           string    `json:"id"`
	Ord          uint64    `json:"ord"`
	Channel      Channel   `json:"channel"`
	Customer     string    `json:"customer,omitempty"`
	Tier         string    `json:"tier,omitempty"`
	Priority     int       `json:"priority"`
	RequestQueue string    `json:"request_queue"`
	Queue        string    `json:"queue"`
	Stage        int       `json:"stage"`
	EnteredQueue time.Time `json:"entered_queue"`
	WaitFrom     time.Time `json:"wait_from"`
	QueueTimers  bool      `json:"queue_timers,omitempty"`
	// State is queued, offered, accepted or connected; Agent is the agent
	// offered or handling the contact.
	State         string    `json:"state"`
	Agent         string    `json:"agent_id,omitempty"`
	OfferDeadline time.Time `json:"offer_deadline,omitzero"`
	AcceptedAt    time.Time `json:"accepted_at,omitzero"`
	AnsweredAt    time.Time `json:"answered_at,omitzero"`
	Callback      bool      `json:"callback,omitempty"`
	Settled       bool      `json:"settled,omitempty"`
	OverflowDue   bool      `json:"overflow_due,omitempty"`
	MaxWaitDue    bool      `json:"max_wait_due,omitempty"`
	Consult       string    `json:"consult_agent_id,omitempty"`
	ConsultActive bool      `json:"consult_active,omitempty"`
	ConsultAt     time.Time `json:"consult_at,omitzero"`
	// Held marks a connected contact on hold since HeldAt; HoldTime is its
	// closed holds with the current agent.
	Held     bool          `json:"held,omitempty"`
	HeldAt   time.Time     `json:"held_at,omitzero"`
	HoldTime time.Duration `json:"hold_ns,omitempty"`
}

func unixTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// Snapshot captures the live state. Waiting contacts come first, queue by
// queue in service order, then the others by arrival.
func (r *Router) Snapshot() Snapshot {
	// Sized up front: at 10 000 agents, growing the slices of these large
	// structs was most of the time the engine goroutine spent here.
	s := Snapshot{Version: SnapshotVersion, At: unixTime(r.now), Seq: r.seq, Ord: r.ord,
		Agents: make([]AgentSnapshot, 0, len(r.agents)), Contacts: make([]ContactSnapshot, 0, len(r.contacts))}
	for _, a := range r.sortedAgents() {
		// An agent's skills map is never changed in place (a skill change
		// replaces it), so the snapshot shares it instead of copying it.
		as := AgentSnapshot{ID: a.id, Ord: a.ord, Skills: a.skills, Capacity: a.capacity, WrapUp: a.wrapUp, Ready: a.ready,
			Reason: a.reason, LoggingOut: a.loggingOut, LogoutBy: a.logoutBy, State: a.state, StateWhy: a.shownReason,
			StateSince: unixTime(a.stateSince), IdleSince: unixTime(a.idleSince), LastOffer: a.lastOffer,
			Handled: a.handled, WorkTime: time.Duration(a.workTime), HoldTime: time.Duration(a.holdTime)}
		for _, w := range a.wraps {
			as.WrapUps = append(as.WrapUps, WrapUpState{Contact: w.contact, Queue: w.queue, Channel: w.channel,
				Start: unixTime(w.start), End: unixTime(w.end)})
		}
		s.Agents = append(s.Agents, as)
	}
	waiting := make([]*contact, 0, len(r.contacts))
	var other []*contact
	for _, q := range r.order {
		var qs []*contact
		for st := range q.waiting {
			qs = append(qs, q.waiting[st].items...)
		}
		sortContacts(qs)
		waiting = append(waiting, qs...)
	}
	for _, c := range r.contacts {
		if c.pos < 0 {
			other = append(other, c)
		}
	}
	slices.SortFunc(other, func(a, b *contact) int { return int(a.ord) - int(b.ord) })
	waiting = append(waiting, other...)
	for _, c := range waiting {
		cs := ContactSnapshot{ID: c.id, Ord: c.ord, Channel: c.channel, Customer: c.customer, Tier: c.tier,
			Priority: c.priority, RequestQueue: c.requestQueue, Queue: c.queue.cfg.ID, Stage: c.stage,
			EnteredQueue: unixTime(c.enteredQueue), WaitFrom: unixTime(c.waitFrom), QueueTimers: c.queueTimers,
			State: c.state.String(), AcceptedAt: unixTime(c.acceptedAt), AnsweredAt: unixTime(c.answeredAt),
			Callback: c.callback, Settled: c.settled, OverflowDue: c.overflowDue, MaxWaitDue: c.maxWaitDue,
			ConsultActive: c.consultActive, ConsultAt: unixTime(c.consultAt),
			Held: c.held, HeldAt: unixTime(c.heldAt), HoldTime: time.Duration(c.holdTime)}
		if c.agent != nil {
			cs.Agent = c.agent.id
		}
		if c.consult != nil {
			cs.Consult = c.consult.id
		}
		if c.offerGen != 0 {
			cs.OfferDeadline = unixTime(c.offerAt)
		}
		s.Contacts = append(s.Contacts, cs)
	}
	return s
}

// Restore builds a Router from a snapshot under the given configuration. The
// queues and skills the snapshot names must exist. Agents free to work are
// offered waiting contacts at once if the configuration now allows it; the
// events of such decisions are ready to Drain.
func Restore(cfg Config, queues []Queue, s Snapshot) (*Router, error) {
	r, err := NewRouter(cfg, queues)
	if err != nil {
		return nil, err
	}
	if s.Version != SnapshotVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrSnapshot, s.Version, SnapshotVersion)
	}
	r.now, r.seq, r.ord = nanos(s.At), s.Seq, s.Ord
	for _, as := range s.Agents {
		if as.ID == "" || r.agents[as.ID] != nil {
			return nil, fmt.Errorf("%w: agent id %q empty or repeated", ErrSnapshot, as.ID)
		}
		if err := r.checkSkills(as.Skills); err != nil {
			return nil, fmt.Errorf("%w: agent %s: %w", ErrSnapshot, as.ID, err)
		}
		if err := as.Capacity.validate("capacity"); err != nil {
			return nil, fmt.Errorf("%w: agent %s: %w", ErrSnapshot, as.ID, err)
		}
		if as.WrapUp != nil && (*as.WrapUp < 0 || *as.WrapUp > maxDuration) {
			return nil, fmt.Errorf("%w: agent %s: wrap-up %v", ErrSnapshot, as.ID, *as.WrapUp)
		}
		a := &agent{id: as.ID, ord: as.Ord, skills: maps.Clone(as.Skills), capacity: as.Capacity, wrapUp: as.WrapUp, ready: as.Ready,
			reason: as.Reason, loggingOut: as.LoggingOut, logoutBy: as.LogoutBy, state: as.State, shownReason: as.StateWhy,
			stateSince: nanos(as.StateSince), idleSince: nanos(as.IdleSince), lastOffer: as.LastOffer,
			handled: as.Handled, workTime: int64(as.WorkTime), holdTime: int64(as.HoldTime)}
		if a.skills == nil {
			a.skills = map[string]int{}
		}
		for _, w := range as.WrapUps {
			wr := wrap{contact: w.Contact, queue: w.Queue, channel: w.Channel, start: nanos(w.Start), end: nanos(w.End), gen: r.nextGen()}
			a.wraps = append(a.wraps, wr)
			r.timers.push(timer{at: wr.end, kind: timerWrapUp, id: wr.contact, gen: wr.gen, a: a})
		}
		r.agents[a.id] = a
		r.join(a)
	}
	for _, cs := range s.Contacts {
		if err := r.restoreContact(cs); err != nil {
			return nil, fmt.Errorf("%w: contact %s: %w", ErrSnapshot, cs.ID, err)
		}
	}
	for _, a := range r.sortedAgents() {
		if a.state != a.derivedState() {
			return nil, fmt.Errorf("%w: agent %s shown %s but is %s", ErrSnapshot, a.id, a.state, a.derivedState())
		}
		// Mark the listing as current so relist keeps idleSince and only
		// fills the heaps.
		a.listedVoice, a.listedChat, a.dirty = a.available(Voice), a.available(Chat), true
		r.relist(a)
		r.countWilling(a)
	}
	for _, a := range r.sortedAgents() {
		if a.listedVoice || a.listedChat {
			r.routeAgent(a)
		}
	}
	return r, nil
}

func (r *Router) restoreContact(cs ContactSnapshot) error {
	if cs.ID == "" || r.contacts[cs.ID] != nil {
		return fmt.Errorf("id empty or repeated")
	}
	q, err := r.queue(cs.Queue)
	if err != nil {
		return err
	}
	if cs.Stage < 0 || cs.Stage >= len(q.stages) || cs.Channel != q.cfg.Channel {
		return fmt.Errorf("stage %d or channel %s does not fit queue %s", cs.Stage, cs.Channel, q.cfg.ID)
	}
	c := &contact{id: cs.ID, ord: cs.Ord, channel: cs.Channel, customer: cs.Customer, tier: cs.Tier, priority: cs.Priority,
		requestQueue: cs.RequestQueue, queue: q, stage: cs.Stage, enteredQueue: nanos(cs.EnteredQueue),
		waitFrom: nanos(cs.WaitFrom), queueTimers: cs.QueueTimers, pos: -1, acceptedAt: nanos(cs.AcceptedAt),
		answeredAt: nanos(cs.AnsweredAt), callback: cs.Callback, settled: cs.Settled, overflowDue: cs.OverflowDue,
		maxWaitDue: cs.MaxWaitDue, consultActive: cs.ConsultActive, consultAt: nanos(cs.ConsultAt),
		held: cs.Held, heldAt: nanos(cs.HeldAt), holdTime: int64(cs.HoldTime)}
	if c.held && (cs.State != "connected" || c.heldAt == 0) {
		return fmt.Errorf("held while %s", cs.State)
	}
	agentOf := func(id string) (*agent, error) {
		a := r.agents[id]
		if a == nil {
			return nil, fmt.Errorf("%w %q", ErrUnknownAgent, id)
		}
		return a, nil
	}
	switch cs.State {
	case "queued":
		c.state = stateQueued
		c.setKey(r.cfg.Aging)
		q.add(c)
	case "offered":
		a, err := agentOf(cs.Agent)
		if err != nil {
			return err
		}
		if a.offer != nil {
			return fmt.Errorf("agent %s offered twice", a.id)
		}
		c.state, c.agent, a.offer = stateOffered, a, c
		r.armOffer(c, nanos(cs.OfferDeadline))
	case "accepted", "connected":
		a, err := agentOf(cs.Agent)
		if err != nil {
			return err
		}
		c.state, c.agent = stateAccepted, a
		if cs.State == "connected" {
			c.state = stateConnected
		}
		a.active = append(a.active, c)
		a.count(c.channel, 1)
	default:
		return fmt.Errorf("state %q", cs.State)
	}
	if cs.Consult != "" {
		b, err := agentOf(cs.Consult)
		if err != nil {
			return err
		}
		if c.state != stateConnected {
			return fmt.Errorf("consultation on a %s contact", c.state)
		}
		c.consult = b
		if c.consultActive {
			b.active = append(b.active, c)
			b.count(c.channel, 1)
		} else {
			if b.offer != nil {
				return fmt.Errorf("agent %s offered twice", b.id)
			}
			b.offer = c
			r.armOffer(c, nanos(cs.OfferDeadline))
		}
	}
	for _, a := range []*agent{c.agent, c.consult} {
		if a != nil && (a.voice > a.capacity.Voice || a.chat > a.capacity.Chat) {
			return fmt.Errorf("agent %s over capacity", a.id)
		}
	}
	r.contacts[c.id] = c
	c.queueGen = r.nextGen()
	if c.queueTimers && c.state != stateConnected {
		if next := c.stage; next < len(q.cfg.Steps) && !c.overflowDue {
			r.timers.push(timer{at: c.enteredQueue + int64(q.cfg.Steps[next].After), kind: timerStep, id: c.id, gen: c.queueGen, step: next, c: c})
		}
		if q.cfg.MaxWait > 0 && !c.callback && !c.maxWaitDue {
			r.timers.push(timer{at: c.enteredQueue + int64(q.cfg.MaxWait), kind: timerMaxWait, id: c.id, gen: c.queueGen, c: c})
		}
	}
	return nil
}

func (r *Router) armOffer(c *contact, deadline int64) {
	if deadline == 0 {
		deadline = r.now + int64(r.cfg.OfferTimeout)
	}
	c.offerGen, c.offerAt = r.nextGen(), deadline
	r.timers.push(timer{at: deadline, kind: timerOffer, id: c.id, gen: c.offerGen, c: c})
}
