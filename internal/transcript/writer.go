// Package transcript keeps chat transcripts: the desk gateway hands it each
// message as the chat shows it, and a Writer stores them in batches off the
// gateway's goroutine and purges those past their retention.
//
// A message the chat acknowledged is not lost because the store is slow:
// past the memory buffer, messages go to a spill file in the data directory
// and are stored from it in order once the store takes writes again (also
// after a restart). The store keeps a message once by (contact, seq), so a
// message written twice (a spill replayed again after a crash) is stored
// once.
package transcript

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

// Store is where transcripts go; *store.Store implements it.
type Store interface {
	AppendTranscript(ctx context.Context, msgs []store.TranscriptMessage) error
	PurgeTranscripts(ctx context.Context, before time.Time) (int64, error)
}

// Options configure a Writer.
type Options struct {
	Buffer    int // messages held in memory before the spill (default 8192)
	BatchSize int // messages per write (default 200)
	// Linger is how long a write waits, from its first message, for more
	// (default 100ms): under chat traffic messages come one at a time, and
	// one transaction per message kept the store's one writer busy
	// (docs/desk-protocol.md, "Measured"). A negative Linger writes at once.
	Linger time.Duration
	// After is the timer of Linger (default time.After); tests drive it.
	After func(time.Duration) <-chan time.Time
	// SpillDir holds the spill file (SpillFile) that takes the messages
	// past Buffer while the store is slow or down; they are stored from it
	// in order, and a file left by a stop is stored at the next start. ""
	// has no spill: past Buffer, Keep waits for room (MaxWait).
	SpillDir string
	SpillMax int64 // bytes the spill file may grow to (default 256 MiB)
	// MaxWait bounds how long Keep waits for room when the buffer and the
	// spill are both full (default 10s): the chat's goroutine is held so
	// no acknowledgement runs ahead of the transcript. Past it the message
	// is lost (counted, logged, OnLost), and so are the next ones at once
	// until there is room again, so a store down for good cannot stall the
	// chats for more than one MaxWait.
	MaxWait    time.Duration
	Retention  time.Duration // messages older than this are purged; 0 keeps them
	PurgeEvery time.Duration // default 1h
	MaxBackoff time.Duration // longest wait between retries of a failed write (default 5s)
	Now        func() time.Time
	Logger     *slog.Logger
	// OnLost is told of messages not stored: the buffer and the spill were
	// full past MaxWait, or they came after the writer stopped. They are
	// logged too.
	OnLost func(n int)
	// OnSpilled is told of each message that went to the spill file
	// rather than memory (the store was behind); it is stored later.
	OnSpilled func(n int)
}

// Writer stores transcript messages. Keep is safe for concurrent use and
// never waits for the store; Run does the writing and purging.
type Writer struct {
	st Store
	o  Options

	// mu guards the queue: mem (oldest first), the spill, and the flags.
	// Lock order: mu, then the spill file's own writes (done under mu).
	mu  sync.Mutex
	mem []store.TranscriptMessage
	sp  *spill // nil: no spill (no SpillDir, or it could not be opened)
	// spilling: the spill holds messages not stored yet; they are newer
	// than mem's, so new messages go after them, to the spill, until the
	// writer has stored it all (first in, first stored).
	spilling bool
	losing   bool // a Keep timed out: lose at once until there is room
	closed   bool // Run returned
	wake     chan struct{}
	room     chan struct{} // closed (and replaced) when the writer frees room

	lost    atomic.Int64
	spilled atomic.Int64
}

// NewWriter returns a Writer over st; call Run. A spill file left by the
// last run is stored first.
func NewWriter(st Store, o Options) *Writer {
	if o.Buffer <= 0 {
		o.Buffer = 8192
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 200
	}
	if o.Linger == 0 {
		o.Linger = 100 * time.Millisecond
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.SpillMax <= 0 {
		o.SpillMax = 256 << 20
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 10 * time.Second
	}
	if o.PurgeEvery <= 0 {
		o.PurgeEvery = time.Hour
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Writer{st: st, o: o, wake: make(chan struct{}, 1), room: make(chan struct{})}
	if o.SpillDir != "" {
		sp, err := openSpill(o.SpillDir)
		if err != nil {
			o.Logger.Error("transcript spill not available: past the buffer, messages wait for room", "err", err)
		} else {
			w.sp = sp
			if sp.pending() {
				w.spilling = true
				o.Logger.Info("transcript spill left by the last run: storing it", "path", sp.path, "bytes", sp.size)
			}
		}
	}
	return w
}

// Keep queues one message for storing. It never waits for the store: past
// the buffer the message is spilled to disk; only when the spill is full
// too (or there is none) does it wait for room, at most MaxWait.
func (w *Writer) Keep(m store.TranscriptMessage) {
	w.mu.Lock()
	var timeout <-chan time.Time
	for {
		switch {
		case w.closed:
			w.mu.Unlock()
			w.loss(1, "transcript message after the writer stopped, not stored", "contact_id", m.ContactID, "seq", m.Seq)
			return
		case !w.spilling && len(w.mem) < w.o.Buffer:
			w.mem = append(w.mem, m)
			w.losing = false
			w.mu.Unlock()
			w.signal()
			return
		case w.sp != nil && w.sp.size < w.o.SpillMax:
			err := w.sp.append(m)
			if err == nil {
				if !w.spilling {
					w.spilling = true
					w.o.Logger.Warn("transcript store behind: messages spill to disk until it catches up",
						"path", w.sp.path, "buffered", len(w.mem))
				}
				w.losing = false
				w.mu.Unlock()
				w.spilled.Add(1)
				if w.o.OnSpilled != nil {
					w.o.OnSpilled(1)
				}
				w.signal()
				return
			}
			// A disk that refuses the spill: wait for room in memory.
			w.o.Logger.Error("transcript spill write failed: spill off", "path", w.sp.path, "err", err)
			w.sp.broken()
			w.sp, w.spilling = nil, false
			w.freed()
			continue
		case w.losing:
			w.mu.Unlock()
			w.loss(1, "transcript buffer and spill full, message not stored", "contact_id", m.ContactID, "seq", m.Seq)
			return
		}
		room := w.room
		w.mu.Unlock()
		if timeout == nil {
			timeout = time.After(w.o.MaxWait)
		}
		select {
		case <-room:
			w.mu.Lock()
		case <-timeout:
			w.mu.Lock()
			w.losing = true
		}
	}
}

func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// freed tells waiting Keeps there may be room. Call with mu held.
func (w *Writer) freed() {
	close(w.room)
	w.room = make(chan struct{})
}

// Lost counts the messages not stored.
func (w *Writer) Lost() int64 { return w.lost.Load() }

// Spilled counts the messages that went through the spill file.
func (w *Writer) Spilled() int64 { return w.spilled.Load() }

func (w *Writer) loss(n int, msg string, args ...any) {
	w.lost.Add(int64(n))
	w.o.Logger.Error(msg, append(args, "messages", n)...)
	if w.o.OnLost != nil {
		w.o.OnLost(n)
	}
}

// Run writes queued messages and purges old ones until ctx is done, then
// makes one bounded attempt at what is still queued and returns; what the
// store still refuses then stays in the spill for the next start. Stop
// the gateway before cancelling ctx so its last messages are queued.
func (w *Writer) Run(ctx context.Context) {
	defer w.stop()
	purge := time.NewTicker(w.o.PurgeEvery)
	defer purge.Stop()
	w.purge(ctx)
	for {
		batch, fromSpill, next := w.peek()
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-purge.C:
				w.purge(ctx)
			case <-w.wake:
			}
			continue
		}
		if !fromSpill && len(batch) < w.o.BatchSize && w.o.Linger > 0 {
			if !w.linger(ctx) {
				return
			}
			if batch, fromSpill, next = w.peek(); len(batch) == 0 {
				continue
			}
		}
		if !w.write(ctx, batch) {
			return
		}
		w.commit(len(batch), fromSpill, next)
	}
}

// peek returns the oldest messages, up to a batch, without taking them:
// memory first, then the spill (whose read position after them is next).
// They leave the queue only once stored (commit), so a stop loses none.
func (w *Writer) peek() (batch []store.TranscriptMessage, fromSpill bool, next int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.mem) > 0 {
		return append([]store.TranscriptMessage(nil), w.mem[:min(len(w.mem), w.o.BatchSize)]...), false, 0
	}
	if !w.spilling || w.sp == nil {
		return nil, false, 0
	}
	msgs, next, err := w.sp.read(w.o.BatchSize)
	if err != nil {
		w.o.Logger.Error("transcript spill unreadable: spill off", "path", w.sp.path, "err", err)
		w.sp.broken()
		w.sp, w.spilling = nil, false
		w.freed()
		return nil, false, 0
	}
	if len(msgs) == 0 { // only a torn last line (a crash while writing it)
		w.drained()
		return nil, false, 0
	}
	return msgs, true, next
}

// commit takes n stored messages off the queue.
func (w *Writer) commit(n int, fromSpill bool, next int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if fromSpill {
		w.sp.off = next
		if !w.sp.pending() {
			w.drained()
		}
	} else {
		w.mem = append(w.mem[:0], w.mem[n:]...)
	}
	w.freed()
}

// drained empties the spill file once everything in it is stored. Call
// with mu held.
func (w *Writer) drained() {
	if err := w.sp.reset(); err != nil {
		w.o.Logger.Error("transcript spill not emptied: spill off", "path", w.sp.path, "err", err)
		w.sp.broken()
		w.sp = nil
	} else {
		w.o.Logger.Info("transcript spill stored: the store caught up", "path", w.sp.path)
	}
	w.spilling = false
	w.freed()
}

// linger waits Linger, from a batch's first message, for more (or a full
// batch); it reports false when ctx ended meanwhile.
func (w *Writer) linger(ctx context.Context) bool {
	timeout := w.o.After(w.o.Linger)
	for {
		w.mu.Lock()
		full := len(w.mem) >= w.o.BatchSize
		w.mu.Unlock()
		if full {
			return true
		}
		select {
		case <-w.wake:
		case <-timeout:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// write stores batch, retrying a failed write with exponential backoff
// while ctx lives; it reports false when ctx ended first. Messages the
// store refuses as invalid (not a store fault) are left out, counted.
func (w *Writer) write(ctx context.Context, batch []store.TranscriptMessage) bool {
	backoff := 50 * time.Millisecond
	for {
		err := w.st.AppendTranscript(ctx, batch)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if errors.Is(err, store.ErrInvalid) {
			w.writeEach(ctx, batch)
			return true
		}
		w.o.Logger.Warn("transcript write failed, retrying", "messages", len(batch), "retry_in", backoff, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
		backoff = min(2*backoff, w.o.MaxBackoff)
	}
}

// writeEach stores a batch the store refused as invalid one message at a
// time, so only the invalid ones are left out.
func (w *Writer) writeEach(ctx context.Context, batch []store.TranscriptMessage) {
	for _, m := range batch {
		err := w.st.AppendTranscript(ctx, []store.TranscriptMessage{m})
		if errors.Is(err, store.ErrInvalid) {
			w.loss(1, "transcript message refused by the store", "contact_id", m.ContactID, "seq", m.Seq, "err", err)
			continue
		}
		if err != nil {
			w.write(ctx, []store.TranscriptMessage{m})
		}
	}
}

// stop makes one bounded attempt (10s) at what is queued and closes the
// writer: what the store refuses goes to the spill for the next start, and
// only without a spill is it lost.
func (w *Writer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		batch, fromSpill, next := w.peek()
		if len(batch) == 0 {
			break
		}
		if err := w.st.AppendTranscript(ctx, batch); err != nil {
			w.o.Logger.Warn("transcript write at shutdown failed", "messages", len(batch), "err", err)
			break
		}
		w.commit(len(batch), fromSpill, next)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	w.freed()
	mem := w.mem
	w.mem = nil
	if w.sp == nil {
		if len(mem) > 0 {
			w.loss(len(mem), "transcript messages not stored at shutdown (no spill)")
		}
		return
	}
	for i, m := range mem {
		if err := w.sp.append(m); err != nil {
			w.loss(len(mem)-i, "transcript messages not stored at shutdown, nor spilled", "path", w.sp.path, "err", err)
			break
		}
	}
	if w.sp.pending() {
		w.o.Logger.Warn("transcript messages left in the spill: stored at the next start", "path", w.sp.path, "bytes", w.sp.size-w.sp.off)
	}
	w.sp.close()
}

func (w *Writer) purge(ctx context.Context) {
	if w.o.Retention <= 0 {
		return
	}
	n, err := w.st.PurgeTranscripts(ctx, w.o.Now().Add(-w.o.Retention))
	switch {
	case err != nil && ctx.Err() == nil:
		w.o.Logger.Warn("transcript purge failed", "err", err)
	case n > 0:
		w.o.Logger.Info("transcripts purged", "messages", n, "retention", w.o.Retention)
	}
}
