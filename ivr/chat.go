package ivr

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ChatTransport carries IVR messages to a chat customer; agentdesk's
// customer WebSocket implements it.
type ChatTransport interface {
	Send(ctx context.Context, m ChatMessage) error
}

// ChatMessageKind says what a chat message is for.
type ChatMessageKind string

// Chat message kinds.
const (
	ChatPrompt ChatMessageKind = "prompt" // IVR text, maybe with buttons
	ChatAgent  ChatMessageKind = "agent"  // an agent joined; relay from now on
	ChatEnd    ChatMessageKind = "end"    // the IVR closed the conversation
	// ChatVerified: the customer proved an identity (Verified, Phone,
	// Account); for the desk, never shown to the customer.
	ChatVerified ChatMessageKind = "verified"
)

// ChatMessage is one message from the IVR to the chat customer.
type ChatMessage struct {
	Kind    ChatMessageKind
	Text    string
	Buttons []Choice // pressing one sends its Key as text
	Agent   string   // ChatAgent: the agent's id
	// Secret: the customer's reply to this prompt is masked input; the
	// transport must not show or keep it in clear (Deliver still takes the
	// clear text, for the flow only).
	Secret bool
	// Verified, Phone and Account: what a ChatVerified message reports.
	Verified Verification
	Phone    string
	Account  string
	// Copy are values the text shows that the customer may want to copy
	// (ticket numbers).
	Copy []string
	// Article is a knowledge-base answer to show with Text (answer node).
	Article *Article
}

// ChatChannel is the chat customer's Channel: prompts become text
// messages with buttons, and what the customer types comes back through
// Deliver — digits, button keys, option words and keywords are understood
// by the runner. Idle waits are timed on the injected clock.
//
// Whether a customer's message is for the flow or for an agent is the
// transport owner's decision (the desk gateway knows when an agent joins
// and leaves): while an agent has the customer it relays to the agent and
// does not call Deliver. Deciding there, not here, leaves no window after
// the agent leaves in which the customer's answer to the survey is lost.
type ChatChannel struct {
	t         ChatTransport
	clock     Clock
	in        chan Input
	left      chan struct{}
	leaveOnce sync.Once
	lang      atomic.Pointer[string]
}

// SetLang asks the run to speak lang from its next prompt on (the
// customer switched the widget's language); the run ignores a language
// its prompts lack.
func (c *ChatChannel) SetLang(lang string) { c.lang.Store(&lang) }

// Lang is the language the customer last asked for, "" if none.
func (c *ChatChannel) Lang() string {
	if l := c.lang.Load(); l != nil {
		return *l
	}
	return ""
}

// NewChatChannel returns a channel sending through t.
func NewChatChannel(t ChatTransport, clock Clock) *ChatChannel {
	return &ChatChannel{t: t, clock: clock, in: make(chan Input, 16), left: make(chan struct{})}
}

// Deliver passes a customer's message to the IVR. It returns false when
// the message is empty, the customer has left, or 16 messages are already
// waiting.
func (c *ChatChannel) Deliver(text string) bool {
	text = strings.TrimSpace(text)
	if text == "" {
		return false
	}
	select {
	case <-c.left:
		return false
	default:
	}
	select {
	case c.in <- Input{Kind: InputText, Text: text}:
		return true
	default:
		return false
	}
}

// Leave tells the IVR the customer closed the chat.
func (c *ChatChannel) Leave() { c.leaveOnce.Do(func() { close(c.left) }) }

// Kind returns Chat.
func (c *ChatChannel) Kind() ChannelKind { return Chat }

// Play sends the utterance's text and buttons; it never waits for input.
func (c *ChatChannel) Play(ctx context.Context, u Utterance) (Input, error) {
	select {
	case <-c.left:
		return Input{}, ErrHangup
	default:
	}
	return Input{}, c.t.Send(ctx, ChatMessage{Kind: ChatPrompt, Text: u.Text(), Buttons: u.Choices, Secret: u.Secret, Copy: u.Copyable(),
		Article: u.Article})
}

// Receive waits for the customer's next message or a queue event.
func (c *ChatChannel) Receive(ctx context.Context, deadline time.Time, queue <-chan QueueEvent) (Input, error) {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := deadline.Sub(c.clock.Now())
		if d <= 0 {
			return Input{}, ErrTimeout
		}
		timeout = c.clock.After(d)
	}
	select {
	case in := <-c.in:
		return in, nil
	case ev, ok := <-queue:
		if !ok {
			ev = QueueEvent{Kind: QueueLost}
		}
		return Input{Kind: InputQueue, Queue: ev}, nil
	case <-c.left:
		return Input{}, ErrHangup
	case <-timeout:
		return Input{}, ErrTimeout
	case <-ctx.Done():
		return Input{}, ctx.Err()
	}
}

// Transfer tells the customer an agent joined; the transport owner relays
// the customer's messages to the agent from now on (and shows the agent
// by name).
func (c *ChatChannel) Transfer(ctx context.Context, agentID string) error {
	return c.t.Send(ctx, ChatMessage{Kind: ChatAgent, Agent: agentID})
}

// Hangup closes the conversation from the IVR's side.
func (c *ChatChannel) Hangup(ctx context.Context) error {
	select {
	case <-c.left:
		return nil
	default:
	}
	c.Leave()
	return c.t.Send(ctx, ChatMessage{Kind: ChatEnd})
}

// Verified tells the transport owner (the desk) what the customer proved.
func (c *ChatChannel) Verified(ctx context.Context, level Verification, phone, account string) error {
	return c.t.Send(ctx, ChatMessage{Kind: ChatVerified, Verified: level, Phone: phone, Account: account})
}
