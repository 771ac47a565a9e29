package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The knowledge base through serve: the demo articles are searchable by an
// agent, the public variant shows public articles only, an editor's stale
// If-Match is refused with 409, and an agent may not edit.
func TestKnowledgeThroughServe(t *testing.T) {
	r := start(t, "--data-dir", t.TempDir())
	waitReady(t, r.base)
	call := func(token, method, path, body string, hdr ...string) (int, map[string]any, http.Header) {
		req, _ := http.NewRequest(method, r.base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out, resp.Header
	}
	ids := func(res map[string]any) []string {
		var out []string
		hits, _ := res["hits"].([]any)
		for _, h := range hits {
			out = append(out, h.(map[string]any)["id"].(string))
		}
		return out
	}
	if code, _, _ := call("", "GET", "/api/v1/kb/search?q=宽带", ""); code != 401 {
		t.Fatalf("anonymous agent search: got %d, want 401", code)
	}
	agent := r.login(t, "wang.fang")
	// The index loads in the background after start.
	var code int
	var res map[string]any
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		code, res, _ = call(agent, "GET", "/api/v1/kb/search?q=LOS告警&limit=3", "")
		if code != 200 || len(ids(res)) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if code != 200 || len(ids(res)) == 0 || ids(res)[0] != "broadband-los-agent" {
		t.Fatalf("agent search: %d %v", code, res)
	}
	code, res, _ = call("", "GET", "/api/v1/public/kb/search?q=LOS告警", "")
	if code != 200 || strings.Contains(strings.Join(ids(res), ","), "broadband-los-agent") {
		t.Fatalf("public search shows an agents-only article: %d %v", code, ids(res))
	}
	if code, _, _ := call("", "GET", "/api/v1/public/kb/articles/broadband-los-agent", ""); code != 404 {
		t.Fatalf("public read of an agents-only article: got %d, want 404", code)
	}
	if code, _, _ := call(agent, "GET", "/api/v1/kb/search?limit=x", ""); code != 400 {
		t.Fatalf("bad limit: got %d, want 400", code)
	}
	art := `{"id":"test-art","title":"测试<script>","body":"<script>alert(1)</script>**ok**","category":"测试","audience":"public"}`
	if code, _, _ := call(agent, "POST", "/api/v1/kb/articles", art); code != 403 {
		t.Fatalf("agent create: got %d, want 403", code)
	}
	editor := r.login(t, "sun.li")
	code, got, hdr := call(editor, "POST", "/api/v1/kb/articles", art)
	if code != 201 || hdr.Get("ETag") != `"1"` || strings.Contains(got["html"].(string), "<script") {
		t.Fatalf("create: %d %v %v", code, got, hdr)
	}
	if code, _, _ := call(editor, "PUT", "/api/v1/kb/articles/test-art", art); code != 428 {
		t.Fatalf("update without If-Match: got %d, want 428", code)
	}
	if code, _, _ := call(editor, "PUT", "/api/v1/kb/articles/test-art", art, "If-Match", `"1"`); code != 200 {
		t.Fatalf("update: got %d", code)
	}
	if code, body, _ := call(editor, "PUT", "/api/v1/kb/articles/test-art", art, "If-Match", `"1"`); code != 409 {
		t.Fatalf("stale update: got %d %v, want 409", code, body)
	}
}

func TestKBCommands(t *testing.T) {
	data := t.TempDir()
	file := filepath.Join(t.TempDir(), "kb.jsonl")
	os.WriteFile(file, []byte(`{"id":"a","title":"宽带报修","body":"光猫红灯","category":"故障","tags":["宽带"],"lang":"zh","status":"published"}
{"id":"b","title":"Top up","body":"app","category":"Billing","tags":[],"lang":"en","status":"published"}
`), 0o600)
	for i := 0; i < 2; i++ { // re-import updates, never duplicates
		code, out, errs := runCmd(t, noEnv, "kb", "import", file, "--data-dir", data, "--no-demo")
		if code != 0 || !strings.Contains(out, "2 articles read") {
			t.Fatalf("import: %d %q %q", code, out, errs)
		}
	}
	code, out, errs := runCmd(t, noEnv, "kb", "search", "宽带", "--data-dir", data)
	if code != 0 || !strings.Contains(out, " 1. a ") || strings.Contains(out, " 2. ") {
		t.Fatalf("search: %d %q %q", code, out, errs)
	}
	code, out, _ = runCmd(t, noEnv, "kb", "search", "top up", "--json", "--data-dir", data)
	var res struct {
		Hits []struct{ ID string } `json:"hits"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Hits) == 0 || res.Hits[0].ID != "b" {
		t.Fatalf("search --json: %d %q", code, out)
	}
	code, out, _ = runCmd(t, noEnv, "kb", "export", "--data-dir", data)
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Fatalf("export: %d %q", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte(`{"id":"c","title":"新","body":"x","category":"y","lang":"zh"}`+"\n{broken\n"), 0o600)
	code, _, errs = runCmd(t, noEnv, "kb", "import", bad, "--data-dir", data)
	if code != 1 || !strings.Contains(errs, "bad.jsonl:2:") {
		t.Fatalf("bad import: %d %q", code, errs)
	}
	code, out, _ = runCmd(t, noEnv, "kb", "export", "--data-dir", data)
	if strings.Contains(out, `"id":"c"`) {
		t.Fatalf("half-imported: %q", out)
	}
	md := t.TempDir()
	if code, _, errs := runCmd(t, noEnv, "kb", "export", "--dir", md, "--data-dir", data); code != 0 {
		t.Fatalf("export --dir: %q", errs)
	}
	code, out, errs = runCmd(t, noEnv, "kb", "import", md, "--data-dir", data)
	if code != 0 || !strings.Contains(out, "2 articles read, 0 created or changed") {
		t.Fatalf("import exported folder: %d %q %q", code, out, errs)
	}
}

// fakeMeili is a Meilisearch stand-in for the command tests: it keeps the
// documents it is sent, finishes every task at once, answers a search with
// the documents whose title or body contains the query, and fails the test
// on any request the adapter has no business sending.
type fakeMeili struct {
	t     *testing.T
	key   string
	mu    sync.Mutex
	tasks int
	docs  map[string]map[string]any
	log   []string
}

func (f *fakeMeili) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a := r.Header.Get("Authorization"); a != "Bearer "+f.key {
		f.t.Errorf("meilisearch request %s %s: Authorization %q", r.Method, r.URL, a)
	}
	req := r.Method + " " + r.URL.Path
	f.log = append(f.log, req)
	task := func(typ string) {
		f.tasks++
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]any{"taskUid": f.tasks, "indexUid": "hotline_articles", "status": "enqueued", "type": typ, "enqueuedAt": "2026-06-01T09:00:00Z"})
	}
	switch {
	case req == "POST /indexes":
		task("indexCreation")
	case req == "PATCH /indexes/hotline_articles/settings":
		var s map[string]any
		json.NewDecoder(r.Body).Decode(&s)
		if s["synonyms"] == nil || s["filterableAttributes"] == nil {
			f.t.Errorf("settings without synonyms or filters: %v", s)
		}
		task("settingsUpdate")
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/tasks/"):
		json.NewEncoder(w).Encode(map[string]any{"uid": 1, "status": "succeeded", "type": "x", "indexUid": "hotline_articles"})
	case req == "POST /indexes/hotline_articles/documents" && r.URL.Query().Get("primaryKey") == "key":
		var docs []map[string]any
		if err := json.NewDecoder(r.Body).Decode(&docs); err != nil {
			f.t.Errorf("documents: %v", err)
		}
		for _, d := range docs {
			f.docs[d["key"].(string)] = d
		}
		task("documentAdditionOrUpdate")
	case req == "POST /indexes/hotline_articles/search":
		var s struct {
			Q string `json:"q"`
		}
		json.NewDecoder(r.Body).Decode(&s)
		hits := []map[string]any{}
		for _, d := range f.docs {
			if strings.Contains(strings.ToLower(d["title"].(string)+" "+d["body"].(string)), strings.ToLower(s.Q)) {
				hits = append(hits, d)
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"hits": hits, "query": s.Q, "estimatedTotalHits": len(hits), "limit": 10, "offset": 0, "processingTimeMs": 0})
	default:
		f.t.Errorf("unexpected meilisearch request %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusTeapot)
	}
}

// The kb commands with knowledge.backend meilisearch: the index is created
// and configured, an import reaches Meilisearch through the outbox, search
// asks it, reindex loads everything; the API key never shows.
func TestKBCommandsMeilisearch(t *testing.T) {
	fm := &fakeMeili{t: t, key: "k-secret-123", docs: map[string]map[string]any{}}
	srv := httptest.NewServer(fm)
	defer srv.Close()
	env := func(k string) (string, bool) {
		switch k {
		case "HOTLINE_KNOWLEDGE_BACKEND":
			return "meilisearch", true
		case "HOTLINE_KNOWLEDGE_MEILI_URL":
			return srv.URL, true
		case "HOTLINE_KNOWLEDGE_MEILI_API_KEY":
			return fm.key, true
		}
		return "", false
	}
	data := t.TempDir()
	file := filepath.Join(t.TempDir(), "kb.jsonl")
	os.WriteFile(file, []byte(`{"id":"a","title":"宽带报修","body":"光猫红灯","category":"故障","tags":["宽带"],"lang":"zh","status":"published"}
{"id":"b","title":"Top up","body":"app","category":"Billing","tags":[],"lang":"en","status":"published"}
`), 0o600)
	code, out, errs := runCmd(t, env, "kb", "import", file, "--data-dir", data, "--no-demo")
	if code != 0 || !strings.Contains(out, "2 articles read, 2 created or changed") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	fm.mu.Lock()
	n, calls := len(fm.docs), strings.Join(fm.log, ", ")
	fm.mu.Unlock()
	if n != 2 || !strings.HasPrefix(calls, "POST /indexes, GET /tasks/1, PATCH /indexes/hotline_articles/settings, GET /tasks/2, POST /indexes/hotline_articles/documents") {
		t.Fatalf("meilisearch after import: %d documents, calls %s", n, calls)
	}
	code, out, errs = runCmd(t, env, "kb", "search", "宽带", "--data-dir", data)
	if code != 0 || !strings.Contains(out, " 1. a ") || strings.Contains(out, " 2. ") {
		t.Fatalf("search: %d %q %q", code, out, errs)
	}
	code, out, errs = runCmd(t, env, "kb", "reindex", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "2 articles indexed in Meilisearch") {
		t.Fatalf("reindex: %d %q %q", code, out, errs)
	}
	if strings.Contains(out+errs, fm.key) {
		t.Fatal("the API key was printed")
	}
	// Meilisearch down: the command fails naming the key to check.
	srv.Close()
	code, _, errs = runCmd(t, env, "kb", "search", "宽带", "--data-dir", data)
	if code != 1 || !strings.Contains(errs, "knowledge.meili_url") || strings.Contains(errs, fm.key) {
		t.Fatalf("meilisearch down: %d %q", code, errs)
	}
}
