package event

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Appender persists events; the store implements it. AppendEvents must be
// idempotent by Event.ID so that a batch retried after an ambiguous failure
// is not written twice.
type Appender interface {
	AppendEvents(ctx context.Context, events []Event) error
}

// ErrRejected marks an append error caused by the events themselves (a value
// the log cannot hold), as opposed to an unavailable log: retrying the same
// batch cannot help, so the recorder isolates the offending event instead.
// Appenders wrap it into such errors.
var ErrRejected = errors.New("event rejected by the event log")

// RecorderOptions configure a Recorder.
type RecorderOptions struct {
	BatchSize  int           // events per write (default 500)
	FlushEvery time.Duration // longest an event waits in a partial batch (default 200ms)
	// Buffer is the subscription buffer (default 16384): the bounded queue
	// that absorbs an outage of the log. When it is full, publishers wait
	// (back-pressure, up to Wait) before the bus drops and counts an event.
	Buffer int
	Wait   time.Duration // publisher back-pressure before a drop (default 2s)
	// While the log is unavailable a batch is retried with exponential
	// backoff from MinBackoff to MaxBackoff (defaults 50ms and 5s), for as
	// long as Run's context lives and then for Grace more (default 30s),
	// after which it is given up, logged and counted.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	Grace      time.Duration
	// Rejected tells an error caused by the events from an unavailable log
	// (default: errors.Is(err, ErrRejected)).
	Rejected func(error) bool
	Logger   *slog.Logger
	// OnWrite is told the size of each batch written, OnRetry of each failed
	// attempt that will be retried, OnQuarantine of each event the log
	// refused on its own and OnFail of each batch given up; the server turns
	// them into Prometheus counters.
	OnWrite      func(n int, took time.Duration)
	OnRetry      func(n int)
	OnQuarantine func(e Event, err error)
	OnFail       func(n int)
}

// Recorder writes every event on a bus to the event log, in batches.
type Recorder struct {
	sub *Subscription
	app Appender
	o   RecorderOptions

	graceEnd time.Time // when a cancelled Run stops retrying; owned by Run
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
	if o.MinBackoff <= 0 {
		o.MinBackoff = 50 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(5*time.Second, o.MinBackoff)
	}
	if o.Grace <= 0 {
		o.Grace = 30 * time.Second
	}
	if o.Rejected == nil {
		o.Rejected = func(err error) bool { return errors.Is(err, ErrRejected) }
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
// wait for Run. Only while the log is unavailable does ctx matter: a batch
// is then retried for Grace after ctx is done, and given up after that.
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

// write appends batch, retrying while the log is unavailable. A batch the
// log refuses because of its content is written again event by event, so
// one bad event costs only itself (quarantined: logged and counted), never
// its neighbours.
func (r *Recorder) write(ctx context.Context, batch []Event) {
	err := r.append(ctx, batch)
	if err == nil {
		return
	}
	if !r.o.Rejected(err) {
		r.giveUp(batch, err)
		return
	}
	if len(batch) == 1 {
		r.quarantine(batch[0], err)
		return
	}
	r.o.Logger.Warn("event log refused a batch, writing its events one by one",
		"events", len(batch), "first_seq", batch[0].Seq, "err", err)
	for i := range batch {
		one := batch[i : i+1]
		switch err := r.append(ctx, one); {
		case err == nil:
		case r.o.Rejected(err):
			r.quarantine(batch[i], err)
		default:
			r.giveUp(one, err)
		}
	}
}

// append tries until the batch is written, the log rejects it, or ctx has
// been done for longer than the grace period.
func (r *Recorder) append(ctx context.Context, batch []Event) error {
	backoff := r.o.MinBackoff
	for attempt := 1; ; attempt++ {
		timeout := 30 * time.Second
		if !r.graceEnd.IsZero() {
			timeout = max(time.Until(r.graceEnd), time.Second)
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		start := time.Now()
		err := r.app.AppendEvents(wctx, batch)
		cancel()
		if err == nil {
			if r.o.OnWrite != nil {
				r.o.OnWrite(len(batch), time.Since(start))
			}
			return nil
		}
		if r.o.Rejected(err) {
			return err
		}
		// Jitter spreads the retries of several nodes after a shared outage.
		wait := backoff/2 + rand.N(backoff/2+1)
		if ctx.Err() != nil {
			if r.graceEnd.IsZero() {
				r.graceEnd = time.Now().Add(r.o.Grace)
			}
			left := time.Until(r.graceEnd)
			if left <= 0 {
				return err
			}
			wait = min(wait, left)
		}
		if r.o.OnRetry != nil {
			r.o.OnRetry(len(batch))
		}
		r.o.Logger.Warn("event log unavailable, retrying", "events", len(batch), "attempt", attempt,
			"retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		if ctx.Err() == nil {
			select {
			case <-t.C:
			case <-ctx.Done(): // shutdown starts the grace period at once
				t.Stop()
			}
		} else {
			<-t.C
		}
		backoff = min(backoff*2, r.o.MaxBackoff)
	}
}

func (r *Recorder) quarantine(e Event, err error) {
	// The payload is not logged: it may hold what a customer typed.
	r.o.Logger.Error("event log refused an event, quarantined",
		"event_id", e.ID, "type", string(e.Type), "seq", e.Seq, "contact_id", e.ContactID, "err", err)
	if r.o.OnQuarantine != nil {
		r.o.OnQuarantine(e, err)
	}
}

func (r *Recorder) giveUp(batch []Event, err error) {
	r.o.Logger.Error("event log unavailable past the shutdown grace, events given up",
		"events", len(batch), "first_seq", batch[0].Seq, "err", err)
	if r.o.OnFail != nil {
		r.o.OnFail(len(batch))
	}
}
