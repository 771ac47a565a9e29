package acd

import (
	"fmt"
	"time"
)

// ContactSpec describes a contact asking for an agent.
type ContactSpec struct {
	ID       string
	Queue    string
	Channel  Channel
	Customer string
	// Tier selects the priority through Config.TierPriority.
	Tier string
}

type contactState uint8

const (
	stateQueued    contactState = iota // waiting (or detached while being requeued)
	stateOffered                       // reserved for one agent
	stateAccepted                      // agent accepted; channel is connecting
	stateConnected                     // agent and customer talk
	stateDone                          // ended and forgotten
)

var contactStateNames = []string{"queued", "offered", "accepted", "connected", "done"}

func (s contactState) String() string { return enumName(contactStateNames, int(s)) }

// contact is one contact known to the ACD, from queue entry to its end.
type contact struct {
	id           string
	ord          uint64
	channel      Channel
	customer     string
	tier         string
	priority     int
	requestQueue string

	queue        *queue
	stage        int
	queueGen     uint64
	queueTimers  bool  // steps and maximum wait of the current queue are armed
	enteredQueue int64 // entry into the current queue: steps, max wait
	waitFrom     int64 // start of the wait the KPIs count
	k1, k2       int64 // heap key, see setKey
	pos          int   // index in queue.waiting[stage], -1 when not waiting

	state       contactState
	agent       *agent
	offerGen    uint64
	offerAt     int64 // deadline of the pending offer
	acceptedAt  int64
	answeredAt  int64
	callback    bool
	settled     bool // the agent request has its outcome
	overflowDue bool
	maxWaitDue  bool

	consult       *agent
	consultActive bool
	consultAt     int64

	held     bool  // on hold (Hold) with its agent
	heldAt   int64 // start of the running hold
	holdTime int64 // closed holds with the current agent
}

// setKey computes the ordering key. With aging, priority p is worth p×aging
// of wait, so the key is the entry time moved earlier by that much — a
// constant, which keeps heaps valid while everyone ages at the same speed.
// Without aging, priority strictly dominates. Queue weight counts as
// priority so agents serving several queues can compare their heads.
func (c *contact) setKey(aging time.Duration) {
	p := int64(c.priority + c.queue.cfg.Weight)
	if aging > 0 {
		c.k1, c.k2 = 0, c.waitFrom-p*int64(aging)
		return
	}
	c.k1, c.k2 = -p, c.waitFrom
}

// before is the service order: key, then arrival order.
func (c *contact) before(o *contact) bool {
	if c.k1 != o.k1 {
		return c.k1 < o.k1
	}
	if c.k2 != o.k2 {
		return c.k2 < o.k2
	}
	return c.ord < o.ord
}

// Enqueue puts a new contact in a queue: this is the agent request.
func (r *Router) Enqueue(now time.Time, spec ContactSpec) error {
	r.tick(now)
	if spec.ID == "" {
		return fmt.Errorf("%w: empty contact id", ErrInvalidArgument)
	}
	if _, dup := r.contacts[spec.ID]; dup {
		return fmt.Errorf("%w: %q", ErrDuplicateContact, spec.ID)
	}
	q, err := r.queue(spec.Queue)
	if err != nil {
		return err
	}
	if spec.Channel == 0 {
		spec.Channel = q.cfg.Channel
	}
	if spec.Channel != q.cfg.Channel {
		return fmt.Errorf("%w: %s contact, %s queue %s", ErrChannelMismatch, spec.Channel, q.cfg.Channel, q.cfg.ID)
	}
	if q.cfg.Open != nil && !q.cfg.Open(now) {
		return fmt.Errorf("%w: %s", ErrQueueClosed, q.cfg.ID)
	}
	prio, ok := r.cfg.TierPriority[spec.Tier]
	if !ok && spec.Tier != "" {
		return fmt.Errorf("%w %q", ErrUnknownTier, spec.Tier)
	}
	c := &contact{id: spec.ID, ord: r.nextOrd(), channel: spec.Channel, customer: spec.Customer,
		tier: spec.Tier, priority: prio, waitFrom: r.now, pos: -1}
	r.contacts[c.id] = c
	r.enqueue(c, q, true, "", ActorSystem, "")
	return nil
}

func (r *Router) offerOf(agentID, contactID, cmd string) (*agent, *contact, error) {
	a, err := r.agent(agentID)
	if err != nil {
		return nil, nil, err
	}
	c := a.offer
	if c == nil || c.id != contactID {
		return nil, nil, fmt.Errorf("%s: %w: agent %s contact %s", cmd, ErrNoOffer, agentID, contactID)
	}
	return a, c, nil
}

// Accept is the agent taking the offered contact. After a timeout or a
// withdrawal it fails with ErrNoOffer.
func (r *Router) Accept(now time.Time, agentID, contactID string) error {
	r.tick(now)
	a, c, err := r.offerOf(agentID, contactID, "accept")
	if err != nil {
		return err
	}
	a.offer = nil
	a.active = append(a.active, c)
	a.count(c.channel, 1)
	a.handled++
	a.dirty = true
	c.offerGen = 0
	if c.consult == a {
		c.consultActive, c.consultAt = true, r.now
		r.emit(Event{Kind: EventConsultStarted, Contact: c.id, Channel: c.channel, Agent: c.agent.id, Target: a.id})
		r.settle(a, ActorAgent, "", "consult")
		return nil
	}
	c.state, c.acceptedAt = stateAccepted, r.now
	c.queue.pace.add(r.now)
	e := r.contactEvent(EventAccepted, c)
	e.Agent, e.Wait = a.id, c.waited(r.now)
	r.emit(e)
	r.settle(a, ActorAgent, "", "accepted")
	return nil
}

func (a *agent) count(ch Channel, d int) {
	if ch == Voice {
		a.voice += d
	} else {
		a.chat += d
	}
}

func (a *agent) release(c *contact) {
	for i, x := range a.active {
		if x == c {
			a.active = append(a.active[:i], a.active[i+1:]...)
			a.count(c.channel, -1)
			a.dirty = true
			return
		}
	}
}

// Reject is the agent declining the offer: the contact returns to its place
// in the queue and the agent goes not ready ("rejected") or, with
// Config.RejectToReady, back to ready.
func (r *Router) Reject(now time.Time, agentID, contactID string) error {
	r.tick(now)
	a, c, err := r.offerOf(agentID, contactID, "reject")
	if err != nil {
		return err
	}
	consult := c.consult == a
	e := r.contactEvent(EventRejected, c)
	e.Agent, e.Wait, e.Actor = a.id, c.waited(r.now), ActorAgent
	if consult {
		e.Reason = "consult"
	}
	r.emit(e)
	if !r.cfg.RejectToReady {
		a.ready, a.reason = false, "rejected"
	}
	if consult {
		r.endConsult(c, "rejected")
		r.settle(a, ActorAgent, "", "rejected")
		return nil
	}
	a.offer = nil
	c.agent, c.state, c.offerGen = nil, stateQueued, 0
	r.requeue(c)
	r.settle(a, ActorAgent, "", "rejected")
	return nil
}

// Connected records that agent and customer are connected (the voice leg
// bridged, the chat opened): the contact is answered.
func (r *Router) Connected(now time.Time, contactID string) error {
	r.tick(now)
	c, err := r.contact(contactID)
	if err != nil {
		return err
	}
	if c.state != stateAccepted {
		return illegal("connected", c.id, c.state.String())
	}
	c.state, c.answeredAt = stateConnected, r.now
	e := r.contactEvent(EventAnswered, c)
	e.Agent, e.Wait = c.agent.id, c.waited(r.now)
	if !c.settled {
		e.Outcome, c.settled = Answered, true
	}
	r.emit(e)
	return nil
}

// End finishes a connected contact; its agent starts wrap-up.
func (r *Router) End(now time.Time, contactID string) error {
	r.tick(now)
	c, err := r.contact(contactID)
	if err != nil {
		return err
	}
	if c.state != stateConnected {
		return illegal("end", c.id, c.state.String())
	}
	r.end(c, "")
	return nil
}

// end finishes a connected contact; why is the leave reason, if any.
func (r *Router) end(c *contact, why string) {
	r.endHold(c, "ended", ActorSystem)
	var b *agent
	if c.consult != nil {
		b = r.endConsult(c, "ended")
	}
	a := c.agent
	e := r.contactEvent(EventEnded, c)
	e.Agent, e.Wait, e.Reason = a.id, time.Duration(r.now-c.answeredAt), why
	e.Hold = time.Duration(c.holdTime)
	r.emit(e)
	r.leaveAgent(c)
	r.drop(c)
	r.settle(a, ActorSystem, "", "ended")
	if b != nil {
		r.settle(b, ActorSystem, "", "consult_ended")
	}
}

// leaveAgent detaches a contact from its handling agent, who starts wrap-up.
func (r *Router) leaveAgent(c *contact) {
	a := c.agent
	a.release(c)
	a.workTime += r.now - c.acceptedAt
	c.agent, c.holdTime = nil, 0
	r.startWrapUp(a, c)
}

// endConsult ends a consultation (offered or active) and returns the second
// agent, whom the caller settles.
func (r *Router) endConsult(c *contact, why string) *agent {
	b := c.consult
	if c.consultActive {
		b.release(c)
		b.workTime += r.now - c.consultAt
	} else {
		b.offer = nil
		b.dirty = true
	}
	c.consult, c.consultActive, c.offerGen = nil, false, 0
	r.emit(Event{Kind: EventConsultEnded, Contact: c.id, Channel: c.channel, Agent: c.agent.id, Target: b.id, Reason: why})
	return b
}

// Abandon is the customer leaving before being connected: while queued,
// while a callback waits, while offered (the offer is withdrawn in the same
// step) or while the agent's leg connects.
func (r *Router) Abandon(now time.Time, contactID string) error {
	r.tick(now)
	c, err := r.contact(contactID)
	if err != nil {
		return err
	}
	return r.finishUnanswered(c, EventAbandoned, Abandoned, "customer")
}

// Lose is the platform losing a contact that was not connected (channel
// failure, teardown, a callback that could not be dialled).
func (r *Router) Lose(now time.Time, contactID, reason string) error {
	r.tick(now)
	c, err := r.contact(contactID)
	if err != nil {
		return err
	}
	return r.finishUnanswered(c, EventLost, SystemLost, reason)
}

func (r *Router) finishUnanswered(c *contact, kind EventKind, out Outcome, why string) error {
	var a *agent
	switch c.state {
	case stateQueued:
		r.detachWaiting(c)
	case stateOffered:
		a = c.agent
		r.withdrawOffer(c, kind.String())
	case stateAccepted:
		a = c.agent
		a.release(c)
		a.workTime += r.now - c.acceptedAt
		a.dirty = true
	default:
		return illegal(kind.String(), c.id, c.state.String())
	}
	e := r.contactEvent(kind, c)
	e.Wait, e.Reason = c.waited(r.now), why
	if a != nil {
		e.Agent = a.id
	}
	if !c.settled {
		e.Outcome, c.settled = out, true
	}
	r.emit(e)
	r.drop(c)
	if a != nil {
		r.settle(a, ActorSystem, "", kind.String())
	}
	return nil
}

// RequestCallback is the customer leaving the line while keeping their
// place: when the contact reaches an agent, the offer is a callback task
// and the channel dials the customer after Accept. Callbacks do not expire
// by the queue's maximum wait.
func (r *Router) RequestCallback(now time.Time, contactID string) error {
	r.tick(now)
	c, err := r.contact(contactID)
	if err != nil {
		return err
	}
	if c.state != stateQueued || c.callback {
		return illegal("callback", c.id, c.state.String())
	}
	r.toCallback(c, "customer", ActorCustomer)
	return nil
}

func (r *Router) toCallback(c *contact, why, actor string) {
	c.callback = true
	if c.pos >= 0 {
		c.queue.callbacks++
	}
	e := r.contactEvent(EventCallbackRequested, c)
	e.Wait, e.Reason, e.Actor = c.waited(r.now), why, actor
	r.emit(e)
}

// TransferToQueue moves a connected contact from its agent to a queue: a
// new wait, not a new agent request. It fails with ErrNoAgents when the
// queue would lose it at once.
func (r *Router) TransferToQueue(now time.Time, contactID, queueID string) error {
	r.tick(now)
	c, err := r.connected(contactID, "transfer")
	if err != nil {
		return err
	}
	q, err := r.queue(queueID)
	if err != nil {
		return err
	}
	if q.cfg.Channel != c.channel {
		return fmt.Errorf("%w: %s contact, %s queue %s", ErrChannelMismatch, c.channel, q.cfg.Channel, q.cfg.ID)
	}
	if q.staffed == 0 && !q.cfg.JoinEmpty && !q.canOverflow() {
		return fmt.Errorf("transfer %s: %w %s", c.id, ErrNoAgents, q.cfg.ID)
	}
	a := r.transfer(c, q.cfg.ID, "")
	r.enqueue(c, q, false, "transfer", ActorAgent, "")
	r.settle(a, ActorAgent, "", "transferred")
	return nil
}

// connected finds a connected contact with no consultation under way: the
// one a transfer or consultation may start from.
func (r *Router) connected(contactID, cmd string) (*contact, error) {
	c, err := r.contact(contactID)
	if err != nil {
		return nil, err
	}
	if c.state != stateConnected || c.consult != nil {
		return nil, illegal(cmd, c.id, c.state.String())
	}
	return c, nil
}

// secondAgent finds a connected contact and an agent other than its own who
// is available on its channel.
func (r *Router) secondAgent(contactID, agentID, cmd string) (*contact, *agent, error) {
	c, err := r.connected(contactID, cmd)
	if err != nil {
		return nil, nil, err
	}
	b, err := r.agent(agentID)
	if err != nil {
		return nil, nil, err
	}
	if b == c.agent || !b.available(c.channel) {
		return nil, nil, fmt.Errorf("%s %s: %w: %s", cmd, c.id, ErrAgentUnavailable, b.id)
	}
	return c, b, nil
}

// transfer records that a contact leaves its agent for target; the agent
// starts wrap-up and is returned for the caller to settle.
func (r *Router) transfer(c *contact, target, why string) *agent {
	r.endHold(c, "transfer", ActorAgent)
	a := c.agent
	e := r.contactEvent(EventTransferred, c)
	e.Agent, e.Target, e.Actor, e.Reason = a.id, target, ActorAgent, why
	e.Hold = time.Duration(c.holdTime)
	r.emit(e)
	r.leaveAgent(c)
	c.waitFrom = r.now
	return a
}

// TransferToAgent offers a connected contact to one named agent, who must be
// available on its channel. If that agent rejects or lets it time out, the
// contact waits in its last queue (a new wait).
func (r *Router) TransferToAgent(now time.Time, contactID, agentID string) error {
	r.tick(now)
	c, b, err := r.secondAgent(contactID, agentID, "transfer")
	if err != nil {
		return err
	}
	a := r.transfer(c, b.id, "")
	c.state = stateQueued
	c.queueGen, c.queueTimers = r.nextGen(), false // the old queue's steps and maximum wait no longer apply
	r.offer(c, b)
	r.settle(a, ActorAgent, "", "transferred")
	return nil
}

// Consult reserves a second agent while the first keeps the customer. The
// second agent accepts or rejects like any offer; then CompleteConsult hands
// the customer over, CancelConsult ends the consultation.
func (r *Router) Consult(now time.Time, contactID, agentID string) error {
	r.tick(now)
	c, b, err := r.secondAgent(contactID, agentID, "consult")
	if err != nil {
		return err
	}
	c.consult = b
	r.reserve(c, b)
	e := r.contactEvent(EventOffered, c)
	e.Agent, e.Reason, e.Target = b.id, "consult", c.agent.id
	r.emit(e)
	r.settle(b, ActorAgent, "", "consult")
	return nil
}

// CompleteConsult hands the customer to the consulted agent; the first agent
// starts wrap-up.
func (r *Router) CompleteConsult(now time.Time, contactID string) error {
	r.tick(now)
	c, err := r.contact(contactID)
	if err != nil {
		return err
	}
	if c.consult == nil || !c.consultActive {
		return illegal("complete_consult", c.id, c.state.String())
	}
	b := c.consult
	a := r.transfer(c, b.id, "consult")
	c.agent, c.acceptedAt = b, c.consultAt
	c.consult, c.consultActive = nil, false
	r.settle(a, ActorAgent, "", "transferred")
	return nil
}

// CancelConsult ends a consultation (offered or active); the first agent
// keeps the customer.
func (r *Router) CancelConsult(now time.Time, contactID string) error {
	r.tick(now)
	c, err := r.contact(contactID)
	if err != nil {
		return err
	}
	if c.consult == nil {
		return illegal("cancel_consult", c.id, c.state.String())
	}
	b := r.endConsult(c, "cancelled")
	r.settle(b, ActorAgent, "", "consult_ended")
	return nil
}

// MoveContact is the supervisor moving a waiting contact to another queue of
// the same channel. It keeps its entry time and is not a new request.
func (r *Router) MoveContact(now time.Time, supervisor, contactID, queueID string) error {
	r.tick(now)
	c, err := r.contact(contactID)
	if err != nil {
		return err
	}
	q, err := r.queue(queueID)
	if err != nil {
		return err
	}
	if c.state != stateQueued || q == c.queue {
		return illegal("move", c.id, c.state.String())
	}
	if q.cfg.Channel != c.channel {
		return fmt.Errorf("%w: %s contact, %s queue %s", ErrChannelMismatch, c.channel, q.cfg.Channel, q.cfg.ID)
	}
	if q.staffed == 0 && !q.cfg.JoinEmpty && !q.canOverflow() {
		return fmt.Errorf("move %s: %w %s", c.id, ErrNoAgents, q.cfg.ID)
	}
	r.detachWaiting(c)
	e := r.contactEvent(EventTransferred, c)
	e.Target, e.Actor, e.By, e.Reason = q.cfg.ID, ActorSupervisor, supervisor, "move"
	r.emit(e)
	r.enqueue(c, q, false, "move", ActorSupervisor, supervisor)
	return nil
}
