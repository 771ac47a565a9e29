package transcript_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
	"github.com/hotline10000/hotline/internal/transcript"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)

// flaky fails its first writes, then passes them to the store.
type flaky struct {
	transcript.Store
	mu       sync.Mutex
	failures int
	wrote    chan struct{}
}

func (f *flaky) AppendTranscript(ctx context.Context, msgs []store.TranscriptMessage) error {
	f.mu.Lock()
	fail := f.failures > 0
	f.failures--
	f.mu.Unlock()
	if fail {
		return errors.New("database restarting")
	}
	err := f.Store.AppendTranscript(ctx, msgs)
	f.wrote <- struct{}{}
	return err
}

func TestWriterStoresRetriesAndPurges(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	if err := st.AppendTranscript(ctx, []store.TranscriptMessage{{ContactID: "old", Seq: 1, Sender: store.SenderBot, Text: "x", At: t0.Add(-31 * 24 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	f := &flaky{Store: st, failures: 3, wrote: make(chan struct{}, 16)}
	w := transcript.NewWriter(f, transcript.Options{Retention: 30 * 24 * time.Hour, Now: func() time.Time { return t0 }})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.Run(runCtx); close(done) }()
	w.Keep(store.TranscriptMessage{ContactID: "c1", Seq: 1, Sender: store.SenderCustomer, Text: "hi", At: t0})
	<-f.wrote
	w.Keep(store.TranscriptMessage{ContactID: "c1", Seq: 2, Sender: store.SenderAgent, SenderID: "a1", Text: "hello", At: t0})
	stop()
	<-done
	got, err := st.Transcripts(ctx, "c1", "old")
	if err != nil {
		t.Fatal(err)
	}
	if len(got["c1"]) != 2 || got["old"] != nil || w.Lost() != 0 {
		t.Fatalf("got %+v (lost %d), want c1's two messages and the old one purged", got, w.Lost())
	}
}

// Without a spill, a full buffer holds Keep (the chat's goroutine) for
// MaxWait at most; only then is a message lost, counted, and the next ones
// at once until there is room, so a dead store cannot stall the chats.
func TestWriterCountsWhatItCannotKeep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var lost int
		w := transcript.NewWriter(newMemStore(), transcript.Options{Buffer: 1, MaxWait: time.Second, OnLost: func(n int) { lost += n }})
		w.Keep(msg("c1", 1))
		start := time.Now()
		w.Keep(msg("c1", 2)) // no writer runs: waits a second, then loses it
		if waited := time.Since(start); waited != time.Second || lost != 1 || w.Lost() != 1 {
			t.Fatalf("waited %v, lost %d (%d); want 1s and 1 lost, counted", waited, lost, w.Lost())
		}
		start = time.Now()
		w.Keep(msg("c1", 3))
		if waited := time.Since(start); waited != 0 || lost != 2 {
			t.Fatalf("the next one: waited %v, lost %d; want at once, 2 lost", waited, lost)
		}
	})
}

// counting records the size of every write.
type counting struct {
	transcript.Store
	writes chan int
}

func (c *counting) AppendTranscript(ctx context.Context, msgs []store.TranscriptMessage) error {
	err := c.Store.AppendTranscript(ctx, msgs)
	c.writes <- len(msgs)
	return err
}

// TestWriterBatchesWhileLingering: messages that come one at a time while
// the writer lingers go to the store in one write, not one each.
func TestWriterBatchesWhileLingering(t *testing.T) {
	st := storetest.SQLite(t)
	c := &counting{Store: st, writes: make(chan int, 16)}
	asked, fire := make(chan time.Duration, 1), make(chan time.Time, 1)
	w := transcript.NewWriter(c, transcript.Options{Linger: time.Second,
		After: func(d time.Duration) <-chan time.Time { asked <- d; return fire }})
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	msg := func(seq int) store.TranscriptMessage {
		return store.TranscriptMessage{ContactID: "c1", Seq: seq, Sender: store.SenderCustomer, Text: "hi", At: t0}
	}
	w.Keep(msg(1))
	if d := <-asked; d != time.Second { // the writer holds message 1 and lingers
		t.Fatalf("lingers %v, want 1s", d)
	}
	w.Keep(msg(2))
	w.Keep(msg(3))
	fire <- t0
	if n := <-c.writes; n != 3 {
		t.Fatalf("first write: got %d messages, want 3", n)
	}
	got, err := st.Transcripts(context.Background(), "c1")
	if err != nil || len(got["c1"]) != 3 {
		t.Fatalf("stored %+v %v, want 3 messages", got, err)
	}
}
