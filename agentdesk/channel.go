package agentdesk

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/hotline10000/hotline/ivr"
)

// customerChannel is the ivr.Channel of a web chat. It follows
// ivr.ChatChannel's rules with one difference: whether a message goes to
// the flow or to an agent is the hub's decision (it knows when the agent
// leaves), so the flow takes the customer's input again after the agent
// leg — the rating of the post-contact survey. ivr.ChatChannel refuses
// input for good once Transfer ran.
type customerChannel struct {
	send      func(ctx context.Context, m ivr.ChatMessage) error
	clock     Clock
	in        chan ivr.Input
	left      chan struct{}
	leaveOnce sync.Once
}

func newCustomerChannel(send func(ctx context.Context, m ivr.ChatMessage) error, clock Clock) *customerChannel {
	return &customerChannel{send: send, clock: clock, in: make(chan ivr.Input, 16), left: make(chan struct{})}
}

// Deliver passes a customer's message to the flow; false when the
// customer left or 16 messages already wait.
func (c *customerChannel) Deliver(text string) bool {
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
	case c.in <- ivr.Input{Kind: ivr.InputText, Text: text}:
		return true
	default:
		return false
	}
}

// Leave tells the flow the customer closed the chat.
func (c *customerChannel) Leave() { c.leaveOnce.Do(func() { close(c.left) }) }

func (c *customerChannel) Kind() ivr.ChannelKind { return ivr.Chat }

func (c *customerChannel) Play(ctx context.Context, u ivr.Utterance) (ivr.Input, error) {
	select {
	case <-c.left:
		return ivr.Input{}, ivr.ErrHangup
	default:
	}
	return ivr.Input{}, c.send(ctx, ivr.ChatMessage{Kind: ivr.ChatPrompt, Text: u.Text(), Buttons: u.Choices})
}

func (c *customerChannel) Receive(ctx context.Context, deadline time.Time, queue <-chan ivr.QueueEvent) (ivr.Input, error) {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := deadline.Sub(c.clock.Now())
		if d <= 0 {
			return ivr.Input{}, ivr.ErrTimeout
		}
		timeout = c.clock.After(d)
	}
	select {
	case in := <-c.in:
		return in, nil
	case ev, ok := <-queue:
		if !ok {
			ev = ivr.QueueEvent{Kind: ivr.QueueLost}
		}
		return ivr.Input{Kind: ivr.InputQueue, Queue: ev}, nil
	case <-c.left:
		return ivr.Input{}, ivr.ErrHangup
	case <-timeout:
		return ivr.Input{}, ivr.ErrTimeout
	case <-ctx.Done():
		return ivr.Input{}, ctx.Err()
	}
}

func (c *customerChannel) Transfer(ctx context.Context, agent string) error {
	return c.send(ctx, ivr.ChatMessage{Kind: ivr.ChatAgent, Agent: agent})
}

func (c *customerChannel) Hangup(ctx context.Context) error {
	select {
	case <-c.left:
		return nil
	default:
	}
	c.Leave()
	return c.send(ctx, ivr.ChatMessage{Kind: ivr.ChatEnd})
}
