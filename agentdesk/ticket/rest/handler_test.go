package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/rest"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
)

type actorKey struct{}

// api serves the handler behind a stand-in for the auth middleware that
// reads "id role group,group" from the X-Actor header.
func api(t testing.TB) *httptest.Server {
	srv, _ := apiClock(t)
	return srv
}

func apiClock(t testing.TB) (*httptest.Server, *tickettest.Clock) {
	t.Helper()
	clock := tickettest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	svc, err := ticket.NewService(tickettest.NewMemory(), clock, ticket.Config{
		Calendar: tickettest.Always{},
		Rules:    []ticket.Rule{{Name: "all", Group: "fault-desk"}},
		Targets:  targets{},
		SLA:      ticket.SLAConfig{Policies: []ticket.Policy{{Name: "all", Resolution: 8 * time.Hour}}},
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	identify := func(ctx context.Context) (ticket.Actor, bool) {
		a, ok := ctx.Value(actorKey{}).(ticket.Actor)
		return a, ok
	}
	h := rest.New(svc, identify, rest.Options{Logger: slog.New(slog.DiscardHandler), Clock: clock, StatusFailures: 3, StatusWindow: time.Minute})
	auth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := strings.Fields(r.Header.Get("X-Actor")); len(f) >= 2 {
			a := ticket.Actor{ID: f[0], Role: ticket.Role(f[1])}
			if len(f) > 2 {
				a.Groups = strings.Split(f[2], ",")
			}
			r = r.WithContext(context.WithValue(r.Context(), actorKey{}, a))
		}
		h.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(http.StripPrefix("/api/v1", auth))
	t.Cleanup(srv.Close)
	return srv, clock
}

// targets: the groups fault-desk and billing; agents by id, or by login
// ("login.<id>") as a caller at the edge may name them.
type targets struct{}

func (targets) Group(name string) bool { return name == "fault-desk" || name == "billing" }
func (targets) Agent(_ context.Context, ref string) (string, error) {
	ref = strings.TrimPrefix(ref, "login.")
	switch ref {
	case "alice", "bob", "carol", "lead1", "sup":
		return ref, nil
	}
	return "", ticket.ErrNotFound
}

const (
	alice = "alice agent fault-desk"
	bob   = "bob agent fault-desk"
	sup   = "sup supervisor"
)

type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func (r reply) errField(t testing.TB) (code, field string) {
	e, _ := r.json(t)["error"].(map[string]any)
	c, _ := e["code"].(string)
	f, _ := e["field"].(string)
	return c, f
}

func call(t testing.TB, srv *httptest.Server, actor, method, path, body string, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+"/api/v1"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if actor != "" {
		req.Header.Set("X-Actor", actor)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

const draft = `{"type":"fault","category":"broadband","subject":"<script>alert(1)</script>宽带断了",
	"description":"LOS红灯","customer":{"phone":"13900000001","tier":"gold"},"channel":"phone"}`

func TestCreateGetAndEscaping(t *testing.T) {
	srv := api(t)
	r := call(t, srv, alice, "POST", "/tickets", draft, "Idempotency-Key", "k-1")
	if r.status != http.StatusCreated || r.header.Get("ETag") != `"1"` || r.header.Get("Location") != srv.URL+"/api/v1/tickets/1" {
		t.Fatalf("create: got %d %v %s", r.status, r.header, r.body)
	}
	if strings.Contains(r.body, "<script>") || !strings.Contains(r.body, `\u003cscript\u003e`) {
		t.Errorf("html not escaped: %s", r.body)
	}
	again := call(t, srv, alice, "POST", "/tickets", draft, "Idempotency-Key", "k-1")
	if again.status != http.StatusOK || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: got %d %v", again.status, again.header)
	}
	other := call(t, srv, alice, "POST", "/tickets", strings.Replace(draft, "宽带断了", "x", 1), "Idempotency-Key", "k-1")
	if code, _ := other.errField(t); other.status != http.StatusUnprocessableEntity || code != "idempotency_key_reused" {
		t.Errorf("reused key: got %d %s", other.status, other.body)
	}
	g := call(t, srv, bob, "GET", "/tickets/1", "")
	m := g.json(t)
	tk := m["ticket"].(map[string]any)
	if g.status != 200 || tk["number"] != "20261123000001" || tk["subject"] != "<script>alert(1)</script>宽带断了" ||
		len(m["history"].([]any)) != 2 {
		t.Errorf("get: got %d %s", g.status, g.body)
	}
	if r := call(t, srv, "", "GET", "/tickets/1", ""); r.status != http.StatusUnauthorized {
		t.Errorf("no identity: got %d", r.status)
	}
	if r := call(t, srv, bob, "GET", "/tickets/99", ""); r.status != http.StatusNotFound {
		t.Errorf("missing: got %d", r.status)
	}
}

func TestBadInput(t *testing.T) {
	srv := api(t)
	tests := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"malformed", "POST", "/tickets", `{"type":`, 400, "body"},
		{"two objects", "POST", "/tickets", draft + draft, 400, "body"},
		{"unknown field", "POST", "/tickets", strings.Replace(draft, `"channel"`, `"colour":"red","channel"`, 1), 400, "colour"},
		{"nested unknown", "POST", "/tickets", strings.Replace(draft, `"tier":"gold"`, `"tier":"gold","vip":true`, 1), 400, "vip"},
		{"wrong type", "POST", "/tickets", strings.Replace(draft, `"13900000001"`, `13900000001`, 1), 400, "customer.phone"},
		{"unknown type", "POST", "/tickets", strings.Replace(draft, `"fault"`, `"rant"`, 1), 400, "type"},
		{"unknown tier", "POST", "/tickets", strings.Replace(draft, `"gold"`, `"titanium"`, 1), 400, "customer.tier"},
		{"oversized subject", "POST", "/tickets", strings.Replace(draft, "宽带断了", strings.Repeat("长", 300), 1), 400, "subject"},
		{"oversized body", "POST", "/tickets", strings.Replace(draft, "LOS红灯", strings.Repeat("x", 70000), 1), 413, "body"},
		{"bad id", "GET", "/tickets/abc", "", 400, "id"},
		{"negative id", "GET", "/tickets/-4", "", 400, "id"},
		{"unknown action", "POST", "/tickets/1/actions", `{"action":"explode"}`, 400, "action"},
		{"bad version", "POST", "/tickets/1/claim", `{"version":"one"}`, 400, "version"},
		{"unknown param", "GET", "/tickets?colour=red", "", 400, "colour"},
		{"unknown status", "GET", "/tickets?status=pooled,lost", "", 400, "status"},
		{"bad limit", "GET", "/tickets?limit=lots", "", 400, "limit"},
		{"huge limit", "GET", "/tickets?limit=100000", "", 400, "limit"},
		{"bad time", "GET", "/tickets?from=yesterday", "", 400, "from"},
		{"bad phone", "POST", "/public/ticket-status", `{"number":"20261123000001","phone":"x"}`, 400, "phone"},
		{"bad number", "POST", "/public/ticket-status", `{"number":"1; DROP TABLE","phone":"13900000001"}`, 400, "number"},
		{"comment kind", "POST", "/tickets/1/comments", `{"kind":"shout","body":"x"}`, 400, "kind"},
	}
	call(t, srv, alice, "POST", "/tickets", draft)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, sup, tt.method, tt.path, tt.body)
			if _, field := r.errField(t); r.status != tt.status || field != tt.field {
				t.Errorf("got %d %s, want %d naming %s", r.status, r.body, tt.status, tt.field)
			}
		})
	}
	if r := call(t, srv, sup, "POST", "/tickets", draft, "Content-Type", "text/plain"); r.status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: got %d", r.status)
	}
	// Nothing half-written: only the one good ticket exists.
	if r := call(t, srv, sup, "GET", "/tickets", ""); len(r.json(t)["tickets"].([]any)) != 1 {
		t.Errorf("tickets after bad input: %s", r.body)
	}
}

func TestClaimConflictsAndPermissions(t *testing.T) {
	srv := api(t)
	call(t, srv, alice, "POST", "/tickets", draft)
	if r := call(t, srv, "carol agent billing", "POST", "/tickets/1/claim", ""); r.status != http.StatusForbidden {
		t.Errorf("claim from another group: got %d %s", r.status, r.body)
	}
	if r := call(t, srv, alice, "POST", "/tickets/1/claim", ""); r.status != 200 || r.header.Get("ETag") != `"2"` {
		t.Fatalf("claim: got %d %s", r.status, r.body)
	}
	r := call(t, srv, bob, "POST", "/tickets/1/claim", "")
	if code, _ := r.errField(t); r.status != http.StatusConflict || code != "already_claimed" {
		t.Errorf("second claim: got %d %s", r.status, r.body)
	}
	r = call(t, srv, "lead1 lead fault-desk", "POST", "/tickets/1/dispatch", `{"assignee":"bob"}`, "If-Match", `"1"`)
	if code, _ := r.errField(t); r.status != http.StatusConflict || code != "version_conflict" {
		t.Errorf("stale If-Match: got %d %s", r.status, r.body)
	}
	r = call(t, srv, alice, "POST", "/tickets/1/actions", `{"action":"resume"}`)
	if code, _ := r.errField(t); r.status != http.StatusConflict || code != "illegal_transition" {
		t.Errorf("illegal transition: got %d %s", r.status, r.body)
	}
	if r := call(t, srv, alice, "POST", "/tickets/1/actions", `{"action":"start","version":2}`); r.status != 200 {
		t.Errorf("start: got %d %s", r.status, r.body)
	}
	if r := call(t, srv, alice, "POST", "/tickets/1/merge", `{"into":2}`); r.status != http.StatusForbidden {
		t.Errorf("agent merge: got %d %s", r.status, r.body)
	}
	if r := call(t, srv, alice, "POST", "/tickets/1/dispatch", `{"action":"merge","into":2}`); r.status != 400 {
		t.Errorf("action mismatch: got %d %s", r.status, r.body)
	}
	if r := call(t, srv, alice, "GET", "/tickets/export.csv", ""); r.status != http.StatusForbidden {
		t.Errorf("agent export: got %d", r.status)
	}
}

func TestCustomerStatusShowsOnlyVisibleFields(t *testing.T) {
	srv := api(t)
	call(t, srv, alice, "POST", "/tickets", draft)
	call(t, srv, alice, "POST", "/tickets/1/claim", "")
	call(t, srv, alice, "POST", "/tickets/1/comments", `{"kind":"internal","body":"客户难缠 internal-secret"}`)
	call(t, srv, alice, "POST", "/tickets/1/comments", `{"kind":"reply","body":"师傅14点上门"}`)
	call(t, srv, bob, "POST", "/tickets/1/urge", `{"body":"催"}`)
	r := call(t, srv, "", "POST", "/public/ticket-status", `{"number":"20261123000001","phone":"+8613900000001"}`)
	if r.status != 200 {
		t.Fatalf("status: got %d %s", r.status, r.body)
	}
	for _, hidden := range []string{"alice", "fault-desk", "internal-secret", "priority", "gold", "assignee", "urges", "sla", "version"} {
		if strings.Contains(r.body, hidden) {
			t.Errorf("customer view shows %q: %s", hidden, r.body)
		}
	}
	if !strings.Contains(r.body, "师傅14点上门") || !strings.Contains(r.body, `"status":"assigned"`) {
		t.Errorf("customer view: %s", r.body)
	}
	if r := call(t, srv, "", "POST", "/public/ticket-status", `{"number":"20261123000001","phone":"13900000002"}`); r.status != http.StatusNotFound {
		t.Errorf("someone else's phone: got %d %s", r.status, r.body)
	}
}

func TestSearchPoolAndExport(t *testing.T) {
	srv := api(t)
	for range 3 {
		call(t, srv, alice, "POST", "/tickets", draft)
	}
	call(t, srv, alice, "POST", "/tickets/2/claim", "")
	r := call(t, srv, alice, "GET", "/tickets?status=pooled&sort=oldest&limit=1", "")
	m := r.json(t)
	if ts := m["tickets"].([]any); r.status != 200 || len(ts) != 1 || ts[0].(map[string]any)["id"] != 1.0 || m["next_offset"] != 1.0 {
		t.Errorf("search: got %d %s", r.status, r.body)
	}
	r = call(t, srv, alice, "GET", "/pools/fault-desk?limit=10", "")
	if ts := r.json(t)["tickets"].([]any); len(ts) != 2 {
		t.Errorf("pool: got %s", r.body)
	}
	if r := call(t, srv, alice, "GET", "/pools/fault-desk?status=closed", ""); r.status != 400 {
		t.Errorf("pool with status: got %d", r.status)
	}
	if r := call(t, srv, bob, "POST", "/tickets/1/watch", ""); r.status != 200 || !strings.Contains(r.body, `"watchers":["bob"]`) {
		t.Errorf("watch: got %d %s", r.status, r.body)
	}
	if r := call(t, srv, bob, "DELETE", "/tickets/1/watch", ""); r.status != 200 || strings.Contains(r.body, `"watchers"`) {
		t.Errorf("unwatch: got %d %s", r.status, r.body)
	}
	r = call(t, srv, sup, "GET", "/tickets/export.csv?type=fault", "")
	if r.status != 200 || !strings.HasPrefix(r.body, "\uFEFFnumber,type") || r.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		strings.Count(r.body, "\r\n") != 4 {
		t.Errorf("export: got %d %v %q", r.status, r.header, r.body)
	}
}

func FuzzCreate(f *testing.F) {
	f.Add(draft)
	f.Add(`{"type":"complaint","category":"x","subject":"s","customer":{"phone":"123"}}`)
	f.Add(`{"tags":["a",""],"customer":{"email":"a@b"}}`)
	f.Add(`[]`)
	srv := api(f)
	f.Fuzz(func(t *testing.T, body string) {
		r := call(t, srv, sup, "POST", "/tickets", body)
		switch {
		case r.status >= 500:
			t.Fatalf("got %d for %q: %s", r.status, body, r.body)
		case r.status == http.StatusCreated:
			var tk ticket.Ticket
			if err := json.Unmarshal([]byte(r.body), &tk); err != nil || !tk.Type.Valid() || tk.Subject == "" {
				t.Fatalf("created an invalid ticket from %q: %s", body, r.body)
			}
		default:
			if code, _ := r.errField(t); code == "" {
				t.Fatalf("error without code for %q: %s", body, r.body)
			}
		}
	})
}

func TestStatusProbesAreLimited(t *testing.T) {
	srv, clock := apiClock(t)
	call(t, srv, alice, "POST", "/tickets", draft)
	good := `{"number":"20261123000001","phone":"13900000001"}`
	for i := range 3 {
		r := call(t, srv, "", "POST", "/public/ticket-status", fmt.Sprintf(`{"number":"20261123000001","phone":"1390000%04d"}`, 9000+i))
		if r.status != http.StatusNotFound {
			t.Fatalf("probe %d: got %d", i, r.status)
		}
	}
	r := call(t, srv, "", "POST", "/public/ticket-status", good)
	if code, _ := r.errField(t); r.status != http.StatusTooManyRequests || code != "rate_limited" || r.header.Get("Retry-After") != "20" {
		t.Fatalf("after 3 failures: got %d %v %s", r.status, r.header, r.body)
	}
	clock.Advance(20 * time.Second) // one failure refilled
	if r := call(t, srv, "", "POST", "/public/ticket-status", good); r.status != 200 {
		t.Errorf("after the wait: got %d %s", r.status, r.body)
	}
}

func FuzzSearchQuery(f *testing.F) {
	for _, q := range []string{"status=pooled,assigned&sort=urgency&limit=5", "q=%25_%5C&open=true", "from=2026-11-23T00:00:00Z&to=2026-11-22T00:00:00Z",
		"limit=-1", "visit_due=x", "status=&type=&&&", "group=%00"} {
		f.Add(q)
	}
	srv := api(f)
	call(f, srv, alice, "POST", "/tickets", draft)
	f.Fuzz(func(t *testing.T, q string) {
		for _, path := range []string{"/tickets?", "/pools/fault-desk?", "/tickets/export.csv?"} {
			req, err := http.NewRequest("GET", srv.URL+"/api/v1"+path+q, nil)
			if err != nil {
				return // not a URL the client can send
			}
			req.Header.Set("X-Actor", sup)
			res, err := srv.Client().Do(req)
			if err != nil {
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode >= 500 {
				t.Fatalf("%s%s: got %d %s", path, q, res.StatusCode, b)
			}
		}
	})
}

func FuzzStatusCheck(f *testing.F) {
	f.Add(`{"number":"20261123000001","phone":"13900000001"}`)
	f.Add(`{"number":"20261123000001","phone":"+86 139"}`)
	f.Add(`{"number":20261123000001}`)
	srv, clock := apiClock(f)
	call(f, srv, alice, "POST", "/tickets", draft)
	f.Fuzz(func(t *testing.T, body string) {
		clock.Advance(time.Hour) // keep the probe limit out of the way
		r := call(t, srv, "", "POST", "/public/ticket-status", body)
		switch {
		case r.status >= 500:
			t.Fatalf("got %d for %q", r.status, body)
		case r.status == 200 && (strings.Contains(r.body, "fault-desk") || strings.Contains(r.body, "alice")):
			t.Fatalf("staff fields in the customer view for %q: %s", body, r.body)
		}
	})
}

// Regression (issue 9): agents created tickets already dispatched to any
// group and person, even ones that do not exist.
func TestCreateDispatchFields(t *testing.T) {
	srv := api(t)
	with := func(fields string) string {
		return strings.Replace(draft, `"channel":"phone"`, `"channel":"phone",`+fields, 1)
	}
	cases := []struct {
		name, actor, fields string
		status              int
		field               string
	}{
		{"agent picks a group", alice, `"group":"billing"`, 403, "group"},
		{"agent picks a person", alice, `"group":"fault-desk","assignee":"alice"`, 403, "group"},
		{"system picks a group", "api:eoms system", `"group":"billing"`, 403, "group"},
		{"lead outside its groups", "lead1 lead fault-desk", `"group":"billing"`, 403, "group"},
		{"unknown group", sup, `"group":"nowhere"`, 400, "group"},
		{"unknown person", sup, `"group":"billing","assignee":"mallory"`, 400, "assignee"},
		{"lead in its group", "lead1 lead fault-desk", `"group":"fault-desk","assignee":"bob"`, 201, ""},
		{"supervisor by login", sup, `"group":"billing","assignee":"login.carol"`, 201, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := call(t, srv, c.actor, "POST", "/tickets", with(c.fields))
			if r.status != c.status {
				t.Fatalf("got %d %s, want %d", r.status, r.body, c.status)
			}
			if c.status >= 400 {
				if _, f := r.errField(t); f != c.field {
					t.Errorf("error names field %q, want %q: %s", f, c.field, r.body)
				}
			}
		})
	}
	// The person is stored by id, whatever the caller typed.
	r := call(t, srv, sup, "GET", "/tickets?assignee=carol", "")
	if ts := r.json(t)["tickets"].([]any); len(ts) != 1 || ts[0].(map[string]any)["status"] != "assigned" {
		t.Errorf("dispatched by login: %s", r.body)
	}
	// The dispatch action checks its targets too.
	call(t, srv, alice, "POST", "/tickets", draft)
	if r := call(t, srv, sup, "POST", "/tickets/3/dispatch", `{"group":"nowhere"}`); r.status != 400 {
		t.Errorf("dispatch to an unknown group: got %d %s", r.status, r.body)
	}
	if r := call(t, srv, sup, "POST", "/tickets/3/dispatch", `{"group":"billing","assignee":"mallory"}`); r.status != 400 {
		t.Errorf("dispatch to an unknown person: got %d %s", r.status, r.body)
	}
}

// Regression (issue 9): GET /tickets/{number} as documented, the absolute
// Location, permission before version, and API keys may watch.
func TestTicketAPIAsDocumented(t *testing.T) {
	srv := api(t)
	r := call(t, srv, alice, "POST", "/tickets", draft)
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "http://") {
		t.Fatalf("Location %q is not absolute", loc)
	}
	req, _ := http.NewRequest("GET", loc, nil)
	req.Header.Set("X-Actor", bob)
	res, err := srv.Client().Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET Location: %v %v", res, err)
	}
	res.Body.Close()
	g := call(t, srv, bob, "GET", "/tickets/20261123000001", "")
	if tk, _ := g.json(t)["ticket"].(map[string]any); g.status != 200 || tk["id"] != 1.0 {
		t.Errorf("by number: got %d %s", g.status, g.body)
	}
	if r := call(t, srv, bob, "GET", "/tickets/20261123000099", ""); r.status != 404 {
		t.Errorf("unknown number: got %d %s", r.status, r.body)
	}
	if r := call(t, srv, bob, "POST", "/tickets/20261123000001/claim", ""); r.status != 200 {
		t.Errorf("claim by number: got %d %s", r.status, r.body)
	}
	// An agent may not dispatch: 403, whatever version it sends.
	if r := call(t, srv, alice, "POST", "/tickets/1/dispatch", `{"group":"billing"}`, "If-Match", `"1"`); r.status != http.StatusForbidden {
		t.Errorf("agent dispatch with a stale version: got %d %s, want 403", r.status, r.body)
	}
	// docs/tickets.md: systems may do everything except dispatch and merge.
	if r := call(t, srv, "api:eoms system", "POST", "/tickets/1/watch", ""); r.status != 200 || !strings.Contains(r.body, "api:eoms") {
		t.Errorf("system watch: got %d %s", r.status, r.body)
	}
	if r := call(t, srv, "api:eoms system", "POST", "/tickets/1/comments", `{"kind":"internal","body":"eoms ref 42"}`); r.status != 201 {
		t.Errorf("system comment: got %d %s", r.status, r.body)
	}
	if r := call(t, srv, "api:eoms system", "POST", "/tickets/1/merge", `{"into":1}`); r.status != 403 {
		t.Errorf("system merge: got %d %s", r.status, r.body)
	}
	if r := call(t, srv, "api:eoms system", "GET", "/tickets/export.csv", ""); r.status != 200 {
		t.Errorf("system export: got %d %s", r.status, r.body)
	}
}

// Regression (issue 9): the public status lookup must answer a wrong phone
// and an unknown number alike — status, headers and body — so numbers
// cannot be probed.
func TestStatusWrongPhoneLikeUnknownNumber(t *testing.T) {
	srv := api(t)
	call(t, srv, alice, "POST", "/tickets", draft)
	wrongPhone := call(t, srv, "", "POST", "/public/ticket-status", `{"number":"20261123000001","phone":"13900000002"}`)
	unknown := call(t, srv, "", "POST", "/public/ticket-status", `{"number":"20261123000077","phone":"13900000002"}`)
	for _, r := range []reply{wrongPhone, unknown} {
		r.header.Del("Date")
	}
	if wrongPhone.status != unknown.status || wrongPhone.body != unknown.body || fmt.Sprint(wrongPhone.header) != fmt.Sprint(unknown.header) {
		t.Fatalf("wrong phone: %d %v %s\nunknown number: %d %v %s", wrongPhone.status, wrongPhone.header, wrongPhone.body,
			unknown.status, unknown.header, unknown.body)
	}
}
