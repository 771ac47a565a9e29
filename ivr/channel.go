package ivr

import (
	"context"
	"time"
)

// ChannelKind says how a contact reaches the IVR.
type ChannelKind string

// Channel kinds; flows see them as the variable `channel`.
const (
	Voice ChannelKind = "voice"
	Chat  ChannelKind = "chat"
)

// Channel is the customer's side of a run. The runner calls it from one
// goroutine. Implementations: the chat channel (NewChatChannel), the scripted
// channel of package flowtest, and SIP (ivr/sip).
type Channel interface {
	Kind() ChannelKind
	// Play presents u: voice plays the audio of u.Parts(), chat sends
	// u.Text() with u.Choices as buttons. Voice returns when the audio has
	// played; if u.BargeIn and the caller presses a key meanwhile, playback
	// stops and Play returns that input (keys pressed during a prompt without
	// barge-in are discarded). Chat returns at once with a zero Input.
	// ErrHangup if the caller left.
	Play(ctx context.Context, u Utterance) (Input, error)
	// Receive waits for the next input from the caller, or for an event on
	// queue (nil outside a transfer). It returns ErrTimeout once the
	// runner's Clock reaches deadline (a zero deadline waits without limit)
	// and ErrHangup when the caller leaves.
	Receive(ctx context.Context, deadline time.Time, queue <-chan QueueEvent) (Input, error)
	// Transfer hands the customer to the agent the queue connected (by
	// the agent's id): voice bridges media, chat relays messages to the
	// desk. The run keeps waiting (Receive) for the agent leg to end.
	Transfer(ctx context.Context, agentID string) error
	// Hangup ends the contact from the IVR's side.
	Hangup(ctx context.Context) error
}

// InputKind tells what an Input carries.
type InputKind uint8

// Input kinds.
const (
	InputNone   InputKind = iota // Play ran to the end
	InputDigits                  // DTMF keys or typed digits (0-9 * #)
	InputText                    // typed text (chat)
	InputQueue                   // an event from the queue
)

// Input is one thing that woke a waiting run.
type Input struct {
	Kind   InputKind
	Digits string
	Text   string
	Queue  QueueEvent
}

// Await implements Channel.Receive for channels that deliver their input on
// a Go channel: closed inputs mean the caller left.
func Await(ctx context.Context, clock Clock, inputs <-chan Input, deadline time.Time, queue <-chan QueueEvent) (Input, error) {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := deadline.Sub(clock.Now())
		if d <= 0 {
			return Input{}, ErrTimeout
		}
		timeout = clock.After(d)
	}
	select {
	case in, ok := <-inputs:
		if !ok {
			return Input{}, ErrHangup
		}
		return in, nil
	case ev, ok := <-queue:
		if !ok {
			return Input{Kind: InputQueue, Queue: QueueEvent{Kind: QueueLost}}, nil
		}
		return Input{Kind: InputQueue, Queue: ev}, nil
	case <-timeout:
		return Input{}, ErrTimeout
	case <-ctx.Done():
		return Input{}, ctx.Err()
	}
}
