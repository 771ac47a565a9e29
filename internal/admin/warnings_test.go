package admin_test

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
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
	for _, f := range []string{"warnings.go", "agents.go", "queues.go", "announcements.go"} {
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
