package ivr

import (
	"context"
	"errors"
	"time"
)

// MessageRecorder is a Channel that can take a voice message (voice).
type MessageRecorder interface {
	// RecordMessage plays u, then records the caller until they press #,
	// hang up, or limit passes, and returns the stored recording's id. A
	// caller who hangs up mid-message still leaves it: the id comes back
	// with a nil error, and the channel's next Play or Receive reports
	// ErrHangup.
	RecordMessage(ctx context.Context, u Utterance, limit time.Duration) (string, error)
}

// record takes a voice message into the node's variable (the recording's
// id, for a ticket's fields). Chat cannot speak: the variable is "" and
// the run goes on at next, as a text collect does on voice.
func (ru *run) record(ctx context.Context, n *Node) (string, error) {
	mr, ok := ru.ch.(MessageRecorder)
	if !ok || ru.kind != Voice {
		ru.setVar(n.Var, "", false)
		return n.Next, nil
	}
	id, err := mr.RecordMessage(ctx, ru.utter(n.Prompt, false, nil), n.Limit)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, ErrHangup) {
			return "", err
		}
		ru.log.Warn("ivr voice message not recorded", "node", n.Name, "err", err)
		ru.setVar(n.Var, "", false)
		return n.Error, nil
	}
	ru.setVar(n.Var, id, false)
	return n.Next, nil
}
