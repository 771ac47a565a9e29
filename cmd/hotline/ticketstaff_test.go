package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

// Regression (issue 9): the desk named agents by id and the REST API by
// login, so a ticket dispatched over REST never showed on the desk and one
// claimed on the desk was forbidden over REST. Tickets carry the agent's
// id everywhere; a login is mapped to it at the API's edge.
func TestOneAgentIdentityOnDeskAndREST(t *testing.T) {
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open")
	waitReady(t, r.base)
	call := func(token, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, r.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	// The pages may be framed by the center's own site only (issue 9).
	for _, page := range []string{"/desk/", "/board/", "/chat/"} {
		resp, err := client.Get(r.base + page)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !slices.Contains(resp.Header.Values("Content-Security-Policy"), "frame-ancestors 'self'") {
			t.Errorf("%s: Content-Security-Policy %q, want frame-ancestors 'self'", page, resp.Header.Values("Content-Security-Policy"))
		}
		for _, v := range resp.Header.Values("Content-Security-Policy") {
			if strings.Contains(v, "frame-ancestors *") {
				t.Errorf("%s: a policy still lets any site frame the page: %q", page, v)
			}
		}
	}
	sup, agent := r.login(t, "sun.li"), r.login(t, "li.qiang")
	draft := func(subject, extra string) string {
		return fmt.Sprintf(`{"type":"fault","category":"broadband","subject":%q,"customer":{"phone":"13300000004"}%s}`, subject, extra)
	}

	// Dispatch fields name existing targets (4xx naming the field) and
	// take the dispatch permission.
	if code, out := call(sup, "POST", "/api/v1/tickets", draft("x", `,"group":"nowhere"`)); code != 400 || fmt.Sprint(out["error"]) == "" ||
		out["error"].(map[string]any)["field"] != "group" {
		t.Fatalf("unknown group: %d %v", code, out)
	}
	if code, out := call(sup, "POST", "/api/v1/tickets", draft("x", `,"group":"fault-desk","assignee":"nobody.here"`)); code != 400 ||
		out["error"].(map[string]any)["field"] != "assignee" {
		t.Fatalf("unknown assignee: %d %v", code, out)
	}
	if code, out := call(agent, "POST", "/api/v1/tickets", draft("x", `,"group":"fault-desk"`)); code != 403 ||
		out["error"].(map[string]any)["field"] != "group" {
		t.Fatalf("agent dispatching at creation: %d %v", code, out)
	}

	// A supervisor dispatches over REST, naming the agent by login...
	code, created := call(sup, "POST", "/api/v1/tickets", draft("REST派单", `,"group":"fault-desk","assignee":"li.qiang"`))
	if code != 201 || created["status"] != "assigned" {
		t.Fatalf("create dispatched: %d %v", code, created)
	}
	_, me := call(agent, "GET", "/api/v1/auth/me", "")
	if created["assignee"] != me["agent_id"] {
		t.Fatalf("assignee %v, want li.qiang's id %v", created["assignee"], me["agent_id"])
	}
	// ...and the agent sees it among his tickets on the desk.
	const wait = 10 * time.Second
	desk, _, err := deskttest.Dial(context.Background(), r.base, "/ws/desk", agentdesk.DeskProtocol, agent)
	if err != nil {
		t.Fatal(err)
	}
	defer desk.Close()
	if _, err := desk.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	raw, err := desk.Do("ticket.mine", nil, wait)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "REST派单") {
		t.Fatalf("desk's ticket.mine %s, want the ticket dispatched over REST", raw)
	}

	// A ticket claimed on the desk is worked over REST.
	code, pooled := call(sup, "POST", "/api/v1/tickets", draft("桌面认领", ""))
	if code != 201 || pooled["status"] != "pooled" {
		t.Fatalf("create pooled: %d %v", code, pooled)
	}
	if _, err := desk.Do("ticket.act", map[string]any{"id": pooled["id"], "command": map[string]any{"action": "claim"}}, wait); err != nil {
		t.Fatalf("claim on the desk: %v", err)
	}
	code, started := call(agent, "POST", fmt.Sprintf("/api/v1/tickets/%v/actions", pooled["id"]), `{"action":"start"}`)
	if code != 200 || started["status"] != "in_progress" {
		t.Fatalf("start over REST after a desk claim: %d %v", code, started)
	}
	code, found := call(agent, "GET", "/api/v1/tickets?assignee=li.qiang&open=true", "")
	if code != 200 || len(found["tickets"].([]any)) != 2 {
		t.Fatalf("search by login: %d %v", code, found)
	}
}
