package kbapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/knowledge"
	"github.com/hotline10000/hotline/knowledge/kbapi"
)

// TestMain: bleve's analysis workers are started once per process at
// package init and are not a leak.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/blevesearch/bleve_index_api.AnalysisWorker"))
}

var ctx = context.Background()

// now is the clock of every test: the API checks validity windows with it.
var now = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

type recorder struct{ types []event.Type }

func (r *recorder) Publish(_ context.Context, e event.Event) (event.Event, error) {
	r.types = append(r.types, e.Type)
	return e, nil
}

type fixture struct {
	mux           *http.ServeMux
	agent, editor string // bearer tokens
	integration   string
	bus           *recorder
	svc           *knowledge.Service
}

func newFixture(t *testing.T) *fixture {
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
	f := &fixture{mux: http.NewServeMux(), bus: &recorder{}}
	clock := func() time.Time { return now }
	f.svc = knowledge.NewService(knowledge.Options{Store: st, Index: idx, Bus: f.bus, Now: clock})
	au := auth.NewService(st, auth.Options{Now: clock, Hash: auth.FastHashParams, IdleTimeout: time.Hour, MaxAge: 24 * time.Hour})
	kbapi.New(f.svc, clock, 64<<10).Routes(f.mux, au)
	ag, err := au.CreateAgent(ctx, "li.na", "Li Na", auth.RoleAgent, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if f.agent, _, _, err = au.Login(ctx, "li.na", "correct horse battery", "127.0.0.1", "test"); err != nil {
		t.Fatal(err)
	}
	if f.editor, _, err = au.CreateAPIKey(ctx, "editor", auth.RoleSupervisor, ag.ID); err != nil {
		t.Fatal(err)
	}
	if f.integration, _, err = au.CreateAPIKey(ctx, "crm", auth.RoleIntegration, ag.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// call sends one request; hdr are header name/value pairs.
func (f *fixture) call(t *testing.T, token, method, path, body string, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	var got map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, path, w.Body.String(), err)
		}
	}
	return w.Code, got, w.Header()
}

// field returns the field an error body names.
func field(body map[string]any) string {
	if e, ok := body["error"].(map[string]any); ok {
		s, _ := e["field"].(string)
		return s
	}
	s, _ := body["field"].(string)
	return s
}

func code(body map[string]any) string {
	if e, ok := body["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	s, _ := body["code"].(string)
	return s
}

func hitIDs(body map[string]any) []string {
	var out []string
	hs, _ := body["hits"].([]any)
	for _, h := range hs {
		out = append(out, h.(map[string]any)["id"].(string))
	}
	return out
}

func (f *fixture) seed(t *testing.T) {
	t.Helper()
	until := now.Add(-time.Hour)
	for _, a := range []knowledge.Article{
		{ID: "roam", Title: "国际漫游开通", Body: "出国前开通**国际漫游**", Category: "资费/漫游", Products: []string{"5G"}, Audience: knowledge.Public, Status: knowledge.Published, Lang: "zh"},
		{ID: "roam-en", Title: "International roaming", Body: "Turn on roaming before you travel", Category: "Tariffs/Roaming", Audience: knowledge.Public, Status: knowledge.Published, Lang: "en"},
		{ID: "roam-agent", Title: "漫游开通系统操作", Body: "在 CRM 中办理漫游 KTMY", Category: "操作/漫游", Audience: knowledge.Agents, Status: knowledge.Published, Lang: "zh"},
		{ID: "roam-draft", Title: "漫游新资费草稿", Body: "漫游草稿", Category: "资费/漫游", Audience: knowledge.Public, Status: knowledge.Draft, Lang: "zh"},
		{ID: "roam-old", Title: "旧漫游资费", Body: "漫游旧资费", Category: "资费/漫游", Audience: knowledge.Public, Status: knowledge.Published, Lang: "zh", ValidUntil: &until},
		{ID: "xss", Title: "漫游提示", Body: "漫游 <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>", Category: "资费/漫游", Audience: knowledge.Public, Status: knowledge.Published, Lang: "zh"},
	} {
		if _, err := f.svc.Create(ctx, a, "seed"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSearchSeesWhatTheCallerMay(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	// Agents: every audience, published and valid now.
	c, body, _ := f.call(t, f.agent, "GET", "/api/v1/kb/search?q=漫游&limit=50", "")
	if c != 200 {
		t.Fatalf("agent search: %d %v", c, body)
	}
	ids := strings.Join(hitIDs(body), " ")
	for _, want := range []string{"roam", "roam-agent", "xss"} {
		if !strings.Contains(" "+ids+" ", " "+want+" ") {
			t.Errorf("agent search misses %s: %s", want, ids)
		}
	}
	for _, no := range []string{"roam-draft", "roam-old"} {
		if strings.Contains(" "+ids+" ", " "+no+" ") {
			t.Errorf("agent search shows %s: %s", no, ids)
		}
	}
	// Drafts on request, for editors reviewing.
	_, body, _ = f.call(t, f.agent, "GET", "/api/v1/kb/search?q=漫游&status=draft", "")
	if got := hitIDs(body); len(got) != 1 || got[0] != "roam-draft" {
		t.Errorf("status=draft: %v", got)
	}
	// audience=public narrows an agent's search to what may be sent.
	_, body, _ = f.call(t, f.agent, "GET", "/api/v1/kb/search?q=漫游&audience=public&limit=50", "")
	if strings.Contains(strings.Join(hitIDs(body), " "), "roam-agent") {
		t.Errorf("audience=public shows an agents-only article: %v", hitIDs(body))
	}
	// Integrations read too.
	if c, _, _ := f.call(t, f.integration, "GET", "/api/v1/kb/search?q=漫游", ""); c != 200 {
		t.Errorf("integration search: %d", c)
	}
	// The public: public, published, valid articles only, whatever it asks.
	c, body, _ = f.call(t, "", "GET", "/api/v1/public/kb/search?q=漫游&limit=50&status=draft&audience=agents", "")
	if c != 200 {
		t.Fatalf("public search: %d", c)
	}
	for _, id := range hitIDs(body) {
		if id == "roam-agent" || id == "roam-draft" || id == "roam-old" {
			t.Errorf("public search shows %s", id)
		}
	}
	// lang filter.
	_, body, _ = f.call(t, "", "GET", "/api/v1/public/kb/search?q=roaming&lang=en", "")
	if got := hitIDs(body); len(got) != 1 || got[0] != "roam-en" {
		t.Errorf("lang=en: %v", got)
	}
	// Facets and snippets come with the hits; snippets never carry the article's markup.
	_, body, _ = f.call(t, f.agent, "GET", "/api/v1/kb/search?q=漫游&limit=50", "")
	if fc, _ := body["facets"].(map[string]any); fc == nil || len(fc["category"].([]any)) != 0 {
		t.Errorf("facets without asking: %v", body["facets"])
	}
	_, body, _ = f.call(t, f.agent, "GET", "/api/v1/kb/search?q=漫游&limit=50&facets=true", "")
	if fc, _ := body["facets"].(map[string]any); fc == nil || len(fc["category"].([]any)) == 0 {
		t.Errorf("no category facets: %v", body["facets"])
	}
	for _, h := range body["hits"].([]any) {
		sn := h.(map[string]any)["snippet"].(string)
		if strings.Contains(sn, "<script") || strings.Contains(sn, "<img") {
			t.Errorf("snippet carries markup: %q", sn)
		}
	}
}

func TestSearchRejectsBadParameters(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ path, field string }{
		{"/api/v1/kb/search?q=a&limit=x", "limit"},
		{"/api/v1/kb/search?q=a&offset=-1", "offset"},
		{"/api/v1/kb/search?q=a&lang=fr", "lang"},
		{"/api/v1/kb/search?q=a&status=live", "status"},
		{"/api/v1/kb/search?q=" + strings.Repeat("漫", 801), "q"},
		{"/api/v1/public/kb/search?q=a&limit=1.5", "limit"},
		{"/api/v1/kb/search?q=a&facets=maybe", "facets"},
	} {
		c, body, _ := f.call(t, f.agent, "GET", tc.path, "")
		if c != 400 || field(body) != tc.field {
			t.Errorf("%.60s: got %d %v, want 400 naming %s", tc.path, c, body, tc.field)
		}
	}
	// Query syntax, control characters and markup are searched as text.
	for _, q := range []string{"title:x%20AND%20status:draft", "%2B-!(){}[]^%22~*%3F:%5C/", "%3Cscript%3E", "%00%01%1b", ""} {
		if c, body, _ := f.call(t, f.agent, "GET", "/api/v1/kb/search?q="+q, ""); c != 200 {
			t.Errorf("q=%s: %d %v", q, c, body)
		}
	}
	if c, _, hdr := f.call(t, "", "GET", "/api/v1/kb/search?q=a", ""); c != 401 || hdr.Get("WWW-Authenticate") == "" {
		t.Errorf("no token: %d", c)
	}
}

func TestPublicArticle(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	c, body, _ := f.call(t, "", "GET", "/api/v1/public/kb/articles/xss", "")
	if c != 200 {
		t.Fatalf("public article: %d", c)
	}
	html := body["html"].(string)
	for _, bad := range []string{"<script", "javascript:", "onerror"} {
		if strings.Contains(html, bad) {
			t.Errorf("rendered article carries %s: %s", bad, html)
		}
	}
	if _, ok := body["body"]; ok {
		t.Error("public article shows the Markdown source")
	}
	for _, id := range []string{"roam-agent", "roam-draft", "roam-old", "nope"} {
		if c, body, _ := f.call(t, "", "GET", "/api/v1/public/kb/articles/"+id, ""); c != 404 || code(body) != "not_found" {
			t.Errorf("public %s: %d %v", id, c, body)
		}
	}
}

func TestEditing(t *testing.T) {
	f := newFixture(t)
	art := `{"id":"fee","title":"宽带资费","body":"100元/月","category":"资费/宽带","tags":["宽带"],"lang":"zh","audience":"public"}`
	if c, _, _ := f.call(t, f.agent, "POST", "/api/v1/kb/articles", art); c != 403 {
		t.Fatalf("agent create: %d, want 403", c)
	}
	if c, _, _ := f.call(t, f.integration, "POST", "/api/v1/kb/articles", art); c != 403 {
		t.Fatalf("integration create: %d, want 403", c)
	}
	c, body, hdr := f.call(t, f.editor, "POST", "/api/v1/kb/articles", art)
	if c != 201 || hdr.Get("ETag") != `"1"` || body["status"] != "draft" {
		t.Fatalf("create: %d %v %v", c, hdr.Get("ETag"), body)
	}
	if c, body, _ := f.call(t, f.editor, "POST", "/api/v1/kb/articles", art); c != 409 || code(body) != "exists" || field(body) != "id" {
		t.Fatalf("create again: %d %v", c, body)
	}
	// Bad input names the field.
	for _, tc := range []struct{ body, field string }{
		{`{"id":"x y","title":"t","body":"b","category":"c","lang":"zh"}`, "id"},
		{`{"id":"x","title":"t","body":"b","category":"c","lang":"fr"}`, "lang"},
		{`{"id":"x","title":5,"body":"b","category":"c","lang":"zh"}`, "title"},
		{`{"id":"x","title":"t","body":"b","category":"c","lang":"zh","linked":"x"}`, "linked"},
		{`{"id":"x","title":"t","body":"b","category":"c","lang":"zh","linked":"a b"}`, "linked"},
	} {
		if c, body, _ := f.call(t, f.editor, "POST", "/api/v1/kb/articles", tc.body); c != 400 || field(body) != tc.field {
			t.Errorf("create %s: %d %v, want 400 naming %s", tc.body, c, body, tc.field)
		}
	}
	if c, _, _ := f.call(t, f.editor, "POST", "/api/v1/kb/articles", `{"id":"big","body":"`+strings.Repeat("x", 70<<10)+`"}`); c != 413 && c != 400 {
		t.Errorf("oversized body: %d", c)
	}
	// Writes need If-Match; a stale one loses.
	upd := strings.Replace(art, "100元", "120元", 1)
	if c, body, _ := f.call(t, f.editor, "PUT", "/api/v1/kb/articles/fee", upd); c != 428 || field(body) != "If-Match" {
		t.Fatalf("update without If-Match: %d %v", c, body)
	}
	if c, _, hdr := f.call(t, f.editor, "PUT", "/api/v1/kb/articles/fee", upd, "If-Match", `"1"`); c != 200 || hdr.Get("ETag") != `"2"` {
		t.Fatalf("update: %d %s", c, hdr.Get("ETag"))
	}
	if c, body, _ := f.call(t, f.editor, "PUT", "/api/v1/kb/articles/fee", upd, "If-Match", `"1"`); c != 409 || code(body) != "version_conflict" {
		t.Fatalf("stale update: %d %v", c, body)
	}
	// Editorial path: draft -> published is refused, draft -> review -> published is not.
	if c, body, _ := f.call(t, f.editor, "POST", "/api/v1/kb/articles/fee/status", `{"status":"published"}`, "If-Match", `"2"`); c != 409 || code(body) != "status_not_allowed" {
		t.Fatalf("draft to published: %d %v", c, body)
	}
	if c, body, _ := f.call(t, f.editor, "POST", "/api/v1/kb/articles/fee/status", `{"status":"live"}`, "If-Match", `"2"`); c != 400 || field(body) != "status" {
		t.Fatalf("unknown status: %d %v", c, body)
	}
	f.call(t, f.editor, "POST", "/api/v1/kb/articles/fee/status", `{"status":"review"}`, "If-Match", `"2"`)
	if c, body, _ := f.call(t, f.editor, "POST", "/api/v1/kb/articles/fee/status", `{"status":"published"}`, "If-Match", `"3"`); c != 200 || body["status"] != "published" {
		t.Fatalf("publish: %d %v", c, body)
	}
	if c, body, _ := f.call(t, "", "GET", "/api/v1/public/kb/search?q=宽带资费", ""); c != 200 || len(hitIDs(body)) != 1 {
		t.Fatalf("published article not found by the public: %v", body)
	}
	// History, diff, restore.
	_, body, _ = f.call(t, f.agent, "GET", "/api/v1/kb/articles/fee/versions", "")
	if vs := body["versions"].([]any); len(vs) != 4 {
		t.Fatalf("versions: %d", len(vs))
	}
	c, body, _ = f.call(t, f.agent, "GET", "/api/v1/kb/articles/fee/diff?from=1&to=2", "")
	if d, _ := body["diff"].(string); c != 200 || !strings.Contains(d, "-100元/月") || !strings.Contains(d, "+120元/月") {
		t.Fatalf("diff: %d %v", c, body)
	}
	if c, body, _ := f.call(t, f.agent, "GET", "/api/v1/kb/articles/fee/diff?from=1&to=x", ""); c != 400 || field(body) != "to" {
		t.Fatalf("diff to=x: %d %v", c, body)
	}
	c, body, hdr = f.call(t, f.editor, "POST", "/api/v1/kb/articles/fee/restore", `{"version":1}`, "If-Match", `"4"`)
	if c != 200 || hdr.Get("ETag") != `"5"` || body["status"] != "draft" || !strings.Contains(body["body"].(string), "100元") {
		t.Fatalf("restore: %d %v", c, body)
	}
	if c, _, _ := f.call(t, f.editor, "POST", "/api/v1/kb/articles/fee/restore", `{"version":9}`, "If-Match", `"5"`); c != 404 {
		t.Fatalf("restore of a missing version: %d", c)
	}
	// The restored draft left the public's view.
	if c, _, _ := f.call(t, "", "GET", "/api/v1/public/kb/articles/fee", ""); c != 404 {
		t.Fatalf("restored draft still public: %d", c)
	}
	want := []event.Type{knowledge.EventArticleSaved, knowledge.EventArticleSaved, knowledge.EventArticleStatus, knowledge.EventArticleStatus, knowledge.EventArticleRestored}
	if len(f.bus.types) != len(want) {
		t.Fatalf("events: %v, want %v", f.bus.types, want)
	}
	for i := range want {
		if f.bus.types[i] != want[i] {
			t.Fatalf("events: %v, want %v", f.bus.types, want)
		}
	}
	// A cookie-borne write from another site is refused before anything happens.
	r := httptest.NewRequest("POST", "/api/v1/kb/articles", strings.NewReader(art))
	r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: f.agent})
	r.Header.Set("Origin", "https://evil.example")
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	if w.Code != 403 {
		t.Fatalf("cross-site write: %d", w.Code)
	}
}
