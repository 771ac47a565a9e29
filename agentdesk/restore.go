package agentdesk

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/ivr"
)

// keptMessages is how much of a transcript a chat carries over a restart.
const keptMessages = 100

// keptChat is what a waiting or connected chat keeps over a restart of the
// node (bridge.Handle.Keep), so its customer comes back to the same chat,
// in the same place in the queue.
type keptChat struct {
	TokenHash  string            `json:"token_hash"`
	Customer   CustomerInfo      `json:"customer"`
	Vars       map[string]string `json:"vars,omitempty"`
	Queue      string            `json:"queue,omitempty"`
	Agent      string            `json:"agent_id,omitempty"` // the agent connected, if any
	Transcript []Message         `json:"transcript,omitempty"`
	// What the customer proved in the flow (identity.go): without it a
	// restored chat shows unverified, never the other way round.
	Verified        string `json:"verified,omitempty"`
	VerifiedPhone   string `json:"verified_phone,omitempty"`
	VerifiedAccount string `json:"verified_account,omitempty"`
}

// queueNote is one queue event of a chat, from the contact bridge.
type queueNote struct {
	contact string
	ev      ivr.QueueEvent
}

// chatHolder is how chats are held in the contact bridge: no ring step (a
// chat connects when accepted), positions seen by the hub, and kept over
// restarts.
func (g *Gateway) chatHolder() bridge.Holder {
	return bridge.Holder{Channel: acd.Chat, Survives: true, Observe: func(contact string, ev ivr.QueueEvent) {
		if ev.Kind != ivr.QueuePosition {
			return
		}
		select {
		case g.queueIn <- queueNote{contact: contact, ev: ev}:
		default: // a newer position follows
		}
	}}
}

// keep gives the contact bridge what the chat needs after a restart.
func (h *hub) keep(c *chat) {
	c.keepDue = false
	if c.handle == nil || c.ended {
		return
	}
	k := keptChat{TokenHash: c.tokenHash, Customer: c.info, Vars: c.vars, Queue: c.queue, Agent: c.agent, Transcript: c.msgs,
		Verified: string(c.verified), VerifiedPhone: c.verifiedPhone, VerifiedAccount: c.verifiedAccount}
	if n := len(k.Transcript); n > keptMessages {
		k.Transcript = k.Transcript[n-keptMessages:]
	}
	if b, err := json.Marshal(k); err == nil {
		c.handle.Keep(b)
	}
}

// keepEvery is how long a chat's new messages may wait before the chat is
// kept again (keepSoon). The snapshot that carries them is saved every
// acd.snapshot_interval anyway.
const keepEvery = 250 * time.Millisecond

// keepSoon is keep for a new message: the chat is marshalled again (its
// transcript tail with it) at the next keepDue, once for all the messages
// of the interval, not once per message, which was a third of the hub's
// CPU and a seventh of the node's allocations under chat traffic.
func (h *hub) keepSoon(c *chat) {
	if !c.keepDue {
		c.keepDue = true
		h.keeps = append(h.keeps, c)
	}
}

// keepPending keeps the chats keepSoon marked, if keepEvery has passed since
// the last time or force.
func (h *hub) keepPending(now time.Time, force bool) {
	if !force && now.Sub(h.keptAt) < keepEvery {
		return
	}
	h.keptAt = now
	for _, c := range h.keeps {
		if c.keepDue {
			h.keep(c)
		}
	}
	clear(h.keeps)
	h.keeps = h.keeps[:0]
}

// Restore takes back the chats a previous run of the node kept (the
// contact bridge's Loaded.Kept): each customer may reconnect with their
// token to the same chat, and keeps their place in the queue or their
// agent. Their flows did not survive: a restored chat ends when its agent
// ends it. Call it before Run or while Run runs; it returns the contacts it
// took back.
func (g *Gateway) Restore(kept map[string]json.RawMessage) []string {
	g.startMu.Lock()
	select {
	case <-g.ready:
		g.startMu.Unlock()
		var ids []string
		_ = g.do(func(h *hub) { ids = h.restore(kept) })
		return ids
	default:
		defer g.startMu.Unlock()
		return g.h.restore(kept)
	}
}

func (h *hub) restore(kept map[string]json.RawMessage) []string {
	g := h.g
	now := g.o.Clock.Now()
	var ids []string
	for id, data := range kept {
		var k keptChat
		if err := json.Unmarshal(data, &k); err != nil || k.TokenHash == "" {
			continue // another channel's, or unreadable: the grace period settles it
		}
		s := newSession(newID(16), kindCustomer, g.o.Replay, 64, now)
		s.goneAt = now
		c := &chat{id: id, tokenHash: k.TokenHash, cust: s, info: k.Customer, vars: k.Vars, queue: k.Queue,
			msgs: k.Transcript, seen: map[string]bool{}, readBy: map[string]int{}, restored: true,
			verified: ivr.Verification(k.Verified), verifiedPhone: k.VerifiedPhone, verifiedAccount: k.VerifiedAccount}
		s.chat = c
		if k.Agent != "" {
			// Connected before the restart: the agent's desk shows it again.
			c.agent, c.connected = k.Agent, true
			h.agent(k.Agent).chats[id] = true
		}
		c.handle = g.bridge.Hold(id, g.chatHolder())
		c.handle.Keep(data)
		h.sessions[s.id] = s
		h.addToken(c.tokenHash, s)
		h.chats[id] = c
		ids = append(ids, id)
	}
	if len(ids) > 0 {
		g.log.Info("chats restored", "count", len(ids))
	}
	return ids
}

// customerLeft is the customer closing the chat or letting its lease
// expire. A restored chat has no flow to tell: it leaves the ACD here — as
// system_lost when its customer never came back after the restart.
func (h *hub) customerLeft(c *chat, leaseExpired bool) {
	if c.ch != nil {
		c.ch.Leave()
		return
	}
	why := acd.LeaveHangup
	if leaseExpired && !c.back {
		why = acd.LeaveTeardown
	}
	if hd := c.handle; hd != nil {
		g := h.g
		g.goTask(func() {
			if err := hd.Cancel(context.WithoutCancel(g.ctx), why); err != nil {
				g.log.Warn("restored chat not left", "contact_id", hd.Contact(), "err", err)
			}
		})
	}
	h.chatClosed(c, why.String())
}

// restoredGone closes a restored chat whose contact the ACD finished.
func (h *hub) restoredGone(c *chat, outcome string) {
	if c != nil && c.restored && c.ch == nil && !c.ended {
		h.chatClosed(c, outcome)
	}
}
