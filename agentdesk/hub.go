package agentdesk

import (
	"context"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/ivr"
)

// hub is the state the gateway owns: sessions, agents as the desk shows
// them, chats, board counters. Only the hub goroutine (loop) touches it.
type hub struct {
	g          *Gateway
	conns      map[*conn]bool      // every open socket, attached or not
	sessions   map[string]*session // by session id
	byKey      map[string]*session // agent sessions by agent id + view
	tokens     map[string]*session // customer sessions by chat token hash
	agents     map[string]*agentView
	chats      map[string]*chat      // by contact id
	phones     map[string]*phoneCall // desk phone calls by agent id (phone.go)
	boards     map[*session]bool     // sessions of the board view
	dirty      bool                  // the board needs a refresh
	lastQueues []acd.BoardQueue
	lastAt     time.Time // when lastQueues was read
	lastKPIs   any       // the KPI tiles read with lastQueues
	nextSweep  time.Time // when the leases are next checked
	pings      pingWheel // when each socket is next pinged
	pingDue    []*conn   // scratch of pingIfDue
	keeps      []*chat   // chats with messages not kept yet (keepSoon)
	keptAt     time.Time // when they were last kept

	// lastDays are the KPI engine's queue counts (Options.QueueDays).
	lastDays map[string]bridge.DayCount

	// callNotes are the notes of calls transferred (call.transfer), by
	// contact id, for their offers until an agent answers.
	callNotes map[string]string
}

// agentView is one agent as the desk and the board show it, kept from the
// ACD's events.
type agentView struct {
	id      string
	name    string
	state   acd.AgentState
	reason  string
	since   time.Time
	offer   *offerData
	wraps   map[string]time.Time // contact → wrap-up end
	chats   map[string]bool
	offline bool // its desk socket is gone
}

// queueDay is today's outcomes of a queue on the board, counted by the
// contact bridge (bridge.DayCount).
type queueDay struct {
	Answered  int `json:"answered"`
	Abandoned int `json:"abandoned"`
	Lost      int `json:"lost"`
}

func newHub(g *Gateway) *hub {
	return &hub{g: g, conns: map[*conn]bool{}, sessions: map[string]*session{}, byKey: map[string]*session{}, tokens: map[string]*session{},
		agents: map[string]*agentView{}, chats: map[string]*chat{}, phones: map[string]*phoneCall{}, callNotes: map[string]string{},
		boards: map[*session]bool{}, pings: newPingWheel(g.o.Heartbeat, g.o.Clock.Now())}
}

const sweepEvery = time.Second

func (h *hub) loop(ctx context.Context) {
	g := h.g
	g.goTask(func() { g.refreshBoards(ctx) })
	h.nextSweep = g.o.Clock.Now().Add(sweepEvery)
	sweep := g.o.Clock.After(sweepEvery)
	pingTick := g.o.Clock.After(h.pings.slot)
	for {
		select {
		case <-ctx.Done():
			h.shutdown()
			return
		case fn := <-g.reqs:
			// A due sweep runs before the request, whichever of the two
			// the select took first: a request sees leases checked up to
			// the clock's time (Gateway.Sync relies on it).
			h.sweepIfDue()
			// ACD events handed over before the request are handled
			// first: a request (Gateway.Sync) sees every event the
			// engine had delivered when it was asked.
			h.drainACD()
			fn(h)
		case evs := <-g.acdIn:
			for _, ev := range evs {
				h.onACD(ev)
			}
		case q := <-g.queueIn:
			h.queueMoved(q.contact, q.ev)
		case <-pingTick:
			now := g.o.Clock.Now()
			h.pingIfDue(now)
			h.keepPending(now, false)
			pingTick = g.o.Clock.After(h.pings.slot)
		case <-sweep:
			h.sweepIfDue()
			sweep = g.o.Clock.After(max(h.nextSweep.Sub(g.o.Clock.Now()), time.Millisecond))
		}
	}
}

// drainACD handles the ACD batches already waiting, without blocking.
func (h *hub) drainACD() {
	for {
		select {
		case evs := <-h.g.acdIn:
			for _, ev := range evs {
				h.onACD(ev)
			}
		default:
			return
		}
	}
}

// sweepIfDue checks the leases when a sweep is due.
func (h *hub) sweepIfDue() {
	now := h.g.o.Clock.Now()
	if now.Before(h.nextSweep) {
		return
	}
	h.sweep(now)
	h.nextSweep = now.Add(sweepEvery)
}

func (h *hub) shutdown() {
	h.keepPending(time.Time{}, true) // the last save after the gateway stopped carries them
	for c := range h.conns {
		c.close(CloseShutdown, "server shutting down")
	}
	for _, s := range h.sessions {
		s.conn = nil
	}
	// Chats are not left: their runs stop with the gateway's context, and
	// the contact bridge keeps waiting and connected chats in the ACD's
	// snapshot for the customer to come back to after the restart.
}

// emit sends a durable frame on a session: numbered, kept for replay and
// written to the socket if one is attached.
func (h *hub) emit(s *session, typ string, data any) {
	b := s.push(Frame{Type: typ, At: h.g.o.Clock.Now().UTC(), Data: raw(data)})
	if s.conn != nil && !s.conn.enqueue(b) {
		h.detach(s, s.conn)
	}
}

// emitOffer is emit for an offer the ACD decided at decided: the socket
// writer reports its delivery time (Options.OfferDelivered).
func (h *hub) emitOffer(s *session, od *offerData, decided time.Time) {
	b := s.push(Frame{Type: "offer", At: h.g.o.Clock.Now().UTC(), Data: raw(od)})
	if s.conn != nil && !s.conn.enqueueOffer(b, decided) {
		h.detach(s, s.conn)
	}
}

// volatile sends a frame that is not kept: lost with the socket.
func (h *hub) volatile(s *session, typ string, data any) {
	if s.conn == nil {
		return
	}
	if !s.conn.enqueue(encode(Frame{Type: typ, At: h.g.o.Clock.Now().UTC(), Data: raw(data)})) {
		h.detach(s, s.conn)
	}
}

// detach forgets a socket; the session starts its lease.
func (h *hub) detach(s *session, c *conn) {
	if s.conn != c || c == nil {
		return
	}
	s.conn = nil
	s.goneAt = h.g.o.Clock.Now()
	s.expired, s.rescued = false, false
	if s.kind == kindAgent {
		if a := h.agents[s.principal.AgentID]; a != nil && s.id == h.deskKeySession(a.id) {
			a.offline = true
			h.dirty = true
		}
	}
}

func (h *hub) deskKeySession(agentID string) string {
	if s := h.byKey[agentID+"/desk"]; s != nil {
		return s.id
	}
	return ""
}

func (h *hub) agentDesk(agentID string) *session { return h.byKey[agentID+"/desk"] }

// sweep applies the presence rules: a socket silent past the lease is
// closed; an agent gone past the lease is set not ready (disconnected),
// which withdraws and re-routes its offer; an agent still gone after
// ChatRescue has its chats put back in their queues, so no customer waits
// on an absent agent; a customer gone past the chat lease has left.
func (h *hub) sweep(now time.Time) {
	g := h.g
	h.pingIfDue(now)
	h.keepPending(now, false)
	for _, s := range h.sessions {
		if s.conn != nil {
			if now.Sub(time.Unix(0, s.conn.seen.Load())) > g.o.Lease {
				s.conn.close(CloseLeaseExpired, "no heartbeat within the lease")
				h.detach(s, s.conn)
			}
			continue
		}
		if s.kind == kindAgent && s.expired && !s.rescued && now.Sub(s.goneAt) > g.o.ChatRescue {
			s.rescued = true
			h.rescueChats(s.principal.AgentID)
		}
		if s.expired {
			continue
		}
		switch s.kind {
		case kindAgent:
			if now.Sub(s.goneAt) <= g.o.Lease || h.byKey[s.principal.AgentID+"/desk"] != s {
				continue
			}
			s.expired = true
			id := s.principal.AgentID
			g.log.Info("desk lease expired", "agent_id", id)
			g.goTask(func() {
				err := g.o.ACD.SetNotReady(context.WithoutCancel(g.ctx), id, "disconnected")
				if err != nil {
					g.log.Debug("lease not ready", "agent_id", id, "err", err)
				}
			})
		case kindCustomer:
			if now.Sub(s.goneAt) <= g.o.ChatLease {
				continue
			}
			s.expired = true
			if c := s.chat; c != nil && !c.ended {
				g.log.Info("chat lease expired", "contact_id", c.id)
				h.customerLeft(c, true)
			}
		}
	}
	// Chats ended long ago are forgotten, with their tokens.
	for id, c := range h.chats {
		if c.ended && now.Sub(c.endedAt) > g.o.ChatLease && (c.cust == nil || c.cust.conn == nil) {
			delete(h.chats, id)
			if c.cust != nil {
				delete(h.sessions, c.cust.id)
				h.dropToken(c.tokenHash)
			}
		}
	}
}

// rescueChats transfers the chats of an agent who is gone back to their
// queues, with a note saying why.
func (h *hub) rescueChats(agentID string) {
	g := h.g
	a := h.agents[agentID]
	if a == nil {
		return
	}
	for id := range a.chats {
		c := h.chats[id]
		if c == nil || c.ended || c.agent != agentID || c.queue == "" {
			continue
		}
		c.note = "agent_disconnected"
		contact, queue := c.id, c.queue
		g.log.Info("chat rescued from a disconnected agent", "contact_id", contact, "agent_id", agentID, "queue", queue)
		g.goTask(func() {
			// At the front: the customer did nothing to lose their turn.
			if err := g.o.ACD.ReturnToQueue(context.WithoutCancel(g.ctx), contact); err != nil {
				g.log.Warn("rescue chat", "contact_id", contact, "err", err)
			}
		})
	}
}

func (h *hub) agent(id string) *agentView {
	a := h.agents[id]
	if a == nil {
		a = &agentView{id: id, wraps: map[string]time.Time{}, chats: map[string]bool{}}
		h.agents[id] = a
	}
	return a
}

// toAgent sends a durable frame to the agent's desk session, if it has one.
func (h *hub) toAgent(agentID, typ string, data any) {
	if s := h.agentDesk(agentID); s != nil {
		h.emit(s, typ, data)
	}
}

// onACD turns one ACD event into desk, chat and board frames.
func (h *hub) onACD(ev acd.Event) {
	h.dirty = true
	c := h.chats[ev.Contact]
	switch ev.Kind {
	case acd.EventQueued:
		if c != nil {
			c.queue = ev.Queue
			h.keep(c)
		}
	case acd.EventOffered:
		a := h.agent(ev.Agent)
		od := &offerData{Contact: ev.Contact, Queue: ev.Queue, Channel: ev.Channel.String(), Tier: ev.Tier,
			ExpiresAt: ev.At.Add(h.g.o.OfferTimeout).UTC()}
		if c != nil {
			// A chat that had an agent before comes by transfer.
			od.Customer, od.Note, od.Transfer = c.agentInfo(), c.note, c.connected
		} else if note, ok := h.callNotes[ev.Contact]; ok && ev.Reason != "consult" {
			od.Note, od.Transfer = note, true
		}
		a.offer = od
		if s := h.agentDesk(ev.Agent); s != nil {
			h.emitOffer(s, od, ev.At)
		}
	case acd.EventRejected, acd.EventOfferTimeout, acd.EventOfferWithdrawn:
		a := h.agent(ev.Agent)
		if a.offer != nil && a.offer.Contact == ev.Contact {
			a.offer = nil
		}
		h.toAgent(ev.Agent, "offer.ended", map[string]string{"contact_id": ev.Contact, "reason": ev.Kind.String()})
	case acd.EventAccepted:
		a := h.agent(ev.Agent)
		if a.offer != nil && a.offer.Contact == ev.Contact {
			a.offer = nil
		}
		h.toAgent(ev.Agent, "offer.ended", map[string]string{"contact_id": ev.Contact, "reason": "accepted"})
	case acd.EventAnswered:
		a := h.agent(ev.Agent)
		a.chats[ev.Contact] = true
		if c != nil {
			h.chatAnswered(c, ev.Agent)
		} else {
			delete(h.callNotes, ev.Contact)
			h.toAgent(ev.Agent, "contact.started", map[string]string{"contact_id": ev.Contact, "channel": ev.Channel.String(), "queue": ev.Queue})
		}
	case acd.EventEnded:
		delete(h.callNotes, ev.Contact)
		if ev.Agent != "" {
			delete(h.agent(ev.Agent).chats, ev.Contact)
		}
		if c != nil {
			h.chatAgentLeft(c, "ended")
		} else if ev.Agent != "" {
			h.toAgent(ev.Agent, "contact.ended", map[string]string{"contact_id": ev.Contact})
		}
	case acd.EventAbandoned:
		delete(h.callNotes, ev.Contact)
		h.restoredGone(c, "abandoned")
	case acd.EventLost:
		delete(h.callNotes, ev.Contact)
		h.restoredGone(c, "system_lost")
	case acd.EventTransferred:
		// Away from an agent (to a queue or another agent) or between
		// queues; the queued event that follows puts it in line again.
		if ev.Agent != "" && c != nil && c.agent == ev.Agent {
			delete(h.agent(ev.Agent).chats, ev.Contact)
			h.toAgent(ev.Agent, "chat.ended", map[string]string{"contact_id": c.id, "reason": "transferred"})
			c.agent = ""
			h.keep(c)
			why := "transferred"
			if c.leftWhy != "" {
				why, c.leftWhy = c.leftWhy, ""
			}
			h.emit(c.cust, "chat.agent_left", map[string]string{"reason": why})
		} else if c == nil && ev.Agent != "" && h.agent(ev.Agent).chats[ev.Contact] {
			// A call the agent transferred: it is no longer theirs. A
			// completed consultation is the consulted agent's now.
			delete(h.agent(ev.Agent).chats, ev.Contact)
			h.toAgent(ev.Agent, "contact.ended", map[string]string{"contact_id": ev.Contact, "reason": "transferred"})
			if ev.Reason == "consult" && ev.Target != "" {
				h.agent(ev.Target).chats[ev.Contact] = true
				h.toAgent(ev.Target, "contact.started", map[string]string{"contact_id": ev.Contact, "channel": ev.Channel.String(), "queue": ev.Queue})
			}
		}
	case acd.EventConsultStarted, acd.EventConsultEnded:
		// A consultation of a call: both agents' desks follow it.
		state := "talking"
		if ev.Kind == acd.EventConsultEnded {
			state = "ended"
		}
		if b := h.agent(ev.Target); b.offer != nil && b.offer.Contact == ev.Contact {
			b.offer = nil
			h.toAgent(ev.Target, "offer.ended", map[string]string{"contact_id": ev.Contact, "reason": "consult_" + state})
		}
		if c == nil {
			data := map[string]string{"contact_id": ev.Contact, "agent_id": ev.Agent, "consult_agent_id": ev.Target, "state": state, "reason": ev.Reason}
			h.toAgent(ev.Agent, "call.consult", data)
			h.toAgent(ev.Target, "call.consult", data)
		}
	case acd.EventWrapUpStarted:
		a := h.agent(ev.Agent)
		end := ev.At.Add(h.g.o.WrapUp).UTC()
		a.wraps[ev.Contact] = end
		h.toAgent(ev.Agent, "wrapup.started", map[string]any{"contact_id": ev.Contact, "ends_at": end})
	case acd.EventWrapUpEnded:
		a := h.agent(ev.Agent)
		delete(a.wraps, ev.Contact)
		h.toAgent(ev.Agent, "wrapup.ended", map[string]string{"contact_id": ev.Contact})
	case acd.EventAgentStateChanged:
		a := h.agent(ev.Agent)
		a.state, a.reason, a.since = ev.State, ev.Reason, ev.At.UTC()
		if ev.State == acd.LoggedOut {
			a.offer = nil
		}
		h.toAgent(ev.Agent, "agent.state", a.stateData())
	}
}

type agentStateData struct {
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"`
}

func (a *agentView) stateData() agentStateData {
	return agentStateData{State: a.state.String(), Reason: a.reason, Since: a.since}
}

type queueInfo struct {
	Position     int `json:"position"`
	ExpectedWait int `json:"expected_wait_s,omitempty"`
}

// queueMoved tells a chat customer their place in the queue, as the
// contact bridge computed it from the router.
func (h *hub) queueMoved(contact string, ev ivr.QueueEvent) {
	c := h.chats[contact]
	if c == nil || c.ended || ev.Kind != ivr.QueuePosition {
		return
	}
	c.position = ev.Position
	h.volatile(c.cust, "chat.queue", queueInfo{Position: ev.Position, ExpectedWait: int((ev.ExpectedWait + time.Second - 1) / time.Second)})
}

// addToken and dropToken keep the chat tokens, and the gateway's read view
// of them (Gateway.chatTokens), which the chat socket's handshake checks
// without a round trip to the hub.
func (h *hub) addToken(hash string, s *session) {
	h.tokens[hash] = s
	h.g.chatTokens.Store(hash, struct{}{})
}

func (h *hub) dropToken(hash string) {
	delete(h.tokens, hash)
	h.g.chatTokens.Delete(hash)
}
