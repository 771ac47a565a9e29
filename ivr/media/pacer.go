package media

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Slot is the Pacer's grid: every leg sends on a multiple of it, and legs
// of the same packet time are spread over its slots so one wake-up sends
// a quarter of the 20 ms legs, not all of them.
const Slot = 5 * time.Millisecond

// maxCatchUp is how late the Pacer still sends missed packets.
const maxCatchUp = 100 * time.Millisecond

// Pacer is the one scheduler that sends the packets of every leg on time.
// Go timers cost a wake-up each: a time.Ticker per stream (diago's RTP
// writer) burns a goroutine switch per packet and drifts once thousands
// of them fire on 2 cores. The Pacer has one goroutine per CPU (a shard),
// each waking on the Slot grid at absolute deadlines (no drift) and
// sending for the legs due then; legs are spread over the shards and over
// the slots of their packet time.
//
// Lock order: shard.mu is never held with Leg.mu (step releases it
// before sending).
type Pacer struct {
	shards []*shard
	done   <-chan struct{}
	wg     sync.WaitGroup
	now    func() time.Time
	// rr picks the shard of the next leg.
	mu sync.Mutex
	rr int
	// rings counts the shards sending through io_uring.
	rings atomic.Int32
	// pollReads: new legs on sockets are read by their shard in their
	// slots (recv_linux.go), not by a goroutine each.
	pollReads bool
	// late counts the shards' wake-ups by how late they were (lateBounds).
	late [len(lateBounds) + 1]atomic.Uint64
}

// lateBounds are the upper bounds of Lateness's buckets.
var lateBounds = [...]time.Duration{time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, maxCatchUp}

// Lateness counts the shards' wake-ups since the pacer started by how late
// each was past its slot: Counts[i] those up to Bounds[i], the last those
// beyond maxCatchUp (slots skipped). A shard woken late sends late: this
// tells a scheduling stall (the machine, the runtime) from a send path
// that is slow (TestBridgedCallsLoad, cmd/rtpjitter).
type Lateness struct {
	Bounds []time.Duration
	Counts []uint64
}

// Lateness returns the wake-up lateness counts so far.
func (p *Pacer) Lateness() Lateness {
	l := Lateness{Bounds: lateBounds[:], Counts: make([]uint64, len(p.late))}
	for i := range p.late {
		l.Counts[i] = p.late[i].Load()
	}
	return l
}

// Sub is l's counts less those of an earlier reading.
func (l Lateness) Sub(earlier Lateness) Lateness {
	d := Lateness{Bounds: l.Bounds, Counts: make([]uint64, len(l.Counts))}
	for i := range l.Counts {
		d.Counts[i] = l.Counts[i] - earlier.Counts[i]
	}
	return d
}

// String is e.g. "12000 wake-ups: 11950 <=1ms 40 <=2ms 10 <=5ms".
func (l Lateness) String() string {
	var total uint64
	for _, c := range l.Counts {
		total += c
	}
	s := fmt.Sprintf("%d wake-ups:", total)
	for i, c := range l.Counts {
		if c == 0 {
			continue
		}
		if i < len(l.Bounds) {
			s += fmt.Sprintf(" %d <=%v", c, l.Bounds[i])
		} else {
			s += fmt.Sprintf(" %d >%v", c, l.Bounds[len(l.Bounds)-1])
		}
	}
	return s
}

func (p *Pacer) countLate(late time.Duration) {
	i := 0
	for i < len(lateBounds) && late > lateBounds[i] {
		i++
	}
	p.late[i].Add(1)
}

// Batched reports whether every shard sends its slots through io_uring
// (false: one system call per packet).
func (p *Pacer) Batched() bool { return int(p.rings.Load()) == len(p.shards) }

type shard struct {
	// flight is held while a slot's packets are built and sent, so that
	// remove can wait for a leg's last send before its socket closes
	// (the ring writes to descriptors, which the system reuses).
	flight sync.Mutex
	mu     sync.Mutex
	legs   []*Leg
	phases map[int]int // legs per slot phase (phase = slot index mod every)
	tick   uint64      // slot count since the pacer started
	due    []*Leg      // the legs of this slot; only the shard's goroutine uses it
	ready  []*Leg      // the due legs with a packet to send; same
	polled []*Leg      // the due legs the shard reads; same
	ring   *uring      // batch sender; nil: one system call per packet
	ringRx bool        // ring also reads (ringRecvWorks)
	rings  *atomic.Int32
}

// PacerOptions tune a Pacer; the zero value is NewPacer's.
type PacerOptions struct {
	// PlainSends sends one packet per sendto system call instead of each
	// slot's packets in batches through io_uring (for comparison:
	// cmd/rtpjitter -batch=false). Without io_uring the pacer sends
	// plainly anyway.
	PlainSends bool
	// ReaderGoroutines reads each leg's socket with a goroutine of its
	// own, as before polled receiving (for comparison: cmd/rtpjitter
	// -pollrx=false, TestBridgedCallsLoad -bridged.pollrx=false).
	ReaderGoroutines bool
}

// NewPacer starts the scheduler; it runs until ctx ends (then Wait).
func NewPacer(ctx context.Context) *Pacer {
	return NewPacerWith(ctx, PacerOptions{})
}

// NewPacerWith is NewPacer with options.
func NewPacerWith(ctx context.Context, o PacerOptions) *Pacer {
	p := newPacer(ctx, runtime.GOMAXPROCS(0), time.Now, !o.PlainSends)
	p.pollReads = !o.ReaderGoroutines
	return p
}

func newPacer(ctx context.Context, shards int, now func() time.Time, batch bool) *Pacer {
	p := &Pacer{done: ctx.Done(), now: now, pollReads: true}
	start := now()
	for i := range max(shards, 1) {
		s := &shard{phases: map[int]int{}, rings: &p.rings}
		if batch {
			if r, err := newURing(uringDefaultEntries); err == nil {
				s.ring, s.ringRx = r, ringRecvWorks()
				p.rings.Add(1)
			}
		}
		p.shards = append(p.shards, s)
		p.wg.Add(1)
		// Shards are offset inside the slot so their bursts interleave.
		offset := Slot * time.Duration(i) / time.Duration(max(shards, 1))
		go func() {
			defer p.wg.Done()
			s.run(ctx, p.now, start.Add(offset), p.countLate)
		}()
	}
	return p
}

// Wait blocks until the pacer's goroutines have stopped (after its context
// ended).
func (p *Pacer) Wait() { p.wg.Wait() }

// Legs is the number of legs the pacer sends for.
func (p *Pacer) Legs() int {
	n := 0
	for _, s := range p.shards {
		s.mu.Lock()
		n += len(s.legs)
		s.mu.Unlock()
	}
	return n
}

// add places l on the next shard and on its least used phase.
func (p *Pacer) add(l *Leg) {
	p.mu.Lock()
	s := p.shards[p.rr%len(p.shards)]
	p.rr++
	p.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	best := 0
	for ph := 1; ph < l.every; ph++ {
		if s.phases[ph] < s.phases[best] {
			best = ph
		}
	}
	s.phases[best]++
	l.shard, l.phase, l.index = s, best, len(s.legs)
	s.legs = append(s.legs, l)
}

// remove takes l off its shard and waits for a send of the slot under
// way, so that l's socket can be closed after it returns.
func (p *Pacer) remove(l *Leg) {
	s := l.shard
	if s == nil {
		return
	}
	s.mu.Lock()
	if l.index >= 0 {
		last := s.legs[len(s.legs)-1]
		s.legs[l.index] = last
		last.index = l.index
		s.legs = s.legs[:len(s.legs)-1]
		s.phases[l.phase]--
		l.index = -1
	}
	s.mu.Unlock()
	s.flight.Lock()
	//lint:ignore SA2001 an empty critical section: waiting for the slot being sent is the point
	s.flight.Unlock()
}

func (s *shard) run(ctx context.Context, now func() time.Time, next time.Time, countLate func(time.Duration)) {
	if s.ring != nil {
		defer s.ring.close()
	}
	timer := time.NewTimer(next.Sub(now()))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		t := now()
		countLate(t.Sub(next))
		// Woken late (a busy machine): catch up on the missed slots, so
		// every leg still sends each of its packets, late but with its
		// right timestamp for the receiver's jitter buffer. Skipping them
		// instead lost a quarter of the packets at 1 000 legs under load
		// (cmd/rtpjitter). Beyond maxCatchUp the audio would arrive too
		// late to play: skip, and the receiver sees a timestamp gap.
		if late := t.Sub(next); late > maxCatchUp {
			skip := uint64(late / Slot)
			s.mu.Lock()
			s.tick += skip
			s.mu.Unlock()
			next = next.Add(time.Duration(skip) * Slot)
		}
		for !next.After(t) {
			s.step(t)
			next = next.Add(Slot)
		}
		timer.Reset(next.Sub(now()))
	}
}

// step sends for the legs due in this slot and advances the slot count.
// The shard's lock is held only to pick the legs due, not across their
// system calls: a call being set up or ended (add, remove) waits
// microseconds, not the whole slot's sending (milliseconds at thousands
// of legs, which held up call setups at high CPS).
//
// The flight lock is taken before the legs are picked: a leg removed
// after the pick waits in remove until its packet is sent.
func (s *shard) step(now time.Time) {
	s.flight.Lock()
	defer s.flight.Unlock()
	s.mu.Lock()
	tick := s.tick
	s.tick++
	due := s.due[:0]
	for _, l := range s.legs {
		if (tick+uint64(l.phase))%uint64(l.every) == 0 {
			due = append(due, l)
		}
	}
	s.due = due
	s.mu.Unlock()
	ready := s.ready[:0]
	for _, l := range due {
		if l.frame(now, tick) {
			ready = append(ready, l)
		}
	}
	s.ready = ready
	switch {
	case s.ring != nil:
		if err := s.ring.sendAll(ready); err != nil {
			// The ring broke (every packet of the slot is accounted
			// for): send plainly from now on.
			s.ring.close()
			s.ring = nil
			s.rings.Add(-1)
		}
	default:
		for _, l := range ready {
			l.writeFrame()
		}
	}
	s.receive(due, now)
	clear(due) // ended legs are not kept reachable
	clear(ready)
}

// receive reads the sockets of the polled legs among due: through the
// ring, else one non-blocking system call per datagram.
func (s *shard) receive(due []*Leg, now time.Time) {
	polled := s.polled[:0]
	for _, l := range due {
		if l.polled {
			polled = append(polled, l)
		}
	}
	s.polled = polled
	if len(polled) == 0 {
		return
	}
	defer clear(polled)
	if s.ring != nil && s.ringRx {
		err := s.ring.recvAll(polled, now)
		if err == nil {
			return
		}
		s.ring.close()
		s.ring = nil
		s.rings.Add(-1)
	}
	for _, l := range polled {
		l.recvPlain(now)
	}
}
