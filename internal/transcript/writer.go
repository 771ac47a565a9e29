// Package transcript keeps chat transcripts: the desk gateway hands it each
// message as the chat shows it, and a Writer stores them in batches off the
// gateway's goroutine and purges those past their retention.
package transcript

import (
	"context"
	"log/slog"
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
	Buffer    int // messages waiting to be written (default 8192)
	BatchSize int // messages per write (default 200)
	// Linger is how long a write waits, from its first message, for more
	// (default 100ms): under chat traffic messages come one at a time, and
	// one transaction per message kept the store's one writer busy
	// (docs/desk-protocol.md, "Measured"). A negative Linger writes at once.
	Linger time.Duration
	// After is the timer of Linger (default time.After); tests drive it.
	After      func(time.Duration) <-chan time.Time
	Retention  time.Duration // messages older than this are purged; 0 keeps them
	PurgeEvery time.Duration // default 1h
	MaxBackoff time.Duration // longest wait between retries of a failed write (default 5s)
	Now        func() time.Time
	Logger     *slog.Logger
	// OnLost is told of messages not stored: the buffer was full, or the
	// store was still failing at shutdown. They are logged too.
	OnLost func(n int)
}

// Writer stores transcript messages. Keep is safe for concurrent use and
// never blocks; Run does the writing and purging.
type Writer struct {
	st   Store
	o    Options
	in   chan store.TranscriptMessage
	lost atomic.Int64
}

// NewWriter returns a Writer over st; call Run.
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
	return &Writer{st: st, o: o, in: make(chan store.TranscriptMessage, o.Buffer)}
}

// Keep queues one message for storing. A full buffer (the store down for
// long) loses the message, counted and logged, rather than stall the chat.
func (w *Writer) Keep(m store.TranscriptMessage) {
	select {
	case w.in <- m:
	default:
		w.loss(1, "transcript buffer full, message not stored", "contact_id", m.ContactID, "seq", m.Seq)
	}
}

// Lost counts the messages not stored.
func (w *Writer) Lost() int64 { return w.lost.Load() }

func (w *Writer) loss(n int, msg string, args ...any) {
	w.lost.Add(int64(n))
	w.o.Logger.Error(msg, append(args, "messages", n)...)
	if w.o.OnLost != nil {
		w.o.OnLost(n)
	}
}

// Run writes queued messages and purges old ones until ctx is done, then
// writes what is still queued (one attempt, bounded in time) and returns.
// Stop the gateway before cancelling ctx so its last messages are queued.
func (w *Writer) Run(ctx context.Context) {
	purge := time.NewTicker(w.o.PurgeEvery)
	defer purge.Stop()
	w.purge(ctx)
	batch := make([]store.TranscriptMessage, 0, w.o.BatchSize)
	for {
		select {
		case <-ctx.Done():
			w.drain(batch)
			return
		case <-purge.C:
			w.purge(ctx)
		case m := <-w.in:
			batch = w.fill(append(batch[:0], m))
			if len(batch) < w.o.BatchSize && w.o.Linger > 0 {
				var stopped bool
				if batch, stopped = w.linger(ctx, batch); stopped {
					w.drain(batch)
					return
				}
			}
			if !w.write(ctx, batch) {
				w.drain(batch)
				return
			}
			batch = batch[:0]
		}
	}
}

// fill adds what is queued now, up to a batch.
func (w *Writer) fill(batch []store.TranscriptMessage) []store.TranscriptMessage {
	for len(batch) < w.o.BatchSize {
		select {
		case m := <-w.in:
			batch = append(batch, m)
		default:
			return batch
		}
	}
	return batch
}

// linger gathers messages for Linger or until the batch is full; it
// reports true when ctx ended meanwhile.
func (w *Writer) linger(ctx context.Context, batch []store.TranscriptMessage) ([]store.TranscriptMessage, bool) {
	timeout := w.o.After(w.o.Linger)
	for len(batch) < w.o.BatchSize {
		select {
		case m := <-w.in:
			batch = append(batch, m)
		case <-timeout:
			return w.fill(batch), false
		case <-ctx.Done():
			return batch, true
		}
	}
	return batch, false
}

// write retries a failed write with exponential backoff while ctx lives;
// it reports false when ctx ended first (the batch is then unwritten).
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

// drain makes one bounded last attempt at batch and everything queued.
func (w *Writer) drain(batch []store.TranscriptMessage) {
	for {
		select {
		case m := <-w.in:
			batch = append(batch, m)
			continue
		default:
		}
		break
	}
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.st.AppendTranscript(ctx, batch); err != nil {
		w.loss(len(batch), "transcript messages not stored at shutdown", "err", err)
	}
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
