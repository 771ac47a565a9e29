package event

import (
	"context"
	"log/slog"
	"time"
)

// Appender persists events; the store implements it. AppendEvents must be
// idempotent by Event.ID so that a batch retried after an ambiguous failure
// is not written twice.
type Appender interface {
	AppendEvents(ctx context.Context, events []Event) error
}

// RecorderOptions configure a Recorder.
type RecorderOptions struct {
	BatchSize  int           // events per write (default 500)
	FlushEvery time.Duration // longest an event waits in a partial batch (default 200ms)
	Buffer     int           // subscription buffer (default 16384)
	Wait       time.Duration // publisher back-pressure before a drop (default 2s)
	Retries    int           // attempts per batch before it is given up (default 5)
	Logger     *slog.Logger
	// OnWrite is told the size of each batch written and OnFail of each
	// batch given up; the server turns them into Prometheus counters.
	OnWrite func(n int, took time.Duration)
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
	if o.Retries <= 0 {
		o.Retries = 5
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
// wait for Run. Writes themselves run under ctx, detached from cancellation
// with a bounded grace period.
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

func (r *Recorder) write(ctx context.Context, batch []Event) {
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		start := time.Now()
		err := r.app.AppendEvents(wctx, batch)
		cancel()
		if err == nil {
			if r.o.OnWrite != nil {
				r.o.OnWrite(len(batch), time.Since(start))
			}
			return
		}
		if attempt >= r.o.Retries {
			r.o.Logger.Error("event log write failed, batch given up",
				"events", len(batch), "first_seq", batch[0].Seq, "attempts", attempt, "err", err)
			if r.o.OnFail != nil {
				r.o.OnFail(len(batch))
			}
			return
		}
		r.o.Logger.Warn("event log write failed, retrying", "events", len(batch), "attempt", attempt, "err", err)
		time.Sleep(backoff)
		backoff *= 2
	}
}
