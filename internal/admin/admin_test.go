package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/admin"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/calendar"
	"github.com/hotline10000/hotline/internal/pgtest"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var t0 = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// env is an administration API over one store backend, with an admin, two
// supervisors (teams north and south) and agents of each team logged in.
type env struct {
	t           *testing.T
	st          *store.Store
	api         *admin.API
	srv         *httptest.Server
	tokens      map[string]string // login → bearer token
	ids         map[string]string // login → agent id
	cals        *calendar.Set     // the node's administered calendars
	mu          sync.Mutex
	calsChanged []string // names CalendarChanged was called with
	flows       *nodeFlows
}

var backends = []struct {
	name string
	open func(testing.TB) *store.Store
}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}}

func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, newEnv(t, b.open(t))) })
	}
}

func newEnv(t *testing.T, st *store.Store) *env {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return t0 }
	authz := auth.NewService(st, auth.Options{IdleTimeout: time.Hour, MaxAge: 24 * time.Hour, PasswordMinLength: 8,
		Hash: auth.FastHashParams, Now: now})
	e := &env{t: t, st: st, tokens: map[string]string{}, ids: map[string]string{}, cals: calendar.NewSet(), flows: &nodeFlows{}}
	api := admin.New(admin.Options{Store: st, Hasher: authz.Hasher(), PasswordMinLength: 8, Revoke: authz.RevokeAgent, Now: now, Flows: e.flows,
		Calendars: e.cals, CalendarChanged: func(_ context.Context, name string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.calsChanged = append(e.calsChanged, name)
		}})
	mux := http.NewServeMux()
	authz.Routes(mux, 1<<20)
	api.Routes(mux, authz)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.api, e.srv = api, srv
	for _, s := range []string{"general", "billing", "broadband"} {
		if err := st.UpsertSkill(ctx, store.Skill{Name: s}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []struct {
		login string
		role  auth.Role
		teams []string
	}{
		{"root", auth.RoleAdmin, nil},
		{"sup.north", auth.RoleSupervisor, []string{"north"}},
		{"sup.south", auth.RoleSupervisor, []string{"south"}},
		{"ann", auth.RoleAgent, []string{"north"}},
		{"bob", auth.RoleAgent, []string{"south"}},
	} {
		ag, err := authz.CreateAgent(ctx, a.login, a.login, a.role, "password-"+a.login)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetAgentTeams(ctx, ag.ID, a.teams); err != nil {
			t.Fatal(err)
		}
		tok, _, _, err := authz.Login(ctx, a.login, "password-"+a.login, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[a.login], e.ids[a.login] = tok, ag.ID
	}
	return e
}

// answer is a decoded response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (a answer) errField() string {
	if e, ok := a.body["error"].(map[string]any); ok {
		f, _ := e["field"].(string)
		return f
	}
	return ""
}

func (a answer) errCode() string {
	if e, ok := a.body["error"].(map[string]any); ok {
		c, _ := e["code"].(string)
		return c
	}
	return ""
}

// do sends a request as login ("" for none) with body (JSON-encoded unless
// a string or nil) and headers given as name, value pairs.
func (e *env) do(login, method, path string, body any, headers ...string) answer {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if login != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[login])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func (e *env) must(a answer, status int) answer {
	e.t.Helper()
	if a.status != status {
		e.t.Fatalf("status %d, want %d: %s", a.status, status, a.raw)
	}
	return a
}

func TestAgentCreateEditStaleAndReplay(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		body := map[string]any{"login": "carol", "display_name": "Carol", "role": "agent", "password": "long-enough",
			"teams": []string{"north"}, "skills": []map[string]any{{"skill": "billing", "proficiency": 7}}}
		a := e.must(e.do("root", "POST", "/api/v1/admin/agents", body, "Idempotency-Key", "k-1"), http.StatusCreated)
		id, _ := a.body["id"].(string)
		if a.header.Get("ETag") != `"1"` {
			t.Fatalf("ETag %q, want \"1\"", a.header.Get("ETag"))
		}
		// The same key again: the same agent, not a second one or a 409.
		again := e.must(e.do("root", "POST", "/api/v1/admin/agents", body, "Idempotency-Key", "k-1"), http.StatusOK)
		if again.body["id"] != id {
			t.Fatalf("replay made %v, want %v", again.body["id"], id)
		}
		// Without a key the login clashes.
		dup := e.do("root", "POST", "/api/v1/admin/agents", body)
		if dup.status != http.StatusConflict || dup.errField() != "login" {
			t.Fatalf("duplicate login: %d %s", dup.status, dup.raw)
		}

		ed := e.must(e.do("root", "PATCH", "/api/v1/admin/agents/"+id, map[string]any{"display_name": "Carol Li", "teams": []string{"north", "vip"}},
			"If-Match", `"1"`), http.StatusOK)
		if ed.header.Get("ETag") != `"2"` || ed.body["display_name"] != "Carol Li" {
			t.Fatalf("edit: %s %s", ed.header.Get("ETag"), ed.raw)
		}
		stale := e.do("root", "PATCH", "/api/v1/admin/agents/"+id, map[string]any{"display_name": "Late"}, "If-Match", `"1"`)
		if stale.status != http.StatusConflict || stale.errField() != "If-Match" {
			t.Fatalf("stale edit: %d %s", stale.status, stale.raw)
		}
		got := e.must(e.do("root", "GET", "/api/v1/admin/agents/"+id, nil), http.StatusOK)
		if got.body["display_name"] != "Carol Li" {
			t.Fatalf("stale edit applied: %s", got.raw)
		}

		// Every change is in the trail, with before and after.
		tr := e.must(e.do("root", "GET", "/api/v1/admin/audit?subject_kind=agent&subject_id="+id, nil), http.StatusOK)
		recs, _ := tr.body["records"].([]any)
		if len(recs) != 2 {
			t.Fatalf("audit records %d, want 2: %s", len(recs), tr.raw)
		}
		last := recs[0].(map[string]any)
		if last["action"] != "admin.agent.update" || last["actor"] != e.ids["root"] || last["before"] == nil || last["after"] == nil {
			t.Fatalf("audit record: %v", last)
		}

		list := e.must(e.do("sup.north", "GET", "/api/v1/admin/agents?limit=2", nil), http.StatusOK)
		if ags, _ := list.body["agents"].([]any); len(ags) != 2 || list.body["next"] == "" {
			t.Fatalf("page: %s", list.raw)
		}
		next := e.must(e.do("sup.north", "GET", "/api/v1/admin/agents?limit=500&after="+list.body["next"].(string), nil), http.StatusOK)
		if ags, _ := next.body["agents"].([]any); len(ags) != 4 || next.body["next"] != nil {
			t.Fatalf("second page: %s", next.raw)
		}
	})
}

func TestAgentInvalidFields(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ok := map[string]any{"login": "dave", "display_name": "Dave", "role": "agent", "password": "long-enough"}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for k, v := range ok {
				m[k] = v
			}
			m[k] = v
			return m
		}
		for _, c := range []struct {
			name  string
			body  any
			field string
		}{
			{"login", with("login", "no spaces"), "login"},
			{"name", with("display_name", " "), "display_name"},
			{"role", with("role", "boss"), "role"},
			{"password", with("password", "short"), "password"},
			{"team", with("teams", []string{"north", "north"}), "teams[1]"},
			{"unknown skill", with("skills", []map[string]any{{"skill": "astrology", "proficiency": 3}}), "skills[0].skill"},
			{"proficiency", with("skills", []map[string]any{{"skill": "billing", "proficiency": 11}}), "skills[0].proficiency"},
			{"type", with("role", 3), "role"},
		} {
			t.Run(c.name, func(t *testing.T) {
				a := e.do("root", "POST", "/api/v1/admin/agents", c.body)
				if a.status != http.StatusBadRequest || a.errField() != c.field {
					t.Fatalf("got %d field %q, want 400 field %q: %s", a.status, a.errField(), c.field, a.raw)
				}
			})
		}
		bad := e.do("root", "PATCH", "/api/v1/admin/agents/"+e.ids["ann"], map[string]any{"display_name": "x"}, "If-Match", "abc")
		if bad.status != http.StatusBadRequest || bad.errField() != "If-Match" {
			t.Fatalf("bad If-Match: %d %s", bad.status, bad.raw)
		}
		if a := e.do("root", "PATCH", "/api/v1/admin/agents/nobody", map[string]any{"display_name": "x"}); a.status != http.StatusNotFound {
			t.Fatalf("unknown agent: %d %s", a.status, a.raw)
		}
		if a := e.do("root", "PATCH", "/api/v1/admin/agents/"+e.ids["root"], map[string]any{"disabled": true}); a.errField() != "disabled" {
			t.Fatalf("disabling oneself: %d %s", a.status, a.raw)
		}
	})
}

func TestAgentRoleBoundaries(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		skills := map[string]any{"skills": []map[string]any{{"skill": "billing", "proficiency": 5}}}
		// An agent: 403 on every admin route.
		for _, r := range []struct{ method, path string }{
			{"GET", "/api/v1/admin/agents"}, {"POST", "/api/v1/admin/agents"}, {"GET", "/api/v1/admin/agents/" + e.ids["bob"]},
			{"PATCH", "/api/v1/admin/agents/" + e.ids["ann"]}, {"POST", "/api/v1/admin/agents/" + e.ids["bob"] + "/password"},
			{"GET", "/api/v1/admin/skills"}, {"PUT", "/api/v1/admin/skills/x"}, {"GET", "/api/v1/admin/audit"},
		} {
			if a := e.do("ann", r.method, r.path, skills); a.status != http.StatusForbidden {
				t.Errorf("agent %s %s: %d, want 403", r.method, r.path, a.status)
			}
			if a := e.do("", r.method, r.path, skills); a.status != http.StatusUnauthorized {
				t.Errorf("anonymous %s %s: %d, want 401", r.method, r.path, a.status)
			}
		}
		// A supervisor: skills of their own team's agents only.
		e.must(e.do("sup.north", "PATCH", "/api/v1/admin/agents/"+e.ids["ann"], skills), http.StatusOK)
		if a := e.do("sup.north", "PATCH", "/api/v1/admin/agents/"+e.ids["bob"], skills); a.status != http.StatusForbidden {
			t.Fatalf("supervisor on another team: %d %s", a.status, a.raw)
		}
		if a := e.do("sup.north", "PATCH", "/api/v1/admin/agents/"+e.ids["ann"], map[string]any{"role": "admin"}); a.status != http.StatusForbidden {
			t.Fatalf("supervisor changing a role: %d %s", a.status, a.raw)
		}
		if a := e.do("sup.north", "POST", "/api/v1/admin/agents", map[string]any{}); a.status != http.StatusForbidden {
			t.Fatalf("supervisor creating an agent: %d", a.status)
		}
		if a := e.do("sup.north", "PUT", "/api/v1/admin/skills/x", map[string]any{}); a.status != http.StatusForbidden {
			t.Fatalf("supervisor creating a skill: %d", a.status)
		}
	})
}

func TestDisableAndPasswordResetEndSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.must(e.do("root", "POST", "/api/v1/admin/agents/"+e.ids["bob"]+"/password", map[string]any{"password": "brand-new-pw"}), http.StatusOK)
		if a := e.do("bob", "GET", "/api/v1/auth/me", nil); a.status != http.StatusUnauthorized {
			t.Fatalf("bob's session after a reset: %d", a.status)
		}
		e.must(e.do("root", "PATCH", "/api/v1/admin/agents/"+e.ids["ann"], map[string]any{"disabled": true}), http.StatusOK)
		if a := e.do("ann", "GET", "/api/v1/auth/me", nil); a.status != http.StatusUnauthorized && a.status != http.StatusForbidden {
			t.Fatalf("ann's session after disabling: %d", a.status)
		}
		tr := e.must(e.do("root", "GET", "/api/v1/admin/audit?action=admin.agent.password_reset", nil), http.StatusOK)
		if strings.Contains(string(tr.raw), "brand-new-pw") || len(tr.body["records"].([]any)) != 1 {
			t.Fatalf("password reset audit: %s", tr.raw)
		}
	})
}

// routerACD runs an acd.Router synchronously for the API (acd.Engine's
// methods, without its goroutine).
type routerACD struct {
	mu     sync.Mutex
	r      *acd.Router
	logged []string // the agents Agents reports
}

func (x *routerACD) Skills(context.Context) ([]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.r.Skills(), nil
}

func (x *routerACD) SetSkills(_ context.Context, by, agentID string, skills map[string]int) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.r.SetSkills(t0, by, agentID, skills)
}

// A logged-in agent whose skills change gets the next offer by the new
// skills, at once.
func TestSkillsApplyToALoggedInAgent(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	r, err := acd.NewRouter(acd.DefaultConfig(), []acd.Queue{
		{ID: "general", Channel: acd.Chat, Skills: []acd.Requirement{{Skill: "general", Min: 1}}},
		{ID: "billing", Channel: acd.Chat, JoinEmpty: true, Skills: []acd.Requirement{{Skill: "billing", Min: 5}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	x := &routerACD{r: r}
	e.api.SetRouting(x)
	ann := e.ids["ann"]
	if err := r.Login(t0, acd.AgentSpec{ID: ann, Skills: map[string]int{"general": 5}}); err != nil {
		t.Fatal(err)
	}
	if err := r.SetReady(t0, ann); err != nil {
		t.Fatal(err)
	}
	if err := r.Enqueue(t0, acd.ContactSpec{ID: "c1", Queue: "billing", Channel: acd.Chat}); err != nil {
		t.Fatal(err)
	}
	if st, _ := r.Agent(ann); st.Offer != "" {
		t.Fatalf("offered %q before having the skill", st.Offer)
	}
	e.must(e.do("sup.north", "PATCH", "/api/v1/admin/agents/"+ann,
		map[string]any{"skills": []map[string]any{{"skill": "general", "proficiency": 5}, {"skill": "billing", "proficiency": 6}, {"skill": "broadband", "proficiency": 2}}}), http.StatusOK)
	st, err := r.Agent(ann)
	if err != nil {
		t.Fatal(err)
	}
	if st.Offer != "c1" {
		t.Fatalf("offer %q after the skill change, want c1", st.Offer)
	}
	// broadband is no queue's skill: stored, not given to the router.
	if _, ok := st.Skills["broadband"]; ok || st.Skills["billing"] != 6 {
		t.Fatalf("router skills %v", st.Skills)
	}
}

func (x *routerACD) SetQueue(_ context.Context, q acd.Queue) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.r.SetQueue(t0, q)
}

func (x *routerACD) RemoveQueue(_ context.Context, id string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.r.RemoveQueue(t0, id)
}

func (x *routerACD) Agents(context.Context) ([]acd.AgentStatus, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.agents(), nil
}

func (x *routerACD) agents() []acd.AgentStatus {
	var out []acd.AgentStatus
	for _, id := range x.logged {
		if st, err := x.r.Agent(id); err == nil {
			out = append(out, st)
		}
	}
	return out
}

func queueBody(id string, mutate ...func(m map[string]any)) map[string]any {
	m := map[string]any{"id": id, "name": "Queue " + id, "channel": "chat",
		"skills":               []map[string]any{{"skill": "billing", "min_proficiency": 3}},
		"sl_threshold_seconds": 20, "sl_target_percent": 80, "max_wait_seconds": 300}
	for _, f := range mutate {
		f(m)
	}
	return m
}

func TestQueueCreateReplaceStaleAndInvalid(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a := e.must(e.do("root", "POST", "/api/v1/admin/queues", queueBody("promo"), "Idempotency-Key", "q-1"), http.StatusCreated)
		if a.header.Get("ETag") != `"1"` || a.body["on_max_wait"] != nil && a.body["on_max_wait"] != "" {
			t.Fatalf("created: %s %s", a.header.Get("ETag"), a.raw)
		}
		if got := a.warnings(); got != "no_agent_has_skills@skills" {
			t.Fatalf("a queue nobody can serve is not warned about (%q): %s", got, a.raw)
		}
		e.must(e.do("root", "POST", "/api/v1/admin/queues", queueBody("promo"), "Idempotency-Key", "q-1"), http.StatusOK)
		if d := e.do("root", "POST", "/api/v1/admin/queues", queueBody("promo")); d.status != http.StatusConflict || d.errField() != "id" {
			t.Fatalf("duplicate id: %d %s", d.status, d.raw)
		}
		e.must(e.do("root", "PUT", "/api/v1/admin/queues/promo", queueBody("promo", func(m map[string]any) {
			m["steps"] = []map[string]any{{"after_seconds": 30, "min_proficiency": 2}}
			m["weight"] = 10
		}), "If-Match", `"1"`), http.StatusOK)
		if s := e.do("root", "PUT", "/api/v1/admin/queues/promo", queueBody("promo"), "If-Match", `"1"`); s.status != http.StatusConflict || s.errField() != "If-Match" {
			t.Fatalf("stale replace: %d %s", s.status, s.raw)
		}
		got := e.must(e.do("sup.north", "GET", "/api/v1/admin/queues/promo", nil), http.StatusOK)
		if got.body["weight"] != float64(10) || len(got.body["steps"].([]any)) != 1 {
			t.Fatalf("stored: %s", got.raw)
		}
		e.must(e.do("root", "POST", "/api/v1/admin/queues", queueBody("spill", func(m map[string]any) {
			m["on_max_wait"], m["overflow_to"] = "overflow", "promo"
		})), http.StatusCreated)

		for _, c := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"id", queueBody("Bad Id"), "id"},
			{"channel", queueBody("x", func(m map[string]any) { m["channel"] = "fax" }), "channel"},
			{"no skills", queueBody("x", func(m map[string]any) { m["skills"] = []any{} }), "skills"},
			{"unknown skill", queueBody("x", func(m map[string]any) { m["skills"] = []map[string]any{{"skill": "tarot", "min_proficiency": 1}} }), "skills[0].skill"},
			{"proficiency", queueBody("x", func(m map[string]any) { m["skills"] = []map[string]any{{"skill": "billing", "min_proficiency": 0}} }), "skills[0].min_proficiency"},
			{"target", queueBody("x", func(m map[string]any) { m["sl_target_percent"] = 101 }), "sl_target_percent"},
			{"action", queueBody("x", func(m map[string]any) { m["on_max_wait"] = "explode" }), "on_max_wait"},
			{"overflow target", queueBody("x", func(m map[string]any) { m["on_max_wait"], m["overflow_to"] = "overflow", "nowhere" }), "overflow_to"},
			{"steps", queueBody("x", func(m map[string]any) {
				m["steps"] = []map[string]any{{"after_seconds": 60, "min_proficiency": 2}, {"after_seconds": 30, "min_proficiency": 1}}
			}), "steps[1].after_seconds"},
		} {
			t.Run(c.name, func(t *testing.T) {
				a := e.do("root", "POST", "/api/v1/admin/queues", c.body)
				if a.status != http.StatusBadRequest || a.errField() != c.field {
					t.Fatalf("got %d field %q, want 400 field %q: %s", a.status, a.errField(), c.field, a.raw)
				}
			})
		}
		// promo → spill → promo would send contacts round in circles.
		cyc := e.do("root", "PUT", "/api/v1/admin/queues/promo", queueBody("promo", func(m map[string]any) {
			m["on_max_wait"], m["overflow_to"] = "overflow", "spill"
		}))
		if cyc.status != http.StatusBadRequest || cyc.errField() != "overflow_to" || !strings.Contains(string(cyc.raw), "cycle") {
			t.Fatalf("overflow cycle: %d %s", cyc.status, cyc.raw)
		}
		if d := e.do("root", "DELETE", "/api/v1/admin/queues/promo", nil); d.status != http.StatusConflict {
			t.Fatalf("deleting an overflow target: %d %s", d.status, d.raw)
		}
		e.must(e.do("root", "DELETE", "/api/v1/admin/queues/spill", nil), http.StatusNoContent)
		e.must(e.do("root", "GET", "/api/v1/admin/queues/spill", nil), http.StatusNotFound)
		tr := e.must(e.do("root", "GET", "/api/v1/admin/audit?subject_kind=queue&subject_id=promo", nil), http.StatusOK)
		if recs, _ := tr.body["records"].([]any); len(recs) != 2 {
			t.Fatalf("queue audit: %s", tr.raw)
		}
		for _, r := range []struct{ method, path string }{
			{"POST", "/api/v1/admin/queues"}, {"PUT", "/api/v1/admin/queues/promo"}, {"DELETE", "/api/v1/admin/queues/promo"},
		} {
			if a := e.do("sup.north", r.method, r.path, queueBody("promo")); a.status != http.StatusForbidden {
				t.Errorf("supervisor %s %s: %d, want 403", r.method, r.path, a.status)
			}
		}
		if a := e.do("ann", "GET", "/api/v1/admin/queues", nil); a.status != http.StatusForbidden {
			t.Errorf("agent listing queues: %d", a.status)
		}
	})
}

// A queue created while an agent is logged in routes to that agent at once,
// with a skill no queue used when the agent logged in; a queue with a
// contact in it is not deleted.
func TestQueueAppliedLive(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r, err := acd.NewRouter(acd.DefaultConfig(), []acd.Queue{{ID: "general", Channel: acd.Chat, Skills: []acd.Requirement{{Skill: "general", Min: 1}}}})
		if err != nil {
			t.Fatal(err)
		}
		ann := e.ids["ann"]
		x := &routerACD{r: r, logged: []string{ann}}
		e.api.SetRouting(x)
		if err := e.st.SetAgentSkills(ctx, ann, []store.AgentSkill{{Skill: "general", Proficiency: 5}, {Skill: "billing", Proficiency: 7}}); err != nil {
			t.Fatal(err)
		}
		// Logged in as the desk does: with the skills routing knows.
		if err := r.Login(t0, acd.AgentSpec{ID: ann, Skills: map[string]int{"general": 5}}); err != nil {
			t.Fatal(err)
		}
		if err := r.SetReady(t0, ann); err != nil {
			t.Fatal(err)
		}
		a := e.must(e.do("root", "POST", "/api/v1/admin/queues", queueBody("promo")), http.StatusCreated)
		if w := a.body["warnings"]; w != nil {
			t.Fatalf("warned although ann can serve it: %v", w)
		}
		if err := r.Enqueue(t0, acd.ContactSpec{ID: "c1", Queue: "promo"}); err != nil {
			t.Fatal(err)
		}
		if st, _ := r.Agent(ann); st.Offer != "c1" {
			t.Fatalf("offer %q, want c1 from the new queue", st.Offer)
		}
		d := e.do("root", "DELETE", "/api/v1/admin/queues/promo", nil)
		if d.status != http.StatusConflict || d.errField() != "id" {
			t.Fatalf("deleting a queue with a contact: %d %s", d.status, d.raw)
		}
		e.must(e.do("root", "GET", "/api/v1/admin/queues/promo", nil), http.StatusOK)
		// A channel change while the contact is there is refused as a whole.
		ch := e.do("root", "PUT", "/api/v1/admin/queues/promo", queueBody("promo", func(m map[string]any) { m["channel"] = "voice" }))
		if ch.status != http.StatusConflict || ch.errField() != "channel" {
			t.Fatalf("channel change: %d %s", ch.status, ch.raw)
		}
		if got := e.must(e.do("root", "GET", "/api/v1/admin/queues/promo", nil), http.StatusOK); got.body["channel"] != "chat" || got.header.Get("ETag") != `"1"` {
			t.Fatalf("refused change stored: %s", got.raw)
		}
	})
}

// Role boundaries on every route the package registers (read from its
// source, so a new route is covered the day it is added): no credentials
// get 401; an agent 403 on every administration route; a supervisor 403 on
// every route that needs the administrator's permissions (configure,
// agents.manage). What a supervisor may do is limited to their teams by
// the resources' own tests (agents, announcements).
func TestEveryRouteRoleBoundaries(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	type route struct{ perm, method, path string }
	var routes []route
	re := regexp.MustCompile(`mux\.Handle\("([A-Z]+) ([^"]+)", h\(auth\.(Perm[A-Za-z]+)`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			routes = append(routes, route{perm: m[3], method: m[1], path: regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(m[2], "x")})
		}
	}
	if len(routes) < 40 {
		t.Fatalf("found %d routes in the source: the pattern no longer matches how routes are registered", len(routes))
	}
	eachBackend(t, func(t *testing.T, e *env) {
		for _, r := range routes {
			if a := e.do("", r.method, r.path, map[string]any{}); a.status != http.StatusUnauthorized {
				t.Errorf("anonymous %s %s: %d, want 401", r.method, r.path, a.status)
			}
			if r.perm != "PermDesk" {
				if a := e.do("ann", r.method, r.path, map[string]any{}); a.status != http.StatusForbidden {
					t.Errorf("agent %s %s: %d, want 403", r.method, r.path, a.status)
				}
			}
			if r.perm == "PermConfigure" || r.perm == "PermAgentsManage" {
				if a := e.do("sup.north", r.method, r.path, map[string]any{}); a.status != http.StatusForbidden {
					t.Errorf("supervisor %s %s: %d, want 403", r.method, r.path, a.status)
				}
			}
		}
	})
}
