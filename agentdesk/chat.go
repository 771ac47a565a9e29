package agentdesk

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
)

// Limits of a chat.
const (
	maxText       = 4000 // characters of one message
	maxTranscript = 1000 // messages kept per chat
)

// chat is one web chat conversation, from the widget's start through the
// IVR, the queue and the agents, to the rating. The hub owns it.
type chat struct {
	id        string // the contact id
	tokenHash string
	cust      *session
	ch        *ivr.ChatChannel // nil for a chat restored after a restart: its flow did not survive
	handle    *bridge.Handle
	keepDue   bool // messages came since it was last kept (hub.keepSoon)
	info      CustomerInfo
	vars      map[string]string // what the flow collected, for the agent's screen
	queue     string
	position  int
	agent     string // the agent the customer talks to now
	note      string // the last transfer note
	leftWhy   string // why its agent is leaving, told to the customer (agent_logged_out, agent_idle)
	connected bool   // the IVR has been told an agent joined
	secret    bool   // the flow's last prompt asked for masked input
	// verified, verifiedPhone and verifiedAccount: what the customer
	// proved in the flow (identity.go); until then the form is a claim.
	verified        ivr.Verification
	verifiedPhone   string
	verifiedAccount string
	msgs            []Message
	seen            map[string]bool // client message ids already taken
	readBy          map[string]int  // who has read up to which message
	ended           bool
	endedAt         time.Time
	restored        bool // taken back from the ACD's snapshot after a restart
	back            bool // its customer came back since
}

// CustomerInfo is what the pre-chat form (or the caller id) tells.
type CustomerInfo struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Topic string `json:"topic,omitempty"`
	Lang  string `json:"lang,omitempty"`
	ANI   string `json:"ani,omitempty"`
}

// Message is one line of a chat transcript.
type Message struct {
	N       int           `json:"n"` // position in the transcript, from 1
	MsgID   string        `json:"msg_id,omitempty"`
	From    string        `json:"from"` // customer, agent, bot, system
	Agent   string        `json:"agent_id,omitempty"`
	Text    string        `json:"text"`
	Buttons []ButtonLabel `json:"buttons,omitempty"`
	// Secret (bot): the reply to this prompt is masked input; the widget
	// hides what the customer types. Masked (customer): the text was
	// masked input and shows as dots only.
	Secret bool     `json:"secret,omitempty"`
	Masked bool     `json:"masked,omitempty"`
	Copy   []string `json:"copy,omitempty"` // values to offer for copying (ticket numbers)
	// Article: a knowledge-base article the agent or the flow sent (Text
	// is its title, all the transcript store keeps); its HTML is sanitized.
	Article *ivr.Article `json:"article,omitempty"`
	At      time.Time    `json:"at"`
}

// maskedText stands for masked input everywhere outside the flow: the
// customer's bubble, the agent's transcript, tickets and the event log.
// It does not tell the length.
const maskedText = "••••••"

// ButtonLabel is a choice the chat flow offers; pressing it sends Key.
type ButtonLabel struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// chatView is a chat as the desk shows it.
type chatView struct {
	Contact    string            `json:"contact_id"`
	Customer   CustomerInfo      `json:"customer"`
	Vars       map[string]string `json:"vars,omitempty"`
	Queue      string            `json:"queue,omitempty"`
	Note       string            `json:"note,omitempty"`
	Transcript []Message         `json:"transcript"`
	Ended      bool              `json:"ended,omitempty"`
	// Verified: how the customer proved who they are: none (the form is a
	// claim: the desk shows an "unverified" badge), otp or pin.
	Verified string `json:"verified"`
}

func (c *chat) view() chatView {
	return chatView{Contact: c.id, Customer: c.agentInfo(), Vars: c.agentVars(false), Queue: c.queue, Note: c.note,
		Transcript: append([]Message(nil), c.msgs...), Ended: c.ended, Verified: c.verifiedBy()}
}

// markSeen records a message id; the set is bounded (a retry comes
// within seconds, not thousands of messages later).
func (c *chat) markSeen(key string) bool {
	if c.seen[key] {
		return false
	}
	if len(c.seen) >= 4*maxTranscript {
		clear(c.seen)
	}
	c.seen[key] = true
	return true
}

func (h *hub) addMessage(c *chat, m Message) Message {
	// Number after the last message, not by count: a chat restored after a
	// restart keeps only its tail, and numbers already stored must not be
	// handed out again (the transcript store keeps the first of a number).
	m.N = 1
	if n := len(c.msgs); n > 0 {
		m.N = c.msgs[n-1].N + 1
	}
	if len(c.msgs) >= maxTranscript {
		copy(c.msgs, c.msgs[1:])
		c.msgs = c.msgs[:len(c.msgs)-1]
	}
	m.At = h.g.o.Clock.Now().UTC()
	c.msgs = append(c.msgs, m)
	h.keepSoon(c)
	if t := h.g.o.Transcripts; t != nil {
		t.Keep(store.TranscriptMessage{ContactID: c.id, Seq: m.N, Sender: store.SenderKind(m.From), SenderID: m.Agent,
			Text: m.Text, At: m.At})
	}
	return m
}

// TranscriptSink stores chat messages (transcript.Writer). Keep is called
// on the hub goroutine, so it must return at once in normal operation;
// transcript.Writer blocks only when its memory buffer and its spill file
// are both full (or the spill is off), and then once, for at most its
// MaxWait, before it counts messages as lost (docs/operations.md).
type TranscriptSink interface {
	Keep(m store.TranscriptMessage)
}

type chatMessageData struct {
	Contact string `json:"contact_id"`
	Message
}

// startChat opens a chat: a customer session with a fresh token and an IVR
// run on the chat channel. It runs on the hub.
func (h *hub) startChat(info CustomerInfo) (token, contact string) {
	g := h.g
	now := g.o.Clock.Now()
	token = newID(24)
	contact = "chat-" + newID(8)
	s := newSession(newID(16), kindCustomer, g.o.Replay, 64, now)
	c := &chat{id: contact, tokenHash: hashToken(token), cust: s, info: info, seen: map[string]bool{}, readBy: map[string]int{}}
	s.chat = c
	c.ch = ivr.NewChatChannel(chatTransport{g: g, contact: contact}, g.o.Clock)
	h.sessions[s.id] = s
	h.addToken(c.tokenHash, s)
	h.chats[contact] = c
	// The typed phone is a claim (the flow's `phone`), never the caller
	// id: account data needs the flow to prove it.
	info.ANI = ""
	c.info = info
	ani := "web:" + s.id[:8]
	vars := map[string]any{}
	phone := phoneSpacing.Replace(info.Phone)
	for k, v := range map[string]string{"customer_name": info.Name, "phone": phone, "topic": info.Topic} {
		if v != "" {
			vars[k] = v
		}
	}
	ctx := g.ctx
	g.goTask(func() {
		res, err := g.runner.Run(ctx, ivr.Contact{ID: contact, ANI: ani, Entry: g.o.ChatEntry, Lang: info.Lang, Vars: vars}, c.ch)
		if err != nil && ctx.Err() == nil {
			g.log.Warn("chat flow failed", "contact_id", contact, "err", err)
		}
		_ = g.do(func(h *hub) { h.chatClosed(c, string(res.Outcome)) })
	})
	g.log.Info("chat started", "contact_id", contact)
	return token, contact
}

// chatClosed runs when the chat's flow has ended: nothing more will come.
func (h *hub) chatClosed(c *chat, outcome string) {
	if c.ended {
		return
	}
	c.ended, c.endedAt = true, h.g.o.Clock.Now()
	h.emit(c.cust, "chat.ended", map[string]string{"outcome": outcome})
	// An agent still in the chat learns it from the ACD's ended event,
	// which the flow's cancel caused (chatAgentLeft).
}

// agentName is how the customer sees an agent.
func (h *hub) agentName(agentID string) string {
	if a := h.agents[agentID]; a != nil && a.name != "" {
		return a.name
	}
	return agentID
}

func (h *hub) chatAnswered(c *chat, agentID string) {
	if c.agent == agentID {
		return // announced when the agent accepted (a leaving agent clears it first)
	}
	c.agent = agentID
	h.keep(c)
	name := h.agentName(agentID)
	if !c.connected && c.ch != nil {
		// The first answer since the flow queued the chat: the flow hears
		// it from the contact bridge and says it (whether or not the hub
		// has seen the bridge's handle yet).
		c.connected = true
	} else {
		h.emit(c.cust, "chat.agent_joined", map[string]string{"agent": name})
	}
	h.addMessage(c, Message{From: "system", Text: "agent_joined:" + name})
	h.toAgent(agentID, "chat.started", c.view())
}

func (h *hub) chatAgentLeft(c *chat, reason string) {
	if c.agent == "" {
		return
	}
	if c.ended {
		reason = "customer_left"
	}
	h.toAgent(c.agent, "chat.ended", map[string]string{"contact_id": c.id, "reason": reason})
	c.agent = ""
	h.keep(c)
	if !c.ended {
		h.emit(c.cust, "chat.agent_left", map[string]string{"reason": reason})
	}
	// The flow learns it from the contact bridge; a restored chat has no
	// flow left to go back to.
	h.restoredGone(c, "ended")
}

// customerSays takes a customer's message: to the agent when one is
// connected, else to the flow.
func (h *hub) customerSays(c *chat, msgID, text string) *Error {
	if c.ended {
		return failf(CodeConflict, "the chat has ended")
	}
	if !c.markSeen(msgID) {
		return nil
	}
	// Masked input goes to the flow only: what is kept and shown is dots.
	secret := c.agent == "" && c.secret
	shown := Message{MsgID: msgID, From: "customer", Text: text}
	if secret {
		shown.Text, shown.Masked = maskedText, true
	}
	m := h.addMessage(c, shown)
	d := chatMessageData{Contact: c.id, Message: m}
	h.emit(c.cust, "chat.message", d)
	if c.agent != "" {
		h.toAgent(c.agent, "chat.message", d)
		return nil
	}
	if c.ch != nil {
		c.ch.Deliver(text)
	}
	return nil
}

func (h *hub) agentSays(c *chat, agentID, msgID, text string) *Error {
	if c.agent != agentID {
		return failf(CodeForbidden, "not your chat")
	}
	if c.ended {
		return failf(CodeConflict, "the chat has ended")
	}
	if !c.markSeen(agentID + "/" + msgID) {
		return nil
	}
	m := h.addMessage(c, Message{MsgID: msgID, From: "agent", Agent: agentID, Text: text})
	d := chatMessageData{Contact: c.id, Message: m}
	h.emit(c.cust, "chat.message", d)
	h.toAgent(agentID, "chat.message", d)
	return nil
}

// ivrSays shows the flow's messages to the customer and in the transcript.
func (h *hub) ivrSays(c *chat, m ivr.ChatMessage) {
	switch m.Kind {
	case ivr.ChatPrompt:
		var bs []ButtonLabel
		for _, b := range m.Buttons {
			bs = append(bs, ButtonLabel{Key: b.Key, Label: b.Label})
		}
		c.secret = m.Secret
		text := m.Text
		if m.Article != nil && text == "" {
			text = m.Article.Title
		}
		msg := h.addMessage(c, Message{From: "bot", Text: text, Buttons: bs, Secret: m.Secret, Copy: m.Copy, Article: m.Article})
		h.emit(c.cust, "chat.message", chatMessageData{Contact: c.id, Message: msg})
	case ivr.ChatAgent:
		h.emit(c.cust, "chat.agent_joined", map[string]string{"agent": h.agentName(m.Agent)})
	case ivr.ChatVerified:
		h.chatVerified(c, m)
	case ivr.ChatEnd:
		// chatClosed follows when the run returns.
	}
}

func cleanText(s string) (string, *Error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", failf(CodeInvalid, "text is empty")
	case !utf8.ValidString(s):
		return "", failf(CodeInvalid, "text is not UTF-8")
	case utf8.RuneCountInString(s) > maxText:
		return "", failf(CodeInvalid, fmt.Sprintf("text longer than %d characters", maxText))
	}
	return s, nil
}

// chatTransport is the ivr.ChatTransport of one chat.
type chatTransport struct {
	g       *Gateway
	contact string
}

func (t chatTransport) Send(ctx context.Context, m ivr.ChatMessage) error {
	if m.Kind == ivr.ChatVerified && t.g.o.Store != nil {
		// The contact record tells how the customer proved who they are.
		// Written here, on the flow's goroutine, not on the hub's.
		v := store.ContactVerification{Level: string(m.Verified), At: t.g.o.Clock.Now()}
		if err := t.g.o.Store.SetContactVerification(ctx, t.contact, v); err != nil {
			t.g.log.Warn("chat verification not recorded", "contact_id", t.contact, "err", err)
		}
	}
	return t.g.do(func(h *hub) {
		if c := h.chats[t.contact]; c != nil {
			h.ivrSays(c, m)
		}
	})
}

// chatQueuer is the chat runs' ivr.Queuer: the contact bridge, with the
// gateway keeping what the agent's screen and a restart need.
type chatQueuer struct{ g *Gateway }

func (q chatQueuer) Enqueue(ctx context.Context, req ivr.QueueRequest) (ivr.QueueHandle, error) {
	g := q.g
	err := g.do(func(h *hub) {
		if c := h.chats[req.ContactID]; c != nil {
			c.vars, c.connected, c.position = req.Context, false, 0
		}
	})
	if err != nil {
		return nil, err
	}
	hd, err := g.bridge.Enqueue(ctx, g.chatHolder(), req)
	if err != nil {
		return nil, fmt.Errorf("enqueue chat: %w", err)
	}
	_ = g.do(func(h *hub) {
		if c := h.chats[req.ContactID]; c != nil {
			c.handle = hd
			h.keep(c)
		}
	})
	return hd, nil
}

// chatTickets creates the chat flow's tickets (a message left when no agent
// can answer, a fault report) through ivrticket, adding what the widget
// knows: the pre-chat form and what the customer wrote.
type chatTickets struct {
	g    *Gateway
	next ivr.TicketCreator
}

func (t chatTickets) CreateTicket(ctx context.Context, req ivr.TicketRequest) (string, error) {
	if t.next == nil {
		return "", fmt.Errorf("chat ticket: no ticket service")
	}
	var info CustomerInfo
	var said []string
	_ = t.g.do(func(h *hub) {
		if c := h.chats[req.ContactID]; c != nil {
			info = c.info
			for _, m := range c.msgs {
				if m.From == "customer" {
					said = append(said, m.Text)
				}
			}
		}
	})
	fields := make(map[string]string, len(req.Fields)+4)
	for k, v := range req.Fields {
		fields[k] = v
	}
	for k, v := range map[string]string{"phone": info.Phone, "name": info.Name, "topic": info.Topic, "customer_wrote": strings.Join(said, "\n")} {
		if v != "" && fields[k] == "" {
			fields[k] = v
		}
	}
	req.Fields = fields
	return t.next.CreateTicket(ctx, req)
}
