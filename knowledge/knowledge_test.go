package knowledge_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/knowledge"
)

var ctx = context.Background()

type recorder struct{ events []event.Event }

func (r *recorder) Publish(_ context.Context, e event.Event) (event.Event, error) {
	r.events = append(r.events, e)
	return e, nil
}

func newService(t *testing.T) (*knowledge.Service, *recorder) {
	t.Helper()
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
	rec := &recorder{}
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	return knowledge.NewService(knowledge.Options{Store: st, Index: idx, Bus: rec, Now: func() time.Time { return now }}), rec
}

func TestLifecycle(t *testing.T) {
	s, rec := newService(t)
	a, err := s.Create(ctx, knowledge.Article{ID: "roam", Title: "国际漫游", Body: "开通 **KTMY**", Audience: knowledge.Public}, "li.na")
	if err != nil {
		t.Fatal(err)
	}
	if a.Version != 1 || a.Status != knowledge.Draft {
		t.Fatalf("got %+v", a)
	}
	if _, err := s.Create(ctx, a, "li.na"); !errors.Is(err, knowledge.ErrExists) {
		t.Fatalf("second create: got %v, want ErrExists", err)
	}
	// Drafts are not searchable by default.
	res, _ := s.Search(ctx, knowledge.Query{Text: "漫游"})
	if res.Total != 0 {
		t.Fatalf("draft found: %+v", res)
	}
	if _, err := s.SetStatus(ctx, "roam", knowledge.Published, 1, "li.na"); !errors.Is(err, knowledge.ErrTransition) {
		t.Fatalf("draft to published: got %v, want ErrTransition", err)
	}
	if _, err := s.SetStatus(ctx, "roam", knowledge.Review, 1, "li.na"); err != nil {
		t.Fatal(err)
	}
	a, err = s.SetStatus(ctx, "roam", knowledge.Published, 2, "wang.fang")
	if err != nil {
		t.Fatal(err)
	}
	res, _ = s.Search(ctx, knowledge.Query{Text: "漫游", Audience: knowledge.Public})
	if res.Total != 1 || res.Hits[0].ID != "roam" {
		t.Fatalf("published not found: %+v", res)
	}
	// A stale If-Match loses.
	stale := a
	stale.Title = "国际漫游资费"
	if _, err := s.Update(ctx, stale, 2, "zhao"); !errors.Is(err, knowledge.ErrConflict) {
		t.Fatalf("stale update: got %v, want ErrConflict", err)
	}
	if _, err := s.Update(ctx, stale, 3, "zhao"); err != nil {
		t.Fatal(err)
	}
	hs, err := s.History(ctx, "roam")
	if err != nil || len(hs) != 4 {
		t.Fatalf("history: got %d, %v", len(hs), err)
	}
	diff, err := s.Diff(ctx, "roam", 1, 4)
	if err != nil || !strings.Contains(diff, "-title: 国际漫游") || !strings.Contains(diff, "+title: 国际漫游资费") {
		t.Fatalf("diff: got %q, %v", diff, err)
	}
	r, err := s.Restore(ctx, "roam", 1, 4, "zhao")
	if err != nil || r.Version != 5 || r.Title != "国际漫游" || r.Status != knowledge.Draft {
		t.Fatalf("restore: got %+v, %v", r, err)
	}
	var types []event.Type
	for _, e := range rec.events {
		types = append(types, e.Type)
	}
	want := []event.Type{knowledge.EventArticleSaved, knowledge.EventArticleStatus, knowledge.EventArticleStatus,
		knowledge.EventArticleSaved, knowledge.EventArticleRestored}
	if len(types) != len(want) {
		t.Fatalf("events: got %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("events: got %v, want %v", types, want)
		}
	}
}

func TestImportIsAllOrNothing(t *testing.T) {
	s, rec := newService(t)
	good := `{"id":"a","title":"话费查询","body":"发送 CXHF","category":"账单","tags":["话费"],"lang":"zh","status":"published"}
{"id":"b","title":"Top up","body":"app","category":"Billing","tags":[],"lang":"en","status":"published"}
`
	as, err := knowledge.ReadJSONL(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Import(ctx, as, "import"); err != nil || n != 2 {
		t.Fatalf("import: got %d, %v", n, err)
	}
	// An import announces every article it stored, after the commit.
	if got := eventIDs(rec); got != "knowledge.article_saved:a:1 knowledge.article_saved:b:1" {
		t.Fatalf("import events: %s", got)
	}
	// Re-import: nothing changes, nothing duplicates, nothing announced.
	if n, err := s.Import(ctx, as, "import"); err != nil || n != 0 {
		t.Fatalf("re-import: got %d, %v", n, err)
	}
	as[0].Title = "话费余额查询"
	as[1].Status = knowledge.Archived
	if n, err := s.Import(ctx, as, "import"); err != nil || n != 2 {
		t.Fatalf("changed re-import: got %d, %v", n, err)
	}
	if got := eventIDs(rec); got != "knowledge.article_saved:a:1 knowledge.article_saved:b:1 knowledge.article_saved:a:2 knowledge.article_status:b:2" {
		t.Fatalf("re-import events: %s", got)
	}
	if p := rec.events[3].Data.(knowledge.ArticleEvent).Previous; p != knowledge.Published {
		t.Fatalf("status event previous: %q", p)
	}
	all, _ := s.List(ctx)
	if len(all) != 2 || all[0].Version != 2 {
		t.Fatalf("after imports: %+v", all)
	}
	bad := good + `{"id":"c","title":"x","body":"y","category":"z","lang":"fr"}` + "\n"
	_, err = knowledge.ReadJSONL(strings.NewReader(bad))
	var le *knowledge.LineError
	if !errors.As(err, &le) || le.Line != 3 {
		t.Fatalf("bad line: got %v, want line 3", err)
	}
	_, err = knowledge.ReadJSONL(strings.NewReader(`{"id":"x","title":"t"}` + "\n{not json\n"))
	if !errors.As(err, &le) || le.Line != 2 {
		t.Fatalf("broken json: got %v, want line 2", err)
	}
}

func eventIDs(r *recorder) string {
	var out []string
	for _, e := range r.events {
		d := e.Data.(knowledge.ArticleEvent)
		out = append(out, fmt.Sprintf("%s:%s:%d", e.Type, d.ID, d.Version))
	}
	return strings.Join(out, " ")
}

func TestMarkdownRoundTrip(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := knowledge.Article{ID: "fee", Title: "宽带资费", Body: "# 资费\n\n100元/月", Category: "资费/宽带",
		Tags: []string{"宽带"}, Audience: knowledge.Public, Status: knowledge.Published, Lang: "zh", ValidFrom: &from}
	data, err := knowledge.FormatMarkdown(&a)
	if err != nil {
		t.Fatal(err)
	}
	b, err := knowledge.ParseMarkdown("fee.md", data)
	if err != nil {
		t.Fatal(err)
	}
	if b.Title != a.Title || b.Body != a.Body || b.Category != a.Category || !b.ValidFrom.Equal(from) {
		t.Fatalf("got %+v, want %+v", b, a)
	}
	if _, err := knowledge.ParseMarkdown("x.md", []byte("no front matter")); err == nil {
		t.Fatal("file without front matter accepted")
	}
}

func TestRenderSanitizes(t *testing.T) {
	got := knowledge.Render("**粗体** <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))")
	for _, bad := range []string{"<script", "onerror", "javascript:"} {
		if strings.Contains(got, bad) {
			t.Fatalf("rendered %q contains %q", got, bad)
		}
	}
	if !strings.Contains(got, "<strong>粗体</strong>") {
		t.Fatalf("rendered %q lacks the bold text", got)
	}
}

func TestSearchBadInput(t *testing.T) {
	t.Run("bleve", func(t *testing.T) { searchBadInput(t, demoEmbedded(t)) })
	t.Run("memory", func(t *testing.T) { searchBadInput(t, demoMemory(t)) })
}

func demoMemory(t *testing.T) *knowledge.Memory {
	m, err := knowledge.NewMemory()
	if err != nil {
		t.Fatal(err)
	}
	as, err := knowledge.DemoArticles()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(as); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMemoryUpdates: replaced and deleted articles leave nothing behind,
// through the renumbering of many replacements; facets and filters.
func TestMemoryUpdates(t *testing.T) {
	m, err := knowledge.NewMemory()
	if err != nil {
		t.Fatal(err)
	}
	a := knowledge.Article{ID: "a", Title: "宽带报修", Body: "光猫", Category: "故障/宽带", Products: []string{"宽带"}, Lang: "zh",
		Status: knowledge.Published, Audience: knowledge.Public}
	for i := range 200 { // renumbers (compacts) several times
		a.Title = fmt.Sprintf("宽带报修 v%d", i)
		if err := m.Upsert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	b := a
	b.ID, b.Title, b.Audience, b.Products = "b", "宽带资费", knowledge.Agents, []string{"宽带", "5G"}
	if err := m.Upsert(ctx, b); err != nil {
		t.Fatal(err)
	}
	res, _ := m.Search(ctx, knowledge.Query{Text: "宽带", Facets: true})
	if m.Count() != 2 || res.Total != 2 || res.Hits[0].Title == "" || len(res.Facets.Product) != 2 || res.Facets.Product[0].Value != "宽带" || res.Facets.Product[0].Count != 2 {
		t.Fatalf("after updates: count %d, %+v", m.Count(), res)
	}
	if res, _ := m.Search(ctx, knowledge.Query{Text: "v198"}); res.Total != 0 {
		t.Fatalf("an old version is still found: %+v", res.Hits)
	}
	if res, _ := m.Search(ctx, knowledge.Query{Text: "宽带", Audience: knowledge.Public}); res.Total != 1 || res.Hits[0].ID != "a" {
		t.Fatalf("public: %+v", res.Hits)
	}
	if res, _ := m.Search(ctx, knowledge.Query{Text: "宽带", Product: "5G"}); res.Total != 1 || res.Hits[0].ID != "b" {
		t.Fatalf("product: %+v", res.Hits)
	}
	if err := m.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if res, _ := m.Search(ctx, knowledge.Query{Text: "报修"}); res.Total != 0 || m.Count() != 1 {
		t.Fatalf("after delete: %+v", res.Hits)
	}
	if res, _ := m.Search(ctx, knowledge.Query{Text: "brodband"}); res.Total != 0 {
		t.Fatalf("fuzzy on nothing: %+v", res.Hits)
	}
}

func searchBadInput(t *testing.T, e knowledge.Index) {
	for _, q := range []string{"", "   ", "\x00\x01", `title:宽带 AND status:draft`, `+-!(){}[]^"~*?:\/`, strings.Repeat("宽带", 5000), "<script>alert(1)</script>"} {
		res, err := e.Search(ctx, knowledge.Query{Text: q, Audience: knowledge.Public})
		if err != nil {
			t.Fatalf("%.30q: %v", q, err)
		}
		for _, h := range res.Hits {
			if h.Audience != knowledge.Public || h.Status != knowledge.Published {
				t.Fatalf("%.30q: public search returned %+v", q, h)
			}
			if strings.Contains(h.Snippet, "<script") {
				t.Fatalf("snippet not escaped: %q", h.Snippet)
			}
		}
	}
	// Validity: the 2025 tariff is gone in 2026, the 2026 one not yet valid in 2025.
	ids := func(at time.Time) []string {
		res, _ := e.Search(ctx, knowledge.Query{Text: "500M光纤宽带资费", At: at})
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.ID)
		}
		return out
	}
	if got := ids(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); len(got) == 0 || got[0] != "broadband-fee-500m" || contains(got, "broadband-fee-500m-old") {
		t.Fatalf("2026: got %v", got)
	}
	if got := ids(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)); contains(got, "broadband-fee-500m") || !contains(got, "broadband-fee-500m-old") {
		t.Fatalf("2025: got %v", got)
	}
	res, _ := e.Search(ctx, knowledge.Query{Text: "宽带", Category: "故障", Facets: true})
	if res.Total == 0 || len(res.Facets.Category) == 0 {
		t.Fatalf("category filter: %+v", res)
	}
	for _, h := range res.Hits {
		if !strings.HasPrefix(h.Category, "故障") {
			t.Fatalf("category filter let %+v through", h)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func FuzzReadJSONL(f *testing.F) {
	f.Add(`{"id":"a","title":"t","body":"b","category":"c","tags":["x"],"lang":"zh"}`)
	f.Add("{\n")
	f.Fuzz(func(t *testing.T, s string) { knowledge.ReadJSONL(strings.NewReader(s)) })
}

func FuzzParseMarkdown(f *testing.F) {
	f.Add("---\nid: a\ntitle: t\n---\nbody")
	f.Add("---\n---\n")
	f.Fuzz(func(t *testing.T, s string) { knowledge.ParseMarkdown("f.md", []byte(s)) })
}
