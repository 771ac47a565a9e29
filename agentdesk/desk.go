package agentdesk

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
)

// deskClient is an agent's or supervisor's socket.
type deskClient struct {
	g      *Gateway
	p      auth.Principal
	view   string
	addr   string    // the client's address, for the audit trail
	token  string    // the credentials of the upgrade, checked again now and then
	authAt time.Time // last check (reader goroutine only)
}

// reauthEvery is how often a desk socket's sign-in session is checked
// again: a logout, expiry or revocation closes the socket within it.
const reauthEvery = time.Minute

// valid reports whether the socket's sign-in session still holds.
func (d *deskClient) valid(now time.Time) bool {
	if now.Sub(d.authAt) < reauthEvery {
		return true
	}
	ctx, cancel := context.WithTimeout(d.g.ctx, 5*time.Second)
	defer cancel()
	p, err := d.g.o.Auth.Authenticate(ctx, d.token)
	if err != nil && !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrNoToken) {
		return true // the store is down: do not log everyone out for it
	}
	if err != nil || p.AgentID != d.p.AgentID {
		return false
	}
	d.authAt = now
	return true
}

// recordActivity tells the sign-in session the agent is active: at most
// every quarter of the idle timeout (and a minute), so a short timeout
// never logs out an agent who works, and a long one costs few writes.
// Heartbeats are not activity. Reader goroutine only.
func (d *deskClient) recordActivity(now time.Time) {
	every := reauthEvery
	if idle := d.g.o.IdleLogout; idle > 0 {
		every = max(min(every, idle/4), time.Second)
	}
	if now.Sub(d.authAt) < every {
		return
	}
	ctx, cancel := context.WithTimeout(d.g.ctx, 5*time.Second)
	defer cancel()
	if p, err := d.g.o.Auth.Authenticate(ctx, d.token); err == nil && p.AgentID == d.p.AgentID {
		d.authAt = now
	}
}

// handOver gives the chats of an agent who leaves (logs out, idles out,
// is logged out) to another agent of the chat's queue who is ready, else
// back to the front of the queue, telling the customer why; the next agent
// sees why in the transfer note.
func (g *Gateway) handOver(ctx context.Context, agentID, why string) {
	type held struct{ contact, queue string }
	var chats []held
	_ = g.do(func(h *hub) {
		a := h.agents[agentID]
		if a == nil {
			return
		}
		for id := range a.chats {
			if c := h.chats[id]; c != nil && !c.ended && c.agent == agentID && c.queue != "" {
				c.note, c.leftWhy = why, why
				chats = append(chats, held{c.id, c.queue})
			}
		}
	})
	if len(chats) == 0 {
		return
	}
	e := g.o.ACD
	board, _ := e.Board(ctx, 0)
	agents, _ := e.Agents(ctx)
	ready := map[string]bool{}
	for _, a := range agents {
		ready[a.Agent] = a.Ready && !a.LoggingOut && a.Offer == "" && len(a.WrapUps) == 0
	}
	var present map[string]bool
	_ = g.do(func(h *hub) {
		present = map[string]bool{}
		for id := range ready {
			present[id] = h.present(id)
		}
	})
	for _, c := range chats {
		handed := false
		for _, q := range board {
			if q.Queue != c.queue {
				continue
			}
			for _, id := range q.Agents {
				if id == agentID || !ready[id] || !present[id] {
					continue
				}
				if err := e.TransferToAgent(ctx, c.contact, id); err == nil {
					handed = true
					break
				}
			}
		}
		if handed {
			continue
		}
		if err := e.ReturnToQueue(ctx, c.contact); err != nil {
			g.log.Warn("hand over a chat", "contact_id", c.contact, "agent_id", agentID, "err", err)
		}
	}
}

const (
	viewDesk  = "desk"
	viewBoard = "board"
)

func (d *deskClient) hello(c *conn, f Frame) (*session, *Error) {
	g := d.g
	var hd helloData
	if e := decodeData(f, &hd); e != nil {
		return nil, e
	}
	if hd.View == "" {
		hd.View = viewDesk
	}
	switch {
	case hd.View == viewDesk && !d.p.Can(auth.PermDesk):
		return nil, failf(CodeForbidden, "your role may not use the desk")
	case hd.View == viewBoard && !d.p.Can(auth.PermBoard):
		return nil, failf(CodeForbidden, "only supervisors see the board")
	case hd.View != viewDesk && hd.View != viewBoard:
		return nil, failf(CodeInvalid, "view: desk or board")
	}
	d.view = hd.View
	ctx, cancel := context.WithTimeout(g.ctx, 10*time.Second)
	defer cancel()
	var st *acd.AgentStatus
	var board []acd.BoardQueue
	groups := []string{}
	if d.view == viewDesk && g.o.TicketGroups != nil {
		if gs := g.o.TicketGroups(d.p.AgentID); gs != nil {
			groups = gs
		}
	}
	if d.view == viewBoard {
		// The first snapshot shows the queues as they are now.
		if qs, err := g.o.ACD.Board(ctx, boardWaiting); err == nil {
			board = qs
		}
	}
	if d.view == viewDesk {
		s, e := d.login(ctx)
		if e != nil {
			return nil, e
		}
		st = s
	}
	var s *session
	err := g.do(func(h *hub) {
		key := d.p.AgentID + "/" + d.view
		s = h.byKey[key]
		if s == nil {
			s = newSession(newID(16), kindAgent, g.o.Replay, 256, g.o.Clock.Now())
			h.byKey[key] = s
			h.sessions[s.id] = s
		}
		s.principal = d.p
		if d.view == viewBoard {
			h.boards[s] = true
			h.dirty = true
			if board != nil {
				h.lastQueues, h.lastAt = board, g.o.Clock.Now()
			}
		} else {
			a := h.agent(d.p.AgentID)
			a.name, a.offline = d.p.Name, false
			if st != nil && a.since.IsZero() {
				a.state, a.reason, a.since = st.State, st.Reason, st.Since
			}
		}
		h.attach(s, c, f.ID, hd, func() any {
			if d.view == viewBoard {
				return h.board()
			}
			snap := h.deskSnapshot(d.p)
			form := g.o.TicketFormNow
			if form == nil {
				form = func() TicketForm { return *g.o.TicketForm }
			}
			snap.MyGroups, snap.TicketForm, snap.Dispatch = groups, form(), d.p.Can(auth.PermTicketsAdmin)
			return snap
		})
	})
	if err != nil {
		return nil, failf(CodeUnavailable, err.Error())
	}
	return s, nil
}

// login brings the agent into the ACD with its skills, unless it is in.
func (d *deskClient) login(ctx context.Context) (*acd.AgentStatus, *Error) {
	e := d.g.o.ACD
	if st, err := e.Agent(ctx, d.p.AgentID); err == nil {
		return &st, nil
	}
	spec := acd.AgentSpec{ID: d.p.AgentID}
	if d.g.o.Store != nil {
		skills, err := d.g.o.Store.AgentSkills(ctx, d.p.AgentID)
		if err != nil {
			return nil, failf(CodeUnavailable, "agent skills: "+err.Error())
		}
		// Log in with the skills routing knows: a skill no queue uses
		// (yet) is no reason to keep an agent out.
		known, err := e.Skills(ctx)
		if err != nil {
			return nil, acdError(err)
		}
		spec.Skills = map[string]int{}
		for _, s := range skills {
			if slices.Contains(known, s.Skill) {
				spec.Skills[s.Skill] = s.Proficiency
			}
		}
		// The capacity and wrap-up time administration gave the agent.
		work, err := d.g.o.Store.AgentWork(ctx, d.p.AgentID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, failf(CodeUnavailable, "agent work settings: "+err.Error())
		}
		if c := work.Capacity; c != nil {
			spec.Capacity = &acd.Capacity{Voice: c.Voice, Chat: c.Chat, VoiceBlocksChat: c.VoiceBlocksChat}
		}
		if work.WrapUpSeconds != nil {
			w := time.Duration(*work.WrapUpSeconds) * time.Second
			spec.WrapUp = &w
		}
	}
	if err := e.Login(ctx, spec); err != nil && !errors.Is(err, acd.ErrIllegalTransition) {
		return nil, acdError(err)
	}
	st, err := e.Agent(ctx, d.p.AgentID)
	if err != nil {
		return nil, acdError(err)
	}
	return &st, nil
}

// deskSnapshot is everything the desk shows, as of the session's seq.
type deskSnapshot struct {
	Agent        agentProfile   `json:"agent"`
	State        agentStateData `json:"state"`
	Offer        *offerData     `json:"offer,omitempty"`
	Chats        []chatView     `json:"chats"`
	WrapUps      []wrapUpData   `json:"wrapups"`
	Reasons      []string       `json:"not_ready_reasons"`
	WrapUpCodes  []string       `json:"wrapup_codes"`
	IdleLogoutMS int64          `json:"idle_logout_ms"`
	// MyGroups are the ticket groups whose pools the agent works;
	// TicketForm the form's choices; Dispatch whether the agent may send a
	// ticket to a group of its choosing (else the dispatch rules do).
	MyGroups   []string   `json:"my_groups"`
	TicketForm TicketForm `json:"ticket_form"`
	Dispatch   bool       `json:"dispatch"`
	// Softphone says the desk is a phone (phone.go); Phone is its call,
	// ringing or up.
	Softphone bool       `json:"softphone,omitempty"`
	Phone     *phoneView `json:"phone,omitempty"`
}

type agentProfile struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	Supervise bool   `json:"supervise"`
}

type wrapUpData struct {
	Contact string    `json:"contact_id"`
	EndsAt  time.Time `json:"ends_at"`
}

type offerData struct {
	Contact   string       `json:"contact_id"`
	Queue     string       `json:"queue"`
	Channel   string       `json:"channel"`
	Tier      string       `json:"tier,omitempty"`
	ExpiresAt time.Time    `json:"expires_at"`
	Customer  CustomerInfo `json:"customer"`
	Note      string       `json:"note,omitempty"`
	Transfer  bool         `json:"transfer,omitempty"`
}

func (h *hub) deskSnapshot(p auth.Principal) deskSnapshot {
	a := h.agent(p.AgentID)
	snap := deskSnapshot{Agent: agentProfile{ID: p.AgentID, Name: p.Name, Role: string(p.Role), Supervise: p.Can(auth.PermSupervise)},
		State: a.stateData(), Offer: a.offer, Chats: []chatView{}, WrapUps: []wrapUpData{},
		Reasons: h.g.o.NotReadyReasons, WrapUpCodes: h.g.o.WrapUpCodes, IdleLogoutMS: h.g.o.IdleLogout.Milliseconds()}
	for id := range a.chats {
		if c := h.chats[id]; c != nil {
			snap.Chats = append(snap.Chats, c.view())
		}
	}
	slices.SortFunc(snap.Chats, func(x, y chatView) int { return compareStr(x.Contact, y.Contact) })
	for id, end := range a.wraps {
		snap.WrapUps = append(snap.WrapUps, wrapUpData{Contact: id, EndsAt: end})
	}
	snap.Softphone = h.g.o.Softphone != nil
	if pc := h.phones[p.AgentID]; pc != nil {
		snap.Phone = pc.view()
	}
	return snap
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// acdError maps the ACD's refusals to stable codes.
func acdError(err error) *Error {
	switch {
	case errors.Is(err, acd.ErrUnknownContact), errors.Is(err, acd.ErrUnknownAgent), errors.Is(err, acd.ErrUnknownQueue):
		return failf(CodeNotFound, err.Error())
	case errors.Is(err, acd.ErrNoOffer), errors.Is(err, acd.ErrIllegalTransition), errors.Is(err, acd.ErrNoWrapUp),
		errors.Is(err, acd.ErrAgentUnavailable), errors.Is(err, acd.ErrChannelMismatch), errors.Is(err, acd.ErrNoAgents),
		errors.Is(err, acd.ErrDuplicateContact):
		return failf(CodeConflict, err.Error())
	case errors.Is(err, acd.ErrInvalidArgument), errors.Is(err, acd.ErrUnknownSkill):
		return failf(CodeInvalid, err.Error())
	}
	return failf(CodeUnavailable, err.Error())
}

type contactRef struct {
	Contact string `json:"contact_id"`
}

func (d *deskClient) handle(s *session, c *conn, f Frame) (any, *Error) {
	if d.view == viewBoard {
		return d.handleBoard(f)
	}
	g := d.g
	if f.Type != "ping" {
		d.recordActivity(g.o.Clock.Now())
	}
	ctx, cancel := context.WithTimeout(g.ctx, 10*time.Second)
	defer cancel()
	me := d.p.AgentID
	e := g.o.ACD
	switch f.Type {
	case "ping":
		return nil, nil
	case "state.ready":
		return nil, wrapACD(e.SetReady(ctx, me))
	case "state.not_ready":
		var in struct {
			Reason string `json:"reason"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		if !slices.Contains(g.o.NotReadyReasons, in.Reason) {
			return nil, failf(CodeInvalid, "reason: one of the configured not-ready reasons")
		}
		return nil, wrapACD(e.SetNotReady(ctx, me, in.Reason))
	case "offer.accept", "offer.reject":
		var in contactRef
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		if in.Contact == "" {
			return nil, failf(CodeInvalid, "contact_id: required")
		}
		if f.Type == "offer.reject" {
			return nil, wrapACD(e.Reject(ctx, me, in.Contact))
		}
		// The contact bridge connects a chat the moment it is accepted.
		if err := g.bridge.Accept(ctx, me, in.Contact); err != nil {
			return nil, acdError(err)
		}
		// The chat is the agent's before the ack: what the customer writes
		// from now on reaches the agent, not the flow, even if the ACD's
		// answered event is still on its way to the hub.
		_ = g.do(func(h *hub) {
			if c := h.chats[in.Contact]; c != nil && !c.ended {
				h.agent(me).chats[c.id] = true
				h.chatAnswered(c, me)
			}
		})
		return nil, nil
	case "chat.send":
		var in struct {
			Contact string `json:"contact_id"`
			MsgID   string `json:"msg_id"`
			Text    string `json:"text"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		text, err := cleanText(in.Text)
		if err != nil {
			return nil, err
		}
		if in.MsgID == "" || len(in.MsgID) > maxCommandID {
			return nil, failf(CodeInvalid, "msg_id: 1 to 64 characters")
		}
		return nil, d.onChat(in.Contact, func(h *hub, ch *chat) *Error { return h.agentSays(ch, me, in.MsgID, text) })
	case "chat.typing":
		var in contactRef
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		return nil, d.onChat(in.Contact, func(h *hub, ch *chat) *Error {
			if ch.agent != me {
				return failf(CodeForbidden, "not your chat")
			}
			h.volatile(ch.cust, "chat.typing", map[string]string{"from": "agent"})
			return nil
		})
	case "chat.read":
		var in struct {
			Contact string `json:"contact_id"`
			N       int    `json:"n"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		return nil, d.onChat(in.Contact, func(h *hub, ch *chat) *Error {
			if ch.agent != me {
				return failf(CodeForbidden, "not your chat")
			}
			if in.N > ch.readBy["agent"] && in.N <= ch.lastN() {
				ch.readBy["agent"] = in.N
				h.emit(ch.cust, "chat.read", map[string]any{"by": "agent", "n": in.N})
			}
			return nil
		})
	case "chat.end":
		var in contactRef
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		if err := d.onChat(in.Contact, func(_ *hub, ch *chat) *Error { return ownChat(ch, me) }); err != nil {
			return nil, err
		}
		return nil, wrapACD(e.End(ctx, in.Contact))
	case "chat.transfer":
		var in struct {
			Contact string `json:"contact_id"`
			Queue   string `json:"queue"`
			Agent   string `json:"agent_id"`
			Note    string `json:"note"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		if (in.Queue == "") == (in.Agent == "") {
			return nil, failf(CodeInvalid, "queue or agent_id: exactly one")
		}
		if len([]rune(in.Note)) > 500 {
			return nil, failf(CodeInvalid, "note: at most 500 characters")
		}
		if err := d.onChat(in.Contact, func(_ *hub, ch *chat) *Error {
			if err := ownChat(ch, me); err != nil {
				return err
			}
			ch.note = in.Note
			return nil
		}); err != nil {
			return nil, err
		}
		var err error
		if in.Queue != "" {
			err = e.TransferToQueue(ctx, in.Contact, in.Queue)
		} else {
			err = e.TransferToAgent(ctx, in.Contact, in.Agent)
		}
		if err != nil {
			return nil, acdError(err)
		}
		d.publish(TypeTransferNote, in.Contact, TransferNote{Queue: in.Queue, ToAgent: in.Agent, Note: in.Note})
		return nil, nil
	case "transfer.targets":
		var in contactRef
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		return d.transferTargets(ctx, in.Contact)
	case "customer.get":
		var in contactRef
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		return d.customerPanel(ctx, in.Contact)
	case "customer.unlock_pin":
		var in contactRef
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		return d.unlockPIN(ctx, in.Contact)
	case "wrapup.done":
		var in struct {
			Contact string `json:"contact_id"`
			Code    string `json:"code"`
			Notes   string `json:"notes"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		if !slices.Contains(g.o.WrapUpCodes, in.Code) {
			return nil, failf(CodeInvalid, "code: one of the configured wrap-up codes")
		}
		if len([]rune(in.Notes)) > 2000 {
			return nil, failf(CodeInvalid, "notes: at most 2000 characters")
		}
		if err := e.EndWrapUp(ctx, me, in.Contact); err != nil {
			return nil, acdError(err)
		}
		d.publish(TypeWrapUp, in.Contact, WrapUp{Code: in.Code, Notes: in.Notes})
		return nil, nil
	case "wrapup.extend":
		var in struct {
			Contact string `json:"contact_id"`
			Seconds int    `json:"seconds"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		if in.Seconds <= 0 || in.Seconds > 600 {
			return nil, failf(CodeInvalid, "seconds: 1 to 600")
		}
		end, err := e.ExtendWrapUp(ctx, me, in.Contact, time.Duration(in.Seconds)*time.Second)
		if err != nil {
			return nil, acdError(err)
		}
		_ = g.do(func(h *hub) {
			h.agent(me).wraps[in.Contact] = end.UTC()
			h.toAgent(me, "wrapup.started", wrapUpData{Contact: in.Contact, EndsAt: end.UTC()})
		})
		return map[string]time.Time{"ends_at": end.UTC()}, nil
	case "marketing.log":
		var in struct {
			Contact string `json:"contact_id"`
			Offer   string `json:"offer"`
			Outcome string `json:"outcome"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		if in.Offer == "" || len(in.Offer) > 80 {
			return nil, failf(CodeInvalid, "offer: 1 to 80 characters")
		}
		if !slices.Contains([]string{"presented", "accepted", "declined"}, in.Outcome) {
			return nil, failf(CodeInvalid, "outcome: presented, accepted or declined")
		}
		// An offer is logged on the agent's own contact (talking or in its
		// wrap-up): another agent's contact is not theirs to record.
		if err := d.ownContact(in.Contact); err != nil {
			return nil, err
		}
		d.publish(TypeMarketing, in.Contact, Marketing{Offer: in.Offer, Outcome: in.Outcome})
		return nil, nil
	case "ticket.create", "ticket.pool", "ticket.mine", "ticket.act", "ticket.get":
		return d.ticketCommand(ctx, f)
	case "ticket.call":
		return d.ticketCall(ctx, f)
	case "kb.search", "kb.article", "kb.suggest", "kb.send":
		return d.kbCommand(ctx, f)
	case "activity":
		// The page reports keyboard or mouse use (throttled); like any
		// command it counts as activity (recordActivity below).
		return nil, nil
	case "logout":
		var in struct {
			Reason string `json:"reason"` // "idle" when the page timed out
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		why := "agent_logged_out"
		if in.Reason == "idle" {
			why = "agent_idle"
		}
		// No customer is left talking to a desk that is gone.
		g.handOver(ctx, me, why)
		if err := e.Logout(ctx, me); err != nil && !errors.Is(err, acd.ErrUnknownAgent) {
			return nil, acdError(err)
		}
		return nil, nil
	case "sup.force_state", "sup.logout", "sup.move", "sup.skills":
		return d.supervise(ctx, f)
	case "sup.monitor", "sup.monitor_mode":
		return d.monitor(ctx, f)
	case "call.transfer":
		return d.callTransfer(ctx, f)
	case "call.hold", "call.mute", "call.dtmf", "call.hangup":
		return d.callControl(f)
	case "call.consult", "call.consult_complete", "call.consult_cancel", "call.conference":
		return d.callConsult(ctx, f)
	case "phone.answer", "phone.decline", "phone.hangup", "phone.mute", "phone.hold", "phone.dtmf", "phone.ice":
		return d.phoneCommand(ctx, f)
	}
	return nil, failf(CodeUnknownType, "unknown command "+f.Type)
}

func wrapACD(err error) *Error {
	if err == nil {
		return nil
	}
	return acdError(err)
}

func ownChat(ch *chat, agentID string) *Error {
	if ch.agent != agentID {
		return failf(CodeForbidden, "not your chat")
	}
	return nil
}

// transferTarget is a queue or an agent a chat may be transferred to.
type transferTargets struct {
	Queues []transferQueue `json:"queues"`
	Agents []transferAgent `json:"agents"`
}

type transferQueue struct {
	Queue     string `json:"queue"`
	Waiting   int    `json:"waiting"`
	Available int    `json:"available"`
}

type transferAgent struct {
	ID   string `json:"agent_id"`
	Name string `json:"name"`
}

// transferTargets lists where the agent's chat or call may go: the queues of its
// channel (but the one it came from is there too: a re-queue) and the
// agents ready now, other than the agent, whose desk is connected.
func (d *deskClient) transferTargets(ctx context.Context, contact string) (any, *Error) {
	channel, cerr := d.contactChannel(contact)
	if cerr != nil {
		return nil, cerr
	}
	e := d.g.o.ACD
	qs, err := e.Queues(ctx)
	if err != nil {
		return nil, acdError(err)
	}
	as, err := e.Agents(ctx)
	if err != nil {
		return nil, acdError(err)
	}
	out := transferTargets{Queues: []transferQueue{}, Agents: []transferAgent{}}
	for _, q := range qs {
		if q.Channel == channel {
			out.Queues = append(out.Queues, transferQueue{Queue: q.Queue, Waiting: q.Waiting, Available: q.Available})
		}
	}
	if err := d.g.do(func(h *hub) {
		for _, a := range as {
			if a.Agent == d.p.AgentID || a.State != acd.Ready || !h.present(a.Agent) {
				continue
			}
			name := a.Agent
			if v := h.agents[a.Agent]; v != nil && v.name != "" {
				name = v.name
			}
			out.Agents = append(out.Agents, transferAgent{ID: a.Agent, Name: name})
		}
	}); err != nil {
		return nil, failf(CodeUnavailable, err.Error())
	}
	slices.SortFunc(out.Agents, func(x, y transferAgent) int { return compareStr(x.Name, y.Name) })
	return out, nil
}

// ownContact answers forbidden unless the contact is the agent's own: one
// it talks to or has in wrap-up.
func (d *deskClient) ownContact(contact string) *Error {
	if contact == "" {
		return failf(CodeInvalid, "contact_id: required")
	}
	mine := false
	if err := d.g.do(func(h *hub) {
		if a := h.agents[d.p.AgentID]; a != nil {
			_, wrapping := a.wraps[contact]
			mine = a.chats[contact] || wrapping
		}
	}); err != nil {
		return failf(CodeUnavailable, err.Error())
	}
	if !mine {
		return failf(CodeForbidden, "contact_id: not your contact")
	}
	return nil
}

// onChat runs fn on the hub with the chat, or answers not_found.
func (d *deskClient) onChat(contact string, fn func(*hub, *chat) *Error) *Error {
	var out *Error
	err := d.g.do(func(h *hub) {
		c := h.chats[contact]
		if c == nil {
			out = failf(CodeNotFound, "no such chat")
			return
		}
		out = fn(h, c)
	})
	if err != nil {
		return failf(CodeUnavailable, err.Error())
	}
	return out
}

func (d *deskClient) publish(typ, contact string, data any) {
	if d.g.o.Publish == nil {
		return
	}
	d.g.o.Publish(event.Event{ID: event.NewID(), Type: event.Type(typ), At: d.g.o.Clock.Now().UTC(),
		ContactID: contact, AgentID: d.p.AgentID, Actor: d.p.AgentID, Data: data})
}
