package ivr

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/hotline10000/hotline/acd"
)

// transfer queues the contact, gives queue treatment (comfort prompt,
// position and expected wait every Announce on voice, at each change on
// chat), hands the channel to the connected agent and waits for the agent
// leg to end. Max-wait outcomes and lost contacts take the node's
// callback/message/overflow/error targets.
func (ru *run) transfer(ctx context.Context, n *Node) (string, error) {
	q := ru.r.cfg.Queuer
	if q == nil {
		ru.queueFailed = true
		return n.Error, nil
	}
	prio := 0
	if n.priorityExpr != nil {
		prio, _ = ru.eval(n.priorityExpr).(int)
	}
	tier := str(ru.vars["tier"])
	h, err := q.Enqueue(ctx, QueueRequest{ContactID: ru.c.ID, Channel: ru.kind, Queue: n.Queue, Skills: n.Skills,
		Priority: prio, Tier: tier, Lang: ru.lang, ANI: ru.queueANI(), Context: ru.agentContext()})
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		// Outside the queue's opening calendar the customer may leave a
		// message, as when the longest wait is reached.
		if errors.Is(err, acd.ErrQueueClosed) && n.Message != "" {
			ru.log.Info("ivr queue closed", "node", n.Name, "queue", n.Queue)
			return n.Message, nil
		}
		ru.log.Warn("ivr enqueue failed", "node", n.Name, "queue", n.Queue, "err", err)
		ru.queueFailed = true
		return n.Error, nil
	}
	if !ru.agentRequested {
		ru.agentRequested = true
		ru.emit(AgentRequested{Header: ru.head(), Node: n.Name, Queue: n.Queue, Skills: n.Skills, Priority: prio, Tier: tier})
	} else {
		ru.emit(Requeued{Header: ru.head(), Node: n.Name, Queue: n.Queue})
	}
	leave := func(err error) (string, error) {
		if cerr := h.Cancel(context.WithoutCancel(ctx), leaveReason(ctx, err)); cerr != nil {
			ru.log.Debug("ivr queue cancel", "queue", n.Queue, "err", cerr)
		}
		return "", err
	}
	if len(n.Comfort) > 0 {
		if _, err := ru.ch.Play(ctx, ru.utter(n.Comfort, false, nil)); err != nil {
			return leave(err)
		}
	}
	var (
		last     QueueEvent
		announce time.Time
	)
	if n.Announce > 0 && ru.kind == Voice {
		announce = ru.now().Add(n.Announce)
	}
	for {
		in, err := ru.ch.Receive(ctx, announce, h.Events())
		if errors.Is(err, ErrTimeout) {
			if last.Position > 0 {
				u := ru.position(last)
				if ru.kind == Voice && len(n.Hint) > 0 {
					u.Items = append(u.Items, ru.utter(n.Hint, false, nil).Items...)
				}
				if _, err := ru.ch.Play(ctx, u); err != nil {
					return leave(err)
				}
			}
			announce = ru.now().Add(n.Announce)
			continue
		}
		if err != nil {
			return leave(err)
		}
		if in.Kind == InputDigits && ru.kind == Voice {
			switch n.QueueKeys[in.Digits] {
			case ActionCallback:
				if ru.keepAsCallback(ctx, n, h) {
					return n.Callback, nil
				}
			case ActionMessage:
				// The caller leaves the queue for a message: to the KPIs
				// an abandon, as any customer who leaves before an agent.
				ru.log.Info("ivr caller leaves the queue for a message", "node", n.Name, "queue", n.Queue)
				if cerr := h.Cancel(context.WithoutCancel(ctx), acd.LeaveHangup); cerr != nil {
					ru.log.Debug("ivr queue cancel", "queue", n.Queue, "err", cerr)
				}
				return n.Message, nil
			}
			continue
		}
		if in.Kind != InputQueue {
			continue // other keys and text while queued are not for the IVR
		}
		ev := in.Queue
		switch ev.Kind {
		case QueuePosition:
			last = ev
			if ru.kind == Chat {
				if _, err := ru.ch.Play(ctx, ru.position(ev)); err != nil {
					return leave(err)
				}
			}
		case QueueConnected:
			ru.emit(AgentConnected{Header: ru.head(), Queue: n.Queue, AgentID: ev.Agent})
			if err := ru.ch.Transfer(ctx, ev.Agent); err != nil {
				return leave(err)
			}
			return ru.talk(ctx, n, h, leave)
		case QueueMaxWait:
			if ev.Action == ActionCallback && ev.Kept {
				// The ACD made the contact a callback: the channel keeps
				// it as one, or it leaves the queue here.
				if n.Callback != "" && ru.keepAsCallback(ctx, n, h) {
					return n.Callback, nil
				}
				if cerr := h.Cancel(context.WithoutCancel(ctx), acd.LeaveTeardown); cerr != nil {
					ru.log.Debug("ivr queue cancel", "queue", n.Queue, "err", cerr)
				}
			}
			target := map[string]string{ActionCallback: n.Callback, ActionMessage: n.Message, ActionOverflow: n.Overflow}[ev.Action]
			if target == "" {
				target = n.Error
			}
			return target, nil
		case QueueLost:
			return n.Error, nil
		}
	}
}

// leaveReason says why a run leaves its queue: the customer hung up, the
// node stopped the run (drain), or the channel failed (teardown).
func leaveReason(ctx context.Context, err error) acd.LeaveReason {
	switch {
	case errors.Is(err, ErrHangup):
		return acd.LeaveHangup
	case ctx.Err() != nil:
		return acd.LeaveDrain
	}
	return acd.LeaveTeardown
}

// talk waits while the customer is with the agent.
func (ru *run) talk(ctx context.Context, n *Node, h QueueHandle, leave func(error) (string, error)) (string, error) {
	for {
		in, err := ru.ch.Receive(ctx, time.Time{}, h.Events())
		if err != nil {
			return leave(err)
		}
		if in.Kind != InputQueue {
			continue
		}
		switch ev := in.Queue; ev.Kind {
		case QueueAgentLeft, QueueLost:
			if n.After == "" {
				return "", errEnd
			}
			return n.After, nil
		case QueueConnected:
			// After a transfer (QueueTransferred) the next agent answered:
			// the channel connects the customer to them.
			ru.emit(AgentConnected{Header: ru.head(), Queue: n.Queue, AgentID: ev.Agent})
			if err := ru.ch.Transfer(ctx, ev.Agent); err != nil {
				return leave(err)
			}
		case QueueMaxWait:
			// A transfer to a queue starts a new wait with its maximum.
			target := map[string]string{ActionCallback: n.Callback, ActionMessage: n.Message, ActionOverflow: n.Overflow}[ev.Action]
			if target == "" {
				target = n.Error
			}
			return target, nil
		}
	}
}

func (ru *run) position(ev QueueEvent) Utterance {
	items := []Item{{Prompt: "queue.position"}, {Say: SayNumber, Value: itoa(ev.Position)}, {Prompt: "queue.position_unit"}}
	if ev.ExpectedWait > 0 {
		mins := int((ev.ExpectedWait + time.Minute - 1) / time.Minute)
		items = append(items, Item{Prompt: "queue.wait"}, Item{Say: SayNumber, Value: itoa(mins)}, Item{Prompt: "queue.minutes"})
	}
	return Utterance{Lang: ru.lang, Items: items, Prompts: ru.lib.prompts}
}

func itoa(i int) string { return str(i) }

// agentContext is what the agent's screen shows: the variables, without
// masked ones and without runner-only values.
func (ru *run) agentContext() map[string]string {
	out := make(map[string]string, len(ru.vars))
	for k, v := range ru.vars {
		if ru.masked[k] {
			continue
		}
		out[k] = str(v)
	}
	if len(ru.path) > 0 {
		out[PathVar] = strings.Join(ru.path, PathSep)
	}
	return out
}

// keepAsCallback asks the queue to keep the contact as a callback to the
// caller's number. True: done, the run goes on at the callback target
// without leaving the queue (callback_kept is true there).
func (ru *run) keepAsCallback(ctx context.Context, n *Node, h QueueHandle) bool {
	cb, ok := h.(CallbackHandle)
	if !ok {
		ru.log.Info("ivr callback not offered by this channel", "node", n.Name, "queue", n.Queue)
		return false
	}
	if err := cb.KeepAsCallback(ctx, ru.queueANI()); err != nil {
		ru.log.Info("ivr callback refused", "node", n.Name, "queue", n.Queue, "err", err)
		return false
	}
	ru.setVar("callback_kept", true, false)
	// The ACD's callback_requested event records it for the KPIs.
	return true
}
