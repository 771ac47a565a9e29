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
	// Block makes Publish wait for this subscriber as long as its ctx
	// allows, never dropping: see Lossless.
	Block bool
}

var (
	// Drop suits views that can resynchronise (a wallboard, a desk session).
	Drop = Policy{}
	// Lossless suits the consumers that drive state from a producer's
	// ordered events (the contact bridge and the desk gateway following
	// the ACD): Publish waits for them, bounded only
	// by its ctx and the subscription's Close, so they see every event the
	// other subscribers see, in the same order. Give them a filter and a
	// buffer that fit, keep reading until Close, and never publish an event
	// they select from the goroutine that reads them.
	Lossless = Policy{Block: true}
	// ErrClosed is returned by Publish after Close.
	ErrClosed = errors.New("event bus closed")
)

// WaitUpTo suits consumers that must see every event (the event log, the
// KPI engine): the publisher slows to their pace for at most d.
func WaitUpTo(d time.Duration) Policy { return Policy{Wait: d} }

// Bus fans events out to subscribers. It is safe for concurrent use; each
// subscriber receives events in the order of their Seq.
//
// The bus mutex is held only to number an event and take each interested
// subscriber's turn ticket, or to hand the event straight over when that
// cannot wait (room in the buffer and no earlier event waiting for it);
// any delivery that may wait happens outside it, one subscriber at a time
// in ticket order. A subscriber that is slow under WaitUpTo therefore
// slows only the publishers of events it wants, each for at most its wait
// counted from Publish, and never Subscribe, Close or the delivery of
// events it filters out.
//
// Lock order: Bus.mu before Subscription.mu; neither is held while calling
// OnDrop. Filters run under Bus.mu; filters and OnDrop must not publish.
type Bus struct {
	mu      sync.Mutex // guards subs, closed, seq and every subscription's next ticket
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
	bus     *Bus

	next uint64 // the ticket the next event gets; guarded by Bus.mu

	mu      sync.Mutex // guards serving, closed; held while an event is handed over
	turn    *sync.Cond // signalled when serving advances
	serving uint64     // the ticket whose event is delivered next
	closed  bool       // ch is closed

	quit     chan struct{} // closed first by close: a hand-over waiting on a full buffer gives up
	quitOnce sync.Once
}

// Subscribe adds a subscriber with a buffer of size events. filter, when not
// nil, selects the events it wants; it runs on the publisher's goroutine
// under the bus lock and must be cheap.
func (b *Bus) Subscribe(name string, size int, p Policy, filter func(*Event) bool) *Subscription {
	if size < 1 {
		size = 1
	}
	s := &Subscription{name: name, ch: make(chan Event, size), policy: p, filter: filter, bus: b, quit: make(chan struct{})}
	s.turn = sync.NewCond(&s.mu)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.close()
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
// A publisher waiting for room in this subscriber's buffer gives up at
// once; its event is neither delivered nor counted as dropped.
func (s *Subscription) Close() {
	b := s.bus
	b.mu.Lock()
	for i, x := range b.subs {
		if x == s {
			b.subs = append(b.subs[:i:i], b.subs[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	s.close()
}

func (s *Subscription) close() {
	// A publisher may hold s.mu while it waits for room in ch; quit
	// releases it before the lock is taken.
	s.quitOnce.Do(func() { close(s.quit) })
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// ticket is one subscriber's place for one event.
type ticket struct {
	sub *Subscription
	n   uint64
}

// Publish assigns the event its ID (if empty) and sequence number and hands
// it to every subscriber. It returns the event as delivered. A subscriber
// whose buffer stays full past its policy's wait (counted from this call)
// loses the event; ctx bounds the total wait.
func (b *Bus) Publish(ctx context.Context, e Event) (Event, error) {
	start := time.Now()
	var local [8]ticket
	tickets := local[:0]
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
		e.At = start
	}
	for _, s := range b.subs {
		if s.filter != nil && !s.filter(&e) {
			continue
		}
		if s.handOver(e) {
			continue
		}
		tickets = append(tickets, ticket{sub: s, n: s.next})
		s.next++
	}
	b.mu.Unlock()

	for _, t := range tickets {
		if t.sub.deliver(ctx, t.n, e, start) {
			continue
		}
		s := t.sub
		s.dropped.Add(1)
		if b.onDrop != nil {
			b.onDrop(s.name)
		}
		if b.dropLog.allow(s.name) {
			b.log.Warn("event subscriber behind, event dropped",
				"subscriber", s.name, "type", string(e.Type), "dropped_total", s.dropped.Load())
		}
	}
	return e, nil
}

// handOver is the fast path of Publish, called under Bus.mu: when no
// earlier event waits for this subscriber and its buffer has room, e goes
// in at once, in order, without a ticket. Taking a ticket and its turn
// costs a Cond wake-up of every publisher waiting for the subscriber;
// with a few hundred calls emitting at once that was 4 % of the server's
// CPU per call (cmd/hotline-voicebench profile). A full buffer or a queue
// of waiting publishers takes the ticket path, outside the lock.
func (s *Subscription) handOver(e Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.serving != s.next {
		return false
	}
	select {
	case s.ch <- e:
		s.next++
		s.serving++
		return true
	default:
		return false
	}
}

// deliver waits for ticket n's turn, hands e over within the policy's wait
// from start, and passes the turn on. It reports whether e was delivered; an
// event for a closed subscription is neither delivered nor dropped.
func (s *Subscription) deliver(ctx context.Context, n uint64, e Event, start time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.serving != n {
		s.turn.Wait()
	}
	defer func() {
		s.serving++
		s.turn.Broadcast()
	}()
	if s.closed {
		return true
	}
	select {
	case s.ch <- e:
		return true
	default:
	}
	if s.policy.Block {
		select {
		case s.ch <- e:
			return true
		case <-s.quit:
			return true // closing: neither delivered nor dropped
		case <-ctx.Done():
			return false
		}
	}
	wait := s.policy.Wait - time.Since(start)
	if wait <= 0 {
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.ch <- e:
		return true
	case <-s.quit:
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
	for _, s := range subs {
		s.close()
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
