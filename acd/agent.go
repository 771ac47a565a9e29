package acd

import (
	"fmt"
	"maps"
	"time"
)

// AgentSpec describes an agent logging in.
type AgentSpec struct {
	ID string
	// Skills maps skill to proficiency 1–10. Every skill must be used by a
	// queue.
	Skills map[string]int
	// Capacity overrides Config.Capacity when set.
	Capacity *Capacity
	// WrapUp, when set, is this agent's after-contact work time (0: none),
	// over the queue's and the center's.
	WrapUp *time.Duration
}

// agent is one logged-in (or logging-out) agent.
type agent struct {
	id       string
	ord      uint64
	skills   map[string]int
	capacity Capacity
	wrapUp   *time.Duration // the agent's own wrap-up time, if any
	members  []*membership

	ready      bool      // the agent's wish: take work
	reason     string    // not-ready reason code
	loggingOut bool      // log out once work is done
	logoutBy   [2]string // actor and supervisor who asked for the logout
	offer      *contact
	active     []*contact // accepted contacts and consultations
	voice      int
	chat       int
	wraps      []wrap

	// selection keys; they change only while the agent is unlisted (dirty).
	idleSince int64
	lastOffer uint64
	handled   int
	workTime  int64
	holdTime  int64 // closed holds of its contacts since login (EF01, EF03)
	dirty     bool

	willing                 bool // counted in its queues' willing
	listedVoice, listedChat bool
	state                   AgentState
	shownReason             string
	stateSince              int64
}

type wrap struct {
	contact string
	queue   string
	channel Channel
	start   int64
	end     int64
	gen     uint64
}

// available reports whether the agent may be offered a contact on ch now.
func (a *agent) available(ch Channel) bool {
	if !a.ready || a.loggingOut || a.offer != nil || len(a.wraps) > 0 {
		return false
	}
	switch ch {
	case Voice:
		return a.voice < a.capacity.Voice && a.chat == 0
	case Chat:
		if a.voice > 0 && a.capacity.VoiceBlocksChat {
			return false
		}
		return a.chat < a.capacity.Chat
	}
	return false
}

func (a *agent) hasWork() bool { return a.offer != nil || len(a.active) > 0 || len(a.wraps) > 0 }

func (a *agent) derivedState() AgentState {
	switch {
	case a.offer != nil:
		return Reserved
	case len(a.active) > 0:
		return Busy
	case len(a.wraps) > 0:
		return WrapUp
	case !a.ready:
		return NotReady
	}
	return Ready
}

// settle is the one place an agent's visible state, its heap listings and
// its next offer are brought up to date after a change.
func (r *Router) settle(a *agent, actor, by, why string) {
	r.countWilling(a)
	if a.loggingOut && !a.hasWork() {
		r.finishLogout(a)
		return
	}
	st := a.derivedState()
	reason := why
	if st == NotReady {
		reason = a.reason
	}
	if st != a.state || (st == NotReady && reason != a.shownReason) {
		r.emit(Event{Kind: EventAgentStateChanged, Agent: a.id, State: st, PrevState: a.state,
			Reason: reason, Actor: actor, By: by})
		a.state, a.shownReason, a.stateSince = st, reason, r.now
	}
	r.relist(a)
	if a.listedVoice || a.listedChat {
		r.routeAgent(a)
	}
}

// relist puts the agent in or out of its pools' ready heaps.
func (r *Router) relist(a *agent) {
	v, c := a.available(Voice), a.available(Chat)
	if v == a.listedVoice && c == a.listedChat && !a.dirty {
		return
	}
	if (v || c) && !a.listedVoice && !a.listedChat {
		a.idleSince = r.now
	}
	for _, m := range a.members {
		if m.pos >= 0 {
			m.p.ready.remove(m)
		}
	}
	for _, m := range a.members {
		if (m.p.q.cfg.Channel == Voice && v) || (m.p.q.cfg.Channel == Chat && c) {
			m.p.ready.push(m)
		}
	}
	a.listedVoice, a.listedChat, a.dirty = v, c, false
}

func (r *Router) unlist(a *agent) {
	for _, m := range a.members {
		if m.pos >= 0 {
			m.p.ready.remove(m)
		}
	}
	a.listedVoice, a.listedChat = false, false
}

func (r *Router) checkSkills(skills map[string]int) error {
	for s, p := range skills {
		if _, ok := r.bySkill[s]; !ok {
			return fmt.Errorf("%w %q", ErrUnknownSkill, s)
		}
		if p < MinProficiency || p > MaxProficiency {
			return fmt.Errorf("%w: proficiency %d for %q outside [%d, %d]", ErrInvalidArgument, p, s, MinProficiency, MaxProficiency)
		}
	}
	return nil
}

// join computes the agent's pool memberships from its skills.
func (r *Router) join(a *agent) {
	seen := map[*queue]bool{}
	for s := range a.skills {
		for _, q := range r.bySkill[s] {
			if seen[q] {
				continue
			}
			seen[q] = true
			if stage, score, ok := q.eligibility(a.skills); ok {
				a.members = append(a.members, &membership{a: a, p: q.pools[stage], score: score, pos: -1})
				q.staffed++
				if a.willing {
					q.willing++
				}
			}
		}
	}
	// Map order is random; queue order keeps routing deterministic.
	sortMembers(a.members)
}

func sortMembers(ms []*membership) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].p.q.cfg.ID < ms[j-1].p.q.cfg.ID; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// leave drops the agent's pool memberships; queues left without staff lose
// their waiting contacts unless they may wait for nobody.
func (r *Router) leave(a *agent) {
	r.unlist(a)
	var emptied []*queue
	for _, m := range a.members {
		q := m.p.q
		q.staffed--
		if a.willing {
			q.willing--
		}
		if q.staffed == 0 && !q.cfg.JoinEmpty && !q.canOverflow() {
			emptied = append(emptied, q)
		}
	}
	a.members, a.willing = nil, false
	for _, q := range emptied {
		r.loseAll(q, "no_agents")
	}
}

// Login brings an agent in, not ready with reason "login".
func (r *Router) Login(now time.Time, spec AgentSpec) error {
	r.tick(now)
	if spec.ID == "" {
		return fmt.Errorf("%w: empty agent id", ErrInvalidArgument)
	}
	if a, ok := r.agents[spec.ID]; ok {
		return illegal("login", a.id, a.state.String())
	}
	if err := r.checkSkills(spec.Skills); err != nil {
		return fmt.Errorf("login %s: %w", spec.ID, err)
	}
	capy := r.cfg.Capacity
	if spec.Capacity != nil {
		if err := spec.Capacity.validate("capacity"); err != nil {
			return fmt.Errorf("login %s: %w: %v", spec.ID, ErrInvalidArgument, err)
		}
		capy = *spec.Capacity
	}
	if spec.WrapUp != nil && (*spec.WrapUp < 0 || *spec.WrapUp > maxDuration) {
		return fmt.Errorf("login %s: %w: wrap-up %v outside [0, %v]", spec.ID, ErrInvalidArgument, *spec.WrapUp, maxDuration)
	}
	a := &agent{id: spec.ID, ord: r.nextOrd(), skills: maps.Clone(spec.Skills), capacity: capy,
		wrapUp: spec.WrapUp, reason: "login", state: LoggedOut}
	if a.skills == nil {
		a.skills = map[string]int{}
	}
	r.agents[a.id] = a
	r.join(a)
	r.settle(a, ActorAgent, "", "login")
	return nil
}

// Logout logs the agent out. A pending offer is withdrawn at once (its
// contact returns to the head of its queue); with contacts or wrap-up open
// the agent takes no new work and leaves when they end.
func (r *Router) Logout(now time.Time, agentID string) error {
	r.tick(now)
	return r.logout(agentID, ActorAgent, "")
}

func (r *Router) logout(agentID, actor, by string) error {
	a, err := r.agent(agentID)
	if err != nil {
		return err
	}
	if a.loggingOut {
		if actor != ActorSupervisor {
			return illegal("logout", a.id, "logging_out")
		}
		r.forceOut(a, by)
		return nil
	}
	a.loggingOut, a.logoutBy = true, [2]string{actor, by}
	if c := a.offer; c != nil {
		r.withdrawOffer(c, "logout")
		r.requeue(c)
	}
	if actor == ActorSupervisor {
		r.relist(a) // out of the ready heaps first: what it gives back is not offered to it again
		r.unconnect(a, "logout")
	}
	r.settle(a, actor, by, "logout")
	return nil
}

// unconnect puts back in their queues, at their places, the contacts the
// agent accepted whose leg never connected (a phone still ringing, a
// restored contact whose channel never came back): a supervisor logging
// the agent out must not wait for a connection that may never come.
func (r *Router) unconnect(a *agent, why string) {
	for _, c := range append([]*contact(nil), a.active...) {
		if c.agent != a || c.state != stateAccepted {
			continue
		}
		a.release(c)
		a.workTime += r.now - c.acceptedAt
		c.agent, c.state = nil, stateQueued
		e := r.contactEvent(EventTransferred, c)
		e.Agent, e.Target, e.Reason, e.Actor = a.id, c.queue.cfg.ID, why, ActorSupervisor
		r.emit(e)
		r.requeue(c)
	}
}

// forceOut is a supervisor logging out, again, an agent who is still
// logging out: the force wins at once. Connected contacts go back to their
// queues (a new wait, not a new request), consultations end, wrap-ups
// close.
func (r *Router) forceOut(a *agent, by string) {
	a.logoutBy = [2]string{ActorSupervisor, by}
	r.relist(a)
	r.unconnect(a, "logout")
	var others []*agent
	for len(a.active) > 0 {
		c := a.active[0]
		if c.consult == a {
			r.endConsult(c, "logout")
			others = append(others, c.agent)
			continue
		}
		if c.consult != nil {
			others = append(others, r.endConsult(c, "logout"))
		}
		r.endHold(c, "logout", ActorSupervisor)
		e := r.contactEvent(EventTransferred, c)
		e.Agent, e.Target, e.Actor, e.By, e.Reason = a.id, c.queue.cfg.ID, ActorSupervisor, by, "logout"
		e.Hold = time.Duration(c.holdTime)
		r.emit(e)
		a.release(c)
		a.workTime += r.now - c.acceptedAt
		c.agent, c.waitFrom, c.holdTime = nil, r.now, 0
		r.enqueue(c, c.queue, false, "logout", ActorSupervisor, by)
	}
	for len(a.wraps) > 0 {
		w := a.wraps[0]
		a.wraps = a.wraps[1:]
		a.workTime += r.now - w.start
		r.emit(Event{Kind: EventWrapUpEnded, Agent: a.id, Contact: w.contact, Queue: w.queue, Channel: w.channel,
			Wait: time.Duration(r.now - w.start), Reason: "logout", Actor: ActorSupervisor})
	}
	a.dirty = true
	r.settle(a, ActorSupervisor, by, "logout")
	for _, b := range others {
		r.settle(b, ActorSystem, "", "consult_ended")
	}
}

func (r *Router) finishLogout(a *agent) {
	delete(r.agents, a.id)
	r.emit(Event{Kind: EventAgentStateChanged, Agent: a.id, State: LoggedOut, PrevState: a.state,
		Reason: "logout", Actor: a.logoutBy[0], By: a.logoutBy[1]})
	a.state = LoggedOut
	r.leave(a)
}

// SetReady makes a not-ready agent ready; it may get an offer at once.
func (r *Router) SetReady(now time.Time, agentID string) error {
	r.tick(now)
	return r.setReady(agentID, ActorAgent, "")
}

func (r *Router) setReady(agentID, actor, by string) error {
	a, err := r.agent(agentID)
	if err != nil {
		return err
	}
	if a.state != NotReady || a.loggingOut {
		return illegal("ready", a.id, a.state.String())
	}
	a.ready, a.reason = true, ""
	r.settle(a, actor, by, "ready")
	return nil
}

// SetNotReady stops new work for the agent with a reason code. A pending
// offer is withdrawn; while busy or in wrap-up the change shows once the
// work is done.
func (r *Router) SetNotReady(now time.Time, agentID, reason string) error {
	r.tick(now)
	return r.setNotReady(agentID, reason, ActorAgent, "")
}

func (r *Router) setNotReady(agentID, reason, actor, by string) error {
	a, err := r.agent(agentID)
	if err != nil {
		return err
	}
	if reason == "" {
		return fmt.Errorf("%w: empty not-ready reason", ErrInvalidArgument)
	}
	if a.loggingOut {
		return illegal("not_ready", a.id, "logging_out")
	}
	a.ready, a.reason = false, reason
	if c := a.offer; c != nil {
		r.withdrawOffer(c, "not_ready")
		r.requeue(c)
	}
	r.settle(a, actor, by, reason)
	return nil
}

// ForceState is the supervisor's override: Ready, NotReady (with reason) or
// LoggedOut. Forcing ready is refused while the agent works.
func (r *Router) ForceState(now time.Time, supervisor, agentID string, st AgentState, reason string) error {
	r.tick(now)
	switch st {
	case Ready:
		return r.setReady(agentID, ActorSupervisor, supervisor)
	case NotReady:
		return r.setNotReady(agentID, reason, ActorSupervisor, supervisor)
	case LoggedOut:
		return r.logout(agentID, ActorSupervisor, supervisor)
	}
	return fmt.Errorf("%w: cannot force state %s", ErrInvalidArgument, st)
}

// ForceLogout is the supervisor logging an agent out.
func (r *Router) ForceLogout(now time.Time, supervisor, agentID string) error {
	r.tick(now)
	return r.logout(agentID, ActorSupervisor, supervisor)
}

// SetSkills replaces an agent's skills; the next decision uses them.
// Waiting contacts the agent now qualifies for are offered at once.
func (r *Router) SetSkills(now time.Time, supervisor, agentID string, skills map[string]int) error {
	r.tick(now)
	a, err := r.agent(agentID)
	if err != nil {
		return err
	}
	if err := r.checkSkills(skills); err != nil {
		return fmt.Errorf("set skills %s: %w", agentID, err)
	}
	r.unlist(a)
	for _, m := range a.members {
		m.p.q.staffed--
		if a.willing {
			m.p.q.willing--
		}
	}
	old := a.members
	a.members = nil
	a.skills = maps.Clone(skills)
	r.join(a)
	// Queues that lost their last agent lose their waiting contacts.
	for _, m := range old {
		if q := m.p.q; q.staffed == 0 && !q.cfg.JoinEmpty && !q.canOverflow() {
			r.loseAll(q, "no_agents")
		}
	}
	r.emit(Event{Kind: EventAgentSkillsChanged, Agent: a.id, Actor: ActorSupervisor, By: supervisor})
	a.dirty = true
	r.settle(a, ActorSupervisor, supervisor, "skills")
	return nil
}

// SetWork changes a logged-in agent's capacity (nil: Config.Capacity) and
// own wrap-up time (nil: none of its own) for administration. A capacity
// below what the agent holds now is refused (ErrInvalidArgument): the
// agent gets it at the next login. Open wrap-ups keep their end; the next
// contacts follow the new settings.
func (r *Router) SetWork(now time.Time, supervisor, agentID string, capacity *Capacity, wrapUp *time.Duration) error {
	r.tick(now)
	a, err := r.agent(agentID)
	if err != nil {
		return err
	}
	capy := r.cfg.Capacity
	if capacity != nil {
		capy = *capacity
	}
	if err := capy.validate("capacity"); err != nil {
		return fmt.Errorf("set work %s: %w: %v", agentID, ErrInvalidArgument, err)
	}
	if wrapUp != nil && (*wrapUp < 0 || *wrapUp > maxDuration) {
		return fmt.Errorf("set work %s: %w: wrap-up %v outside [0, %v]", agentID, ErrInvalidArgument, *wrapUp, maxDuration)
	}
	if a.voice > capy.Voice || a.chat > capy.Chat {
		return fmt.Errorf("set work %s: %w: holds %d voice and %d chat contacts", agentID, ErrInvalidArgument, a.voice, a.chat)
	}
	r.unlist(a)
	a.capacity, a.wrapUp = capy, wrapUp
	a.dirty = true
	r.settle(a, ActorSupervisor, supervisor, "capacity")
	return nil
}

// startWrapUp opens after-contact work for a contact the agent finished.
// Its length is the agent's own wrap-up time, else the queue's, else the
// center's.
func (r *Router) startWrapUp(a *agent, c *contact) {
	d := r.cfg.WrapUp
	switch {
	case a.wrapUp != nil:
		d = *a.wrapUp
	case c.queue != nil && c.queue.cfg.WrapUp != nil:
		d = *c.queue.cfg.WrapUp
	}
	if d <= 0 {
		return
	}
	w := wrap{contact: c.id, channel: c.channel, start: r.now, end: r.now + int64(d), gen: r.nextGen()}
	if c.queue != nil {
		w.queue = c.queue.cfg.ID
	}
	a.wraps = append(a.wraps, w)
	r.timers.push(timer{at: w.end, kind: timerWrapUp, id: c.id, gen: w.gen, a: a})
	r.emit(Event{Kind: EventWrapUpStarted, Agent: a.id, Contact: c.id, Queue: w.queue, Channel: c.channel})
}

func (r *Router) endWrapUp(a *agent, i int, actor, why string) {
	w := a.wraps[i]
	a.wraps = append(a.wraps[:i], a.wraps[i+1:]...)
	a.workTime += r.now - w.start
	a.dirty = true
	r.emit(Event{Kind: EventWrapUpEnded, Agent: a.id, Contact: w.contact, Queue: w.queue, Channel: w.channel,
		Wait: time.Duration(r.now - w.start), Reason: why, Actor: actor})
	r.settle(a, actor, "", "wrap_up_ended")
}

func (a *agent) wrapIndex(contactID string) int {
	for i := range a.wraps {
		if a.wraps[i].contact == contactID {
			return i
		}
	}
	return -1
}

// EndWrapUp ends the agent's after-contact work for a contact.
func (r *Router) EndWrapUp(now time.Time, agentID, contactID string) error {
	r.tick(now)
	a, err := r.agent(agentID)
	if err != nil {
		return err
	}
	i := a.wrapIndex(contactID)
	if i < 0 {
		return fmt.Errorf("%w: agent %s contact %s", ErrNoWrapUp, agentID, contactID)
	}
	r.endWrapUp(a, i, ActorAgent, "agent")
	return nil
}

// ExtendWrapUp adds d to the agent's after-contact work for a contact, up to
// Config.WrapUpCap from its start; it returns the new end.
func (r *Router) ExtendWrapUp(now time.Time, agentID, contactID string, d time.Duration) (time.Time, error) {
	r.tick(now)
	a, err := r.agent(agentID)
	if err != nil {
		return time.Time{}, err
	}
	if d <= 0 || d > maxDuration {
		return time.Time{}, fmt.Errorf("%w: wrap-up extension %v", ErrInvalidArgument, d)
	}
	i := a.wrapIndex(contactID)
	if i < 0 {
		return time.Time{}, fmt.Errorf("%w: agent %s contact %s", ErrNoWrapUp, agentID, contactID)
	}
	w := &a.wraps[i]
	// A wrap-up that began longer than the cap (an agent's or a queue's
	// own time) is not shortened by an extension.
	w.end = min(w.end+int64(d), max(w.start+int64(r.cfg.WrapUpCap), w.end))
	w.gen = r.nextGen()
	r.timers.push(timer{at: w.end, kind: timerWrapUp, id: w.contact, gen: w.gen, a: a})
	return time.Unix(0, w.end).UTC(), nil
}
