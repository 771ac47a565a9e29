package acd

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Sink receives the Engine's events, in order, in batches. Deliver runs on
// the Engine's delivery goroutine, never on the goroutine that owns the
// Router, so a slow sink delays delivery but not decisions. The batch is
// the sink's to keep.
type Sink interface {
	Deliver(events []Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func([]Event)

// Deliver calls f.
func (f SinkFunc) Deliver(events []Event) { f(events) }

// Engine owns one Router in one goroutine (Run) and serialises commands
// from any number of goroutines through it. Events go to the Sink through
// an outbox: appending to it never blocks the owner, so a stalled sink
// grows memory instead of stopping routing (Backlog reports the size).
// Every event is delivered exactly once, also at shutdown.
type Engine struct {
	clock Clock
	sink  Sink
	reqs  chan request
	done  chan struct{} // closed when Run has stopped taking commands
	ended chan struct{} // closed when Run has returned
	r     *Router

	mu     sync.Mutex
	outbox []Event
	wake   chan struct{}
}

type request struct {
	fn    func(r *Router, now time.Time) error
	reply chan error
}

// NewEngine wraps a Router (new or restored). The Router must not be used
// directly afterwards. Commands wait until Run is running.
func NewEngine(r *Router, clock Clock, sink Sink) *Engine {
	return &Engine{clock: clock, sink: sink, r: r, reqs: make(chan request), done: make(chan struct{}), ended: make(chan struct{}),
		wake: make(chan struct{}, 1)}
}

// Run owns the Router until ctx ends, then delivers the remaining events
// and returns ctx's error. It starts one delivery goroutine and waits for
// it; nothing is left running when Run returns. Run may be called once.
func (e *Engine) Run(ctx context.Context) error {
	defer close(e.ended)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.deliver(stop)
	}()
	defer func() {
		close(stop)
		wg.Wait()
	}()

	var (
		timer  Timer
		timerC <-chan time.Time
		armed  time.Time
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	e.publish() // decisions made by Restore
	for {
		if at, ok := e.r.NextDeadline(); ok {
			if timer == nil || !at.Equal(armed) {
				if timer != nil {
					timer.Stop()
				}
				armed = at
				timer = e.clock.NewTimer(at.Sub(e.clock.Now()))
				timerC = timer.C()
			}
		} else if timer != nil {
			timer.Stop()
			timer, timerC = nil, nil
		}
		select {
		case <-ctx.Done():
			close(e.done)
			return ctx.Err()
		case req := <-e.reqs:
			req.reply <- req.fn(e.r, e.clock.Now())
			e.publish()
		case <-timerC:
			timer, timerC = nil, nil
			now := e.clock.Now()
			if now.Before(armed) {
				now = armed
			}
			e.r.Advance(now)
			e.publish()
		}
	}
}

func (e *Engine) publish() {
	ev := e.r.Drain()
	if len(ev) == 0 {
		return
	}
	e.mu.Lock()
	e.outbox = append(e.outbox, ev...)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Engine) deliver(stop <-chan struct{}) {
	for {
		stopping := false
		select {
		case <-e.wake:
		case <-stop:
			stopping = true
		}
		e.mu.Lock()
		batch := e.outbox
		e.outbox = nil
		e.mu.Unlock()
		if len(batch) > 0 && e.sink != nil {
			e.sink.Deliver(batch)
		}
		if stopping {
			return
		}
	}
}

// Backlog is the number of events waiting for the sink.
func (e *Engine) Backlog() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.outbox)
}

// do runs fn on the owner goroutine. Once submitted, a command completes
// even if ctx ends meanwhile, so the caller always learns its result.
func (e *Engine) do(ctx context.Context, fn func(r *Router, now time.Time) error) error {
	req := request{fn: fn, reply: make(chan error, 1)}
	select {
	case e.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-e.done:
		return ErrStopped
	}
	return <-req.reply
}

func query[T any](ctx context.Context, e *Engine, fn func(r *Router) (T, error)) (T, error) {
	var out T
	err := e.do(ctx, func(r *Router, now time.Time) error {
		r.Advance(now)
		var err error
		out, err = fn(r)
		return err
	})
	return out, err
}

// Login brings an agent in (not ready, reason "login").
func (e *Engine) Login(ctx context.Context, spec AgentSpec) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.Login(now, spec) })
}

// Logout logs an agent out (deferred while it works).
func (e *Engine) Logout(ctx context.Context, agentID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.Logout(now, agentID) })
}

// SetReady makes a not-ready agent ready.
func (e *Engine) SetReady(ctx context.Context, agentID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.SetReady(now, agentID) })
}

// SetNotReady stops new work for an agent, with a reason code.
func (e *Engine) SetNotReady(ctx context.Context, agentID, reason string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.SetNotReady(now, agentID, reason) })
}

// Enqueue puts a new contact in a queue.
func (e *Engine) Enqueue(ctx context.Context, spec ContactSpec) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.Enqueue(now, spec) })
}

// Accept is an agent taking its offer.
func (e *Engine) Accept(ctx context.Context, agentID, contactID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.Accept(now, agentID, contactID) })
}

// Reject is an agent declining its offer.
func (e *Engine) Reject(ctx context.Context, agentID, contactID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.Reject(now, agentID, contactID) })
}

// Connected records that agent and customer are connected.
func (e *Engine) Connected(ctx context.Context, contactID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.Connected(now, contactID) })
}

// Hold puts a connected contact on hold (Router.Hold).
func (e *Engine) Hold(ctx context.Context, contactID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.Hold(now, contactID) })
}

// Unhold takes a contact off hold.
func (e *Engine) Unhold(ctx context.Context, contactID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.Unhold(now, contactID) })
}

// End finishes a connected contact.
func (e *Engine) End(ctx context.Context, contactID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.End(now, contactID) })
}

// Abandon is the customer leaving before being connected.
func (e *Engine) Abandon(ctx context.Context, contactID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.Abandon(now, contactID) })
}

// Leave takes a contact out of the ACD in one step, with the reason that
// decides its outcome (Router.Leave).
func (e *Engine) Leave(ctx context.Context, contactID string, why LeaveReason) (Left, error) {
	var left Left
	err := e.do(ctx, func(r *Router, now time.Time) error {
		var err error
		left, err = r.Leave(now, contactID, why)
		return err
	})
	return left, err
}

// Positions reports, for each queue named, its waiting contacts' places
// and expected waits (Router.Positions). Unknown queues are skipped.
func (e *Engine) Positions(ctx context.Context, queueIDs []string) ([]Position, error) {
	return query(ctx, e, func(r *Router) ([]Position, error) {
		var out []Position
		for _, q := range queueIDs {
			ps, err := r.Positions(q)
			if err == nil {
				out = append(out, ps...)
			}
		}
		return out, nil
	})
}

// Lose is the platform losing a contact that was not connected.
func (e *Engine) Lose(ctx context.Context, contactID, reason string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.Lose(now, contactID, reason) })
}

// RequestCallback turns a waiting contact into a callback keeping its place.
func (e *Engine) RequestCallback(ctx context.Context, contactID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.RequestCallback(now, contactID) })
}

// TransferToQueue moves a connected contact to a queue.
func (e *Engine) TransferToQueue(ctx context.Context, contactID, queueID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.TransferToQueue(now, contactID, queueID) })
}

// TransferToAgent offers a connected contact to a named agent.
func (e *Engine) TransferToAgent(ctx context.Context, contactID, agentID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.TransferToAgent(now, contactID, agentID) })
}

// Consult reserves a second agent while the first holds the customer.
func (e *Engine) Consult(ctx context.Context, contactID, agentID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.Consult(now, contactID, agentID) })
}

// CompleteConsult hands the customer to the consulted agent.
func (e *Engine) CompleteConsult(ctx context.Context, contactID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.CompleteConsult(now, contactID) })
}

// CancelConsult ends a consultation; the first agent keeps the customer.
func (e *Engine) CancelConsult(ctx context.Context, contactID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.CancelConsult(now, contactID) })
}

// EndWrapUp ends an agent's after-contact work for a contact.
func (e *Engine) EndWrapUp(ctx context.Context, agentID, contactID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.EndWrapUp(now, agentID, contactID) })
}

// ExtendWrapUp lengthens an agent's after-contact work, up to the cap.
func (e *Engine) ExtendWrapUp(ctx context.Context, agentID, contactID string, d time.Duration) (time.Time, error) {
	var end time.Time
	err := e.do(ctx, func(r *Router, now time.Time) error {
		var err error
		end, err = r.ExtendWrapUp(now, agentID, contactID, d)
		return err
	})
	return end, err
}

// ForceState is a supervisor setting an agent ready, not ready or logged out.
func (e *Engine) ForceState(ctx context.Context, supervisor, agentID string, st AgentState, reason string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.ForceState(now, supervisor, agentID, st, reason) })
}

// SetSkills is a supervisor replacing an agent's skills.
func (e *Engine) SetSkills(ctx context.Context, supervisor, agentID string, skills map[string]int) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.SetSkills(now, supervisor, agentID, skills) })
}

// SetWork changes a logged-in agent's capacity and own wrap-up time.
func (e *Engine) SetWork(ctx context.Context, supervisor, agentID string, capy *Capacity, wrapUp *time.Duration) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.SetWork(now, supervisor, agentID, capy, wrapUp) })
}

// MoveContact is a supervisor moving a waiting contact to another queue.
func (e *Engine) MoveContact(ctx context.Context, supervisor, contactID, queueID string) error {
	return e.do(ctx, func(r *Router, now time.Time) error { return r.MoveContact(now, supervisor, contactID, queueID) })
}

// QueueStats reports one queue.
func (e *Engine) QueueStats(ctx context.Context, queueID string) (QueueStats, error) {
	return query(ctx, e, func(r *Router) (QueueStats, error) { return r.QueueStats(queueID) })
}

// Queues reports every queue.
func (e *Engine) Queues(ctx context.Context) ([]QueueStats, error) {
	return query(ctx, e, func(r *Router) ([]QueueStats, error) { return r.Queues(), nil })
}

// Skills lists the skills some queue uses.
func (e *Engine) Skills(ctx context.Context) ([]string, error) {
	return query(ctx, e, func(r *Router) ([]string, error) { return r.Skills(), nil })
}

// Agent reports one agent.
func (e *Engine) Agent(ctx context.Context, agentID string) (AgentStatus, error) {
	return query(ctx, e, func(r *Router) (AgentStatus, error) { return r.Agent(agentID) })
}

// Agents reports every logged-in agent.
func (e *Engine) Agents(ctx context.Context) ([]AgentStatus, error) {
	return query(ctx, e, func(r *Router) ([]AgentStatus, error) { return r.Agents(), nil })
}

// Contact reports one contact.
func (e *Engine) Contact(ctx context.Context, contactID string) (ContactStatus, error) {
	return query(ctx, e, func(r *Router) (ContactStatus, error) { return r.Contact(contactID) })
}

// Snapshot captures the live state for the store. After Run has returned
// it captures the final state, so shutdown can persist exactly what the
// last delivered event left.
func (e *Engine) Snapshot(ctx context.Context) (Snapshot, error) {
	select {
	case <-e.ended:
		return e.r.Snapshot(), nil
	default:
	}
	s, err := query(ctx, e, func(r *Router) (Snapshot, error) { return r.Snapshot(), nil })
	if errors.Is(err, ErrStopped) {
		select {
		case <-e.ended:
			return e.r.Snapshot(), nil
		case <-ctx.Done():
			return Snapshot{}, ctx.Err()
		}
	}
	return s, err
}
