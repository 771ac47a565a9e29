package event

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Appender persists events; the store implements it. AppendEvents must be
// idempotent by Event.ID so that a batch retried after an ambiguous failure
// is not written twice, and must wrap ErrRejected when the data itself was
// refused (writing the same events again cannot succeed), so the recorder
// can tell a bad event from an unavailable database.
type Appender interface {
	AppendEvents(ctx context.Context, events []Event) error
}

// ErrRejected marks an append refused for the events' content.
var ErrRejected = errors.New("events rejected")

// RecorderOptions configure a Recorder.
type RecorderOptions struct {
	BatchSize  int           // events per write (default 500)
	FlushEvery time.Duration // longest an event waits in a partial batch (default 200ms)
	Buffer     int           // subscription buffer (default 16384)
	Wait       time.Duration // publisher back-pressure before a drop (default 2s)
	// MaxBackoff caps the pause between attempts to write a batch while the
	// database is unavailable (default 5s); the recorder retries until it
	// is back, holding at most Buffer events plus one batch.
	MaxBackoff time.Duration
	// Grace is how long the recorder keeps retrying after its context is
	// cancelled before it gives a batch up (default 30s), so shutdown with
	// the database gone is bounded.
	Grace  time.Duration
	Logger *slog.Logger
	// OnWrite is told the size of each batch written, OnRetry of each
	// failed attempt that will be retried, and OnFail of events given up
	// (a rejected event, or a batch still failing when Grace ran out); the
	// server turns them into Prometheus counters.
	OnWrite func(n int, took time.Duration)
	OnRetry func(n int)
	OnFail  func(n int)
}

// Recorder writes every event on a bus to the event log, in batches.
type Recorder struct {
	sub *Subscription
	app Appender
	o   RecorderOptions
}

// NewRecorder subscribes to bus now, so no event published after it returns
// is missed, and writes through app once Run is called.
func NewRecorder(bus *Bus, app Appender, o RecorderOptions) *Recorder {
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 200 * time.Millisecond
	}
	if o.Buffer <= 0 {
		o.Buffer = 16384
	}
	if o.Wait <= 0 {
		o.Wait = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Recorder{sub: bus.Subscribe("event-log", o.Buffer, WaitUpTo(o.Wait), nil), app: app, o: o}
}

// Dropped counts events the recorder's subscription missed.
func (r *Recorder) Dropped() uint64 { return r.sub.Dropped() }

// Run writes batches until the bus is closed and everything buffered is
// written. Cancelling ctx does not lose buffered events: the recorder keeps
// draining until the bus closes, so stop the bus after the producers, then
// wait for Run. After ctx is cancelled a batch that cannot be written is
// retried for Grace, then given up and counted.
func (r *Recorder) Run(ctx context.Context) {
	batch := make([]Event, 0, r.o.BatchSize)
	ticker := time.NewTicker(r.o.FlushEvery)
	defer ticker.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		r.write(ctx, batch)
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-r.sub.C():
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
			if len(batch) >= r.o.BatchSize {
				flush()
			}
		case <-ticker.C:
			flush()
		}
	}
}

// write stores batch, retrying with exponential backoff while the database
// is unavailable. A batch refused for its content is split in halves until
// the refused events stand alone; only those are given up.
func (r *Recorder) write(ctx context.Context, batch []Event) {
	backoff := 50 * time.Millisecond
	var giveUpAt time.Time // set once ctx is cancelled
	for attempt := 1; ; attempt++ {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		start := time.Now()
		err := r.app.AppendEvents(wctx, batch)
		cancel()
		switch {
		case err == nil:
			if r.o.OnWrite != nil {
				r.o.OnWrite(len(batch), time.Since(start))
			}
			if attempt > 1 {
				r.o.Logger.Info("event log write succeeded after retries", "events", len(batch), "attempts", attempt)
			}
			return
		case errors.Is(err, ErrRejected) && len(batch) > 1:
			half := len(batch) / 2
			r.write(ctx, batch[:half])
			r.write(ctx, batch[half:])
			return
		case errors.Is(err, ErrRejected):
			r.o.Logger.Error("event refused by the event log, given up",
				"event_id", batch[0].ID, "type", string(batch[0].Type), "seq", batch[0].Seq, "err", err)
			r.fail(1)
			return
		}
		if giveUpAt.IsZero() && ctx.Err() != nil {
			giveUpAt = time.Now().Add(r.o.Grace)
		}
		if !giveUpAt.IsZero() && time.Now().After(giveUpAt) {
			r.o.Logger.Error("event log write failed through the shutdown grace, batch given up",
				"events", len(batch), "first_seq", batch[0].Seq, "attempts", attempt, "err", err)
			r.fail(len(batch))
			return
		}
		if r.o.OnRetry != nil {
			r.o.OnRetry(len(batch))
		}
		r.o.Logger.Warn("event log write failed, retrying", "events", len(batch), "attempt", attempt,
			"backoff", backoff, "err", err)
		t := time.NewTimer(backoff)
		done := ctx.Done()
		if !giveUpAt.IsZero() {
			done = nil // already shutting down: pace the retries by the timer alone
		}
		select {
		case <-t.C:
		case <-done:
			// Shutting down: stop waiting long, retry within the grace.
			t.Stop()
			if giveUpAt.IsZero() {
				giveUpAt = time.Now().Add(r.o.Grace)
			}
			backoff = min(backoff, 200*time.Millisecond)
			continue
		}
		backoff = min(backoff*2, r.o.MaxBackoff)
	}
}

func (r *Recorder) fail(n int) {
	if r.o.OnFail != nil {
		r.o.OnFail(n)
	}
}
