package knowledge_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/knowledge"
)

// fakeIndex records what a remote index was sent.
type fakeIndex struct {
	mu      sync.Mutex
	fail    bool
	upserts []string // id@version
	loaded  chan string
}

func (f *fakeIndex) Upsert(_ context.Context, a knowledge.Article) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("meilisearch down")
	}
	s := a.ID + "@" + string(rune('0'+a.Version))
	f.upserts = append(f.upserts, s)
	if f.loaded != nil {
		f.loaded <- s
	}
	return nil
}
func (f *fakeIndex) Delete(context.Context, string) error { return nil }
func (f *fakeIndex) Search(context.Context, knowledge.Query) (knowledge.Result, error) {
	return knowledge.Result{}, nil
}

func asyncService(t *testing.T, idx knowledge.Index) *knowledge.Service {
	t.Helper()
	st, err := store.Open(ctx, store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	return knowledge.NewService(knowledge.Options{Store: st, Index: idx, Async: true, Now: func() time.Time { return now }})
}

func TestOutboxFeedsAnAsyncIndex(t *testing.T) {
	idx := &fakeIndex{}
	s := asyncService(t, idx)
	a := knowledge.Article{ID: "a", Title: "话费", Body: "x", Category: "账单", Lang: "zh"}
	if _, err := s.Create(ctx, a, "ed"); err != nil {
		t.Fatal(err)
	}
	b := a
	b.ID = "b"
	if _, err := s.Create(ctx, b, "ed"); err != nil {
		t.Fatal(err)
	}
	a.Title = "话费查询"
	if _, err := s.Update(ctx, a, 1, "ed"); err != nil {
		t.Fatal(err)
	}
	if len(idx.upserts) != 0 {
		t.Fatalf("an async index was written in the call: %v", idx.upserts)
	}
	// The index is down: nothing is lost, the changes stay queued.
	idx.fail = true
	if n, err := s.SyncOutbox(ctx); err == nil || n != 0 {
		t.Fatalf("sync with the index down: %d, %v", n, err)
	}
	idx.fail = false
	n, err := s.SyncOutbox(ctx)
	if err != nil || n != 3 {
		t.Fatalf("sync: %d, %v", n, err)
	}
	// Each changed article once, at its current version.
	if len(idx.upserts) != 2 || idx.upserts[0] != "a@2" || idx.upserts[1] != "b@1" {
		t.Fatalf("indexed: %v", idx.upserts)
	}
	if n, err := s.SyncOutbox(ctx); err != nil || n != 0 {
		t.Fatalf("second sync: %d, %v", n, err)
	}
	// An import is queued the same way.
	c := a
	c.ID = "c"
	if _, err := s.Import(ctx, []knowledge.Article{c}, "import"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SyncOutbox(ctx); err != nil || n != 1 || idx.upserts[2] != "c@1" {
		t.Fatalf("sync after import: %d, %v, %v", n, err, idx.upserts)
	}
}

func TestRunOutboxIndexesAfterEachSave(t *testing.T) {
	idx := &fakeIndex{loaded: make(chan string, 4)}
	s := asyncService(t, idx)
	run, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.RunOutbox(run, time.Hour) // the ticker never fires here: saves wake it
	}()
	defer func() { stop(); <-done }()
	if _, err := s.Create(ctx, knowledge.Article{ID: "a", Title: "t", Body: "x", Category: "c", Lang: "zh"}, "ed"); err != nil {
		t.Fatal(err)
	}
	if got := <-idx.loaded; got != "a@1" {
		t.Fatalf("indexed %s", got)
	}
}
