package store_test

import (
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

func TestArticles(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		a := store.ArticleRow{ID: "kb-roaming", Lang: "zh", Status: "draft", Version: 1, Editor: "li.na",
			UpdatedAt: t0, Doc: `{"title":"国际漫游"}`}
		if err := s.CreateArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.CreateArticle(ctx, a), store.ErrConflict)
		got, err := s.Article(ctx, a.ID)
		if err != nil || got != a {
			t.Fatalf("got %+v, %v, want %+v", got, err, a)
		}
		_, err = s.Article(ctx, "nope")
		wantErr(t, err, store.ErrNotFound)

		b := a
		b.Version, b.Status, b.Doc, b.UpdatedAt = 2, "published", `{"title":"国际漫游资费"}`, t0.Add(time.Hour)
		if err := s.UpdateArticle(ctx, b, 1); err != nil {
			t.Fatal(err)
		}
		stale := b
		stale.Version = 2
		wantErr(t, s.UpdateArticle(ctx, stale, 1), store.ErrStale)
		missing := b
		missing.ID = "nope"
		wantErr(t, s.UpdateArticle(ctx, missing, 1), store.ErrNotFound)

		vs, err := s.ArticleVersions(ctx, a.ID)
		if err != nil || len(vs) != 2 || vs[0].Doc != a.Doc || vs[1].Doc != b.Doc || vs[1].Version != 2 {
			t.Fatalf("versions: got %+v, %v", vs, err)
		}
		all, err := s.Articles(ctx)
		if err != nil || len(all) != 1 || all[0] != b {
			t.Fatalf("articles: got %+v, %v", all, err)
		}

		ob, err := s.KBOutbox(ctx, 0, 10)
		if err != nil || len(ob) != 2 || ob[0].ArticleID != a.ID || ob[1].Version != 2 || ob[0].Seq >= ob[1].Seq {
			t.Fatalf("outbox: got %+v, %v", ob, err)
		}
		if err := s.AckKBOutbox(ctx, ob[0].Seq); err != nil {
			t.Fatal(err)
		}
		ob, err = s.KBOutbox(ctx, 0, 10)
		if err != nil || len(ob) != 1 || ob[0].Version != 2 {
			t.Fatalf("outbox after ack: got %+v, %v", ob, err)
		}
	})
}
