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

// TestEmbeddedOutboxIsAcknowledged: with the embedded index (updated in
// the call) the outbox used to grow forever; the server's reader now
// acknowledges what this process saved without indexing or announcing it
// again, and indexes and announces what another process saved.
func TestEmbeddedOutboxIsAcknowledged(t *testing.T) {
	st, err := store.Open(ctx, store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	idx, err := knowledge.NewEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	rec := &recorder{}
	server := knowledge.NewService(knowledge.Options{Store: st, Index: idx, Bus: rec, Now: clock})

	a := knowledge.Article{ID: "a", Title: "话费查询", Body: "x", Category: "账单", Lang: "zh", Status: knowledge.Published, Audience: knowledge.Public}
	if _, err := server.Create(ctx, a, "ed"); err != nil {
		t.Fatal(err)
	}
	a.Title = "话费余额查询"
	if _, err := server.Update(ctx, a, 1, "ed"); err != nil {
		t.Fatal(err)
	}
	if n, err := server.SyncOutbox(ctx); err != nil || n != 2 {
		t.Fatalf("sync: %d, %v", n, err)
	}
	if q, err := st.KBOutbox(ctx, 0, 10); err != nil || len(q) != 0 {
		t.Fatalf("outbox after sync: %v, %v", q, err)
	}
	if got := eventIDs(rec); got != "knowledge.article_saved:a:1 knowledge.article_saved:a:2" {
		t.Fatalf("events: %s (own saves announced once each)", got)
	}

	// `hotline kb import` in another process: its own index, no bus.
	other := knowledge.NewService(knowledge.Options{Store: st, Index: &fakeIndex{}, Now: clock})
	b := a
	b.ID, b.Title = "b", "宽带报修流程"
	a.Title = "话费与余额查询"
	if _, err := other.Import(ctx, []knowledge.Article{a, b}, "import"); err != nil {
		t.Fatal(err)
	}
	if res, _ := server.Search(ctx, knowledge.Query{Text: "宽带报修", At: now}); len(res.Hits) != 0 {
		t.Fatalf("found before the outbox was read: %+v", res.Hits)
	}
	if n, err := server.SyncOutbox(ctx); err != nil || n != 2 {
		t.Fatalf("sync after import: %d, %v", n, err)
	}
	res, err := server.Search(ctx, knowledge.Query{Text: "宽带报修", At: now})
	if err != nil || len(res.Hits) == 0 || res.Hits[0].ID != "b" {
		t.Fatalf("imported article not searchable: %+v, %v", res.Hits, err)
	}
	if got := eventIDs(rec); got != "knowledge.article_saved:a:1 knowledge.article_saved:a:2 knowledge.article_saved:a:3 knowledge.article_saved:b:1" {
		t.Fatalf("events: %s (the import announced on the server's bus)", got)
	}
	if n, err := server.SyncOutbox(ctx); err != nil || n != 0 {
		t.Fatalf("second sync: %d, %v", n, err)
	}
}

// TestSkipOutbox: an index loaded in full does not need what was queued.
func TestSkipOutbox(t *testing.T) {
	idx := &fakeIndex{}
	s := asyncService(t, idx)
	for _, id := range []string{"a", "b", "c"} {
		if _, err := s.Create(ctx, knowledge.Article{ID: id, Title: "t", Body: "x", Category: "c", Lang: "zh"}, "ed"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SkipOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SyncOutbox(ctx); err != nil || n != 0 || len(idx.upserts) != 0 {
		t.Fatalf("sync after skip: %d, %v, %v", n, err, idx.upserts)
	}
}

// TestImportThatNeverBegan: a transaction that cannot even begin (here a
// cancelled context; in the field a locked store at start) is an error,
// not a panic.
func TestImportThatNeverBegan(t *testing.T) {
	s := asyncService(t, &fakeIndex{})
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Import(gone, []knowledge.Article{{ID: "a", Title: "t", Body: "x", Category: "c", Lang: "zh"}}, "import"); err == nil {
		t.Fatal("import with a cancelled context succeeded")
	}
}
