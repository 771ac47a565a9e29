package event

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Policy says what Publish does when a subscriber's buffer is full.
type Policy struct {
	// Wait is how long Publish may block for this subscriber before it
	// drops the event. Zero drops at once.
	Wait time.Duration
}

var (
	// Drop suits views that can resynchronise (a wallboard, a desk session).
	Drop = Policy{}
	// ErrClosed is returned by Publish after Close.
	ErrClosed = errors.New("event bus closed")
)

// WaitUpTo suits consumers that must see every event (the event log, the
// KPI engine): the publisher slows to their pace for at most d.
func WaitUpTo(d time.Duration) Policy { return Policy{Wait: d} }

// Bus fans events out to subscribers. It is safe for concurrent use.
// Each subscriber receives events in Seq order.
//
// A publisher never holds the bus's lock while it waits on a slow WaitUpTo
// subscriber: it hands the event to every subscriber with room under the
// lock, then waits outside it, in line behind earlier waiters for the same
// subscriber. A slow consumer thus slows only the publishers of events it
// takes (to its pace, bounded by its policy), never the others, and never
// the delivery to the other subscribers.
type Bus struct {
	// mu guards subs, closed, seq and every Subscription's waiting and
	// line; it is never held while a publisher waits.
	mu      sync.Mutex
	subs    []*Subscription
	closed  bool
	seq     uint64
	node    string
	log     *slog.Logger
	onDrop  func(subscriber string)
	dropLog *dropLogger
}

// Options configure a Bus.
type Options struct {
	Logger *slog.Logger
	// OnDrop is called once per dropped event with the subscriber's name
	// (the server counts drops in Prometheus with it).
	OnDrop func(subscriber string)
	// Node is stamped on every event published without one: the id of
	// the node (config node_id) whose producers published it.
	Node string
}

// NewBus returns an empty bus.
func NewBus(o Options) *Bus {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Bus{log: o.Logger, onDrop: o.OnDrop, node: o.Node, dropLog: &dropLogger{every: 10 * time.Second}}
}

// Subscription is one subscriber's view of the bus.
type Subscription struct {
	name    string
	ch      chan Event
	policy  Policy
	filter  func(*Event) bool
	dropped atomic.Uint64
	// waiting counts publishers waiting to send to ch (under bus.mu):
	// while there are any, later events queue behind them, in line, so
	// that ch keeps Seq order. line is closed by the last in the queue
	// when it is done.
	waiting int
	line    chan struct{}
	senders sync.WaitGroup // publishers waiting to send to ch; ch closes after them
	bus     *Bus
	once    sync.Once
}

// Subscribe adds a subscriber with a buffer of size events. filter, when not
// nil, selects the events it wants; it runs on the publisher's goroutine and
// must be cheap.
func (b *Bus) Subscribe(name string, size int, p Policy, filter func(*Event) bool) *Subscription {
	if size < 1 {
		size = 1
	}
	s := &Subscription{name: name, ch: make(chan Event, size), policy: p, filter: filter, bus: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(s.ch)
		return s
	}
	b.subs = append(b.subs, s)
	return s
}

// C delivers the events. It is closed when the subscription or the bus is.
func (s *Subscription) C() <-chan Event { return s.ch }

// Name is the name given to Subscribe.
func (s *Subscription) Name() string { return s.name }

// Dropped counts the events this subscriber missed.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close removes the subscription and closes C. Safe to call more than once.
func (s *Subscription) Close() {
	b := s.bus
	b.mu.Lock()
	found := false
	for i, x := range b.subs {
		if x == s {
			b.subs = append(b.subs[:i:i], b.subs[i+1:]...)
			found = true
			break
		}
	}
	b.mu.Unlock()
	if found {
		s.senders.Wait()
		s.once.Do(func() { close(s.ch) })
	}
}

// Publish assigns the event its ID (if empty) and sequence number and hands
// it to every subscriber. It returns the event as delivered. A subscriber
// whose buffer stays full past its policy's wait loses the event; ctx bounds
// the total wait.
func (b *Bus) Publish(ctx context.Context, e Event) (Event, error) {
	type wait struct {
		s          *Subscription
		prev, done chan struct{}
	}
	var waits []wait
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return e, ErrClosed
	}
	b.seq++
	e.Seq = b.seq
	if e.Node == "" {
		e.Node = b.node
	}
	if e.ID == "" {
		e.ID = NewID()
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	for _, s := range b.subs {
		if s.filter != nil && !s.filter(&e) {
			continue
		}
		if s.waiting == 0 {
			select {
			case s.ch <- e:
				continue
			default:
			}
		}
		if s.policy.Wait <= 0 {
			b.drop(s, &e)
			continue
		}
		w := wait{s: s, prev: s.line, done: make(chan struct{})}
		s.line = w.done
		s.waiting++
		s.senders.Add(1)
		waits = append(waits, w)
	}
	b.mu.Unlock()
	for _, w := range waits {
		if !b.waitSend(ctx, w.s, e, w.prev) {
			b.drop(w.s, &e)
		}
		close(w.done)
		b.mu.Lock()
		w.s.waiting--
		if w.s.waiting == 0 {
			w.s.line = nil
		}
		b.mu.Unlock()
		w.s.senders.Done()
	}
	return e, nil
}

func (b *Bus) drop(s *Subscription, e *Event) {
	s.dropped.Add(1)
	if b.onDrop != nil {
		b.onDrop(s.name)
	}
	if b.dropLog.allow(s.name) {
		b.log.Warn("event subscriber behind, event dropped",
			"subscriber", s.name, "type", string(e.Type), "dropped_total", s.dropped.Load())
	}
}

// waitSend sends e to s once the publisher ahead in s's line (prev, nil
// when none) is done, waiting at most s's policy in all.
func (b *Bus) waitSend(ctx context.Context, s *Subscription, e Event, prev chan struct{}) bool {
	t := time.NewTimer(s.policy.Wait)
	defer t.Stop()
	if prev != nil {
		select {
		case <-prev:
		case <-t.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
	select {
	case s.ch <- e:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// Close closes every subscription; later Publish calls fail with ErrClosed.
// Subscribers drain what is buffered and then see their channel closed.
func (b *Bus) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	subs := b.subs
	b.subs = nil
	b.mu.Unlock()
	// Publishers waiting on a subscriber deliver or give up (bounded by
	// its policy) before its channel closes.
	for _, s := range subs {
		s.senders.Wait()
		s.once.Do(func() { close(s.ch) })
	}
}

// dropLogger limits drop warnings to one per subscriber per interval, so a
// stuck consumer cannot flood the log; the counter keeps the exact number.
type dropLogger struct {
	every time.Duration
	mu    sync.Mutex
	last  map[string]time.Time
}

func (d *dropLogger) allow(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == nil {
		d.last = map[string]time.Time{}
	}
	now := time.Now()
	if now.Sub(d.last[name]) < d.every {
		return false
	}
	d.last[name] = now
	return true
}
