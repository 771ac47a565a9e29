package transcript_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
	"github.com/hotline10000/hotline/internal/transcript"
)

func msg(contact string, seq int) store.TranscriptMessage {
	return store.TranscriptMessage{ContactID: contact, Seq: seq, Sender: store.SenderCustomer, Text: fmt.Sprintf("message %d", seq), At: t0}
}

// memStore is a store whose writes can be held (the fault: a store that
// takes no write for a while). It keeps a message once by contact and seq,
// as the real store does, and remembers the order messages first came in.
type memStore struct {
	mu     sync.Mutex
	gate   chan struct{} // non-nil: writes wait until it is closed
	rows   map[string]bool
	order  []string
	writes int
}

func newMemStore() *memStore { return &memStore{rows: map[string]bool{}} }

func (m *memStore) hold() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gate = make(chan struct{})
}

func (m *memStore) release() {
	m.mu.Lock()
	defer m.mu.Unlock()
	close(m.gate)
	m.gate = nil
}

func (m *memStore) AppendTranscript(ctx context.Context, msgs []store.TranscriptMessage) error {
	m.mu.Lock()
	g := m.gate
	m.mu.Unlock()
	if g != nil {
		select {
		case <-g:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes++
	for _, x := range msgs {
		k := fmt.Sprintf("%s/%d", x.ContactID, x.Seq)
		if !m.rows[k] {
			m.rows[k] = true
			m.order = append(m.order, k)
		}
	}
	return nil
}

func (m *memStore) PurgeTranscripts(context.Context, time.Time) (int64, error) { return 0, nil }

func (m *memStore) stored() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.order...)
}

// wantAll checks that the store holds c1's messages 1..n once each, in order.
func wantAll(t *testing.T, got []string, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("stored %d messages, want %d", len(got), n)
	}
	for i, k := range got {
		if want := fmt.Sprintf("c1/%d", i+1); k != want {
			t.Fatalf("message %d stored as %s, want %s (in order)", i, k, want)
		}
	}
}

// The fault that lost 3 157 messages under load: the store takes no write
// while the chats go on. Every message kept is stored once, in order, once
// the store is back: past the buffer they wait in the spill file, and Keep
// never waits for the store. (The old writer dropped all but its buffer.)
func TestSlowStoreLosesNoMessage(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		st.hold()
		var hooked, hookedLost atomic.Int64
		w := transcript.NewWriter(st, transcript.Options{Buffer: 8, BatchSize: 5, Linger: -1, SpillDir: dir, MaxWait: time.Hour,
			OnSpilled: func(n int) { hooked.Add(int64(n)) }, OnLost: func(n int) { hookedLost.Add(int64(n)) }})
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		const n = 500
		start := time.Now()
		for i := 1; i <= n; i++ {
			w.Keep(msg("c1", i))
		}
		synctest.Wait()
		if time.Since(start) != 0 || len(st.stored()) != 0 {
			t.Fatalf("Keep waited %v with the store held, stored %d", time.Since(start), len(st.stored()))
		}
		if w.Spilled() != n-8 || w.Lost() != 0 {
			t.Fatalf("spilled %d, lost %d; want %d spilled, none lost", w.Spilled(), w.Lost(), n-8)
		}
		if hooked.Load() != n-8 || hookedLost.Load() != 0 {
			t.Fatalf("OnSpilled told of %d, OnLost of %d; want %d and 0 (the node's Prometheus counters)", hooked.Load(), hookedLost.Load(), n-8)
		}
		st.release()
		synctest.Wait() // the writer caught up and waits for more
		wantAll(t, st.stored(), n)
		if fi, err := os.Stat(filepath.Join(dir, transcript.SpillFile)); err != nil || fi.Size() != 0 {
			t.Fatalf("spill after catching up: %v %v, want empty", fi, err)
		}
		// Back to memory once the spill is stored.
		w.Keep(msg("c1", n+1))
		synctest.Wait()
		wantAll(t, st.stored(), n+1)
		if w.Spilled() != n-8 {
			t.Fatalf("spilled %d after catching up, want no more", w.Spilled())
		}
		stop()
		<-done
	})
}

// Without a spill dir, a full buffer holds the chat's Keep until the
// writer stores and frees room: backpressure, nothing lost.
func TestFullBufferWaitsForRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		st.hold()
		w := transcript.NewWriter(st, transcript.Options{Buffer: 3, BatchSize: 2, Linger: -1, MaxWait: time.Hour})
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		for i := 1; i <= 3; i++ {
			w.Keep(msg("c1", i))
		}
		kept := make(chan struct{})
		go func() { w.Keep(msg("c1", 4)); close(kept) }()
		synctest.Wait()
		select {
		case <-kept:
			t.Fatal("Keep returned with the buffer full and the store held")
		default:
		}
		st.release()
		<-kept
		synctest.Wait()
		wantAll(t, st.stored(), 4)
		if w.Lost() != 0 {
			t.Fatalf("lost %d", w.Lost())
		}
		stop()
		<-done
	})
}

// A stop while the store is down keeps the messages in the spill; the next
// start stores them (the ones already stored once more, harmlessly: the
// store keeps a message once), and a line torn by a crash is skipped.
func TestSpillSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	st := storetest.SQLite(t)
	ctx := context.Background()
	if err := st.AppendTranscript(ctx, []store.TranscriptMessage{msg("c1", 1), msg("c1", 2)}); err != nil {
		t.Fatal(err)
	}
	down := &flaky{Store: st, failures: 1 << 30, wrote: make(chan struct{}, 1)}
	w := transcript.NewWriter(down, transcript.Options{Buffer: 4, Linger: -1, SpillDir: dir, MaxBackoff: time.Millisecond})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.Run(runCtx); close(done) }()
	for i := 1; i <= 20; i++ {
		w.Keep(msg("c1", i))
	}
	stop()
	<-done
	if w.Lost() != 0 {
		t.Fatalf("lost %d at a stop with the store down, want 0 (spilled)", w.Lost())
	}
	f, err := os.OpenFile(filepath.Join(dir, transcript.SpillFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"c":"c1","n":99,"s":"cust`); err != nil { // torn by a crash
		t.Fatal(err)
	}
	f.Close()

	up := &counting{Store: st, writes: make(chan int, 64)}
	w2 := transcript.NewWriter(up, transcript.Options{Linger: -1, SpillDir: dir})
	runCtx, stop = context.WithCancel(ctx)
	done = make(chan struct{})
	go func() { w2.Run(runCtx); close(done) }()
	for stored := 0; stored < 20; {
		stored += <-up.writes
	}
	stop()
	<-done
	got, err := st.Transcripts(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got["c1"]) != 20 || w2.Lost() != 0 {
		t.Fatalf("stored %d of c1's messages after the restart (lost %d), want 20", len(got["c1"]), w2.Lost())
	}
	for i, m := range got["c1"] {
		if m.Seq != i+1 || m.Text != fmt.Sprintf("message %d", i+1) {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, transcript.SpillFile)); err != nil || fi.Size() != 0 {
		t.Fatalf("spill after the restart stored it: %v %v, want empty", fi, err)
	}
}
