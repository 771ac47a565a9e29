package admin_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/admin"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/ivr"
)

// warnings are an answer's warnings as "code@field" joined by spaces, after
// checking each has a code and a message.
func (a answer) warnings() string {
	list, _ := a.body["warnings"].([]any)
	var out []string
	for _, x := range list {
		w, _ := x.(map[string]any)
		code, _ := w["code"].(string)
		field, _ := w["field"].(string)
		if msg, _ := w["message"].(string); code == "" || msg == "" {
			return "malformed warning " + string(a.raw)
		}
		out = append(out, code+"@"+field)
	}
	return strings.Join(out, " ")
}

// Every warning code the API answers is documented and has the page's
// Mandarin text, and nothing in the source makes a warning without one of
// the declared codes.
func TestWarningCodesDocumentedAndTranslated(t *testing.T) {
	src := ""
	for _, f := range []string{"warnings.go", "agents.go", "queues.go", "announcements.go"} { // where warnings are made
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src += string(b)
	}
	var codes []string
	for _, m := range regexp.MustCompile(`(?m)^\s*(Warn[A-Za-z]+)\s*=\s*"([a-z_]+)"`).FindAllStringSubmatch(src, -1) {
		codes = append(codes, m[2])
		if !strings.Contains(src, "Code: "+m[1]) {
			t.Errorf("warning %s is declared but never answered", m[2])
		}
	}
	if len(codes) < 4 {
		t.Fatalf("found %d warning codes: the pattern no longer matches", len(codes))
	}
	if n := strings.Count(src, "Warning{{Code: Warn") + strings.Count(src, "Warning{Code: Warn"); n < len(codes) {
		t.Errorf("%d warnings made with a declared code, want at least %d", n, len(codes))
	}
	docs, err := os.ReadFile("../../docs/administration.md")
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile("../../agentdesk/web/admin/admin.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		if !strings.Contains(string(docs), "`"+c+"`") {
			t.Errorf("warning %s is not in docs/administration.md", c)
		}
		if !regexp.MustCompile(`\b` + c + `:\s*'`).Match(page) {
			t.Errorf("warning %s has no Mandarin text on the admin page (warningsZh)", c)
		}
	}
	slices.Sort(codes)
	if len(slices.Compact(codes)) != len(codes) {
		t.Errorf("a code is declared twice: %v", codes)
	}
}

// A warning names its code and field in the answer: an announcement to a
// team nobody is in.
func TestAnnouncementToAnEmptyTeamWarns(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a := e.must(e.do("root", "POST", "/api/v1/admin/announcements", map[string]any{"text": "hello", "team": "nobody-here"}), http.StatusCreated)
		if got := a.warnings(); got != "team_has_no_agents@team" {
			t.Fatalf("warnings %q: %s", got, a.raw)
		}
	})
}

// servingFlows is the node's flows with the library that serves, so the
// API can tell a queue no flow leads to.
type servingFlows struct{ *nodeFlows }

func (s servingFlows) Library() *ivr.Library {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lib
}

// A queue nothing routes to (no node of the serving flows transfers to it,
// no queue overflows to it) is saved with a warning naming it; a flow
// transfer or an overflow to it clears the warning.
func TestQueueNoFlowLeadsHereWarns(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		if err := e.flows.Install(nil, ""); err != nil { // the built-in flows: they transfer to general-chat, general-voice…
			t.Fatal(err)
		}
		e.api = admin.New(admin.Options{Store: e.st, Flows: servingFlows{e.flows}, Now: func() time.Time { return t0 }})
		mux := http.NewServeMux()
		authz := auth.NewService(e.st, auth.Options{IdleTimeout: time.Hour, MaxAge: 24 * time.Hour, PasswordMinLength: 8, Hash: auth.FastHashParams, Now: func() time.Time { return t0 }})
		e.api.Routes(mux, authz)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		e.srv = srv
		e.must(e.do("root", "PATCH", "/api/v1/admin/agents/"+e.ids["ann"], map[string]any{"skills": []map[string]any{{"skill": "billing", "proficiency": 5}}}), http.StatusOK)

		a := e.must(e.do("root", "POST", "/api/v1/admin/queues", queueBody("promo")), http.StatusCreated)
		if got := a.warnings(); got != "no_flow_leads_here@id" {
			t.Fatalf("a queue nothing leads to: warnings %q: %s", got, a.raw)
		}
		// A queue the built-in flows transfer to is not warned about.
		lib := servingFlows{e.flows}.Library()
		var named string
		for _, f := range lib.Flows() {
			fl, _ := lib.Flow(f)
			for _, n := range fl.Nodes {
				if n.Queue != "" && named == "" {
					named = n.Queue
				}
			}
		}
		if named == "" {
			t.Fatal("the built-in flows transfer to no queue")
		}
		b := e.must(e.do("root", "POST", "/api/v1/admin/queues", queueBody(named)), http.StatusCreated)
		if got := b.warnings(); got != "" {
			t.Fatalf("queue %s, which a flow names: warnings %q", named, got)
		}
		// An overflow to promo leads there.
		e.must(e.do("root", "PUT", "/api/v1/admin/queues/"+named, queueBody(named, func(m map[string]any) { m["on_max_wait"] = "overflow"; m["overflow_to"] = "promo" })), http.StatusOK)
		if got := e.must(e.do("root", "PUT", "/api/v1/admin/queues/promo", queueBody("promo")), http.StatusOK).warnings(); got != "" {
			t.Fatalf("a queue another overflows to: warnings %q", got)
		}
	})
}
