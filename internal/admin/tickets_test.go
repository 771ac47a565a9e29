package admin_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/admin"
)

// fakeTickets is a ticket desk validating as the node's does (the
// settings file's rules) and recording what it was given.
type fakeTickets struct {
	mu      sync.Mutex
	applied []*admin.TicketSettings
}

func (f *fakeTickets) FileSettings() admin.TicketSettings {
	return admin.TicketSettings{Rules: []ticket.Rule{{Name: "file rule", Group: "service-desk"}},
		SLA: ticket.SLAConfig{Policies: []ticket.Policy{{Name: "default", FirstResponse: 4 * time.Hour, Resolution: 24 * time.Hour}}}}
}

func (f *fakeTickets) Check(s admin.TicketSettings) error {
	set := ticket.DefaultSettings()
	set.Rules, set.SLA, set.Templates = s.Rules, s.SLA, s.Templates
	_, err := set.Config(nil, nil)
	return err
}

func (f *fakeTickets) Apply(_ context.Context, s *admin.TicketSettings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, s)
	return nil
}

func (f *fakeTickets) last() *admin.TicketSettings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied[len(f.applied)-1]
}

func ticketBody() map[string]any {
	return map[string]any{
		"groups":     []map[string]any{{"name": "fault-desk", "lead": "sup.north", "members": []string{"ann"}}, {"name": "vip-desk", "lead": "sup.south", "members": []string{"bob"}}},
		"categories": []string{"broadband", "billing"},
		"rules":      []map[string]any{{"name": "faults", "type": "fault", "group": "fault-desk"}},
		"sla": map[string]any{"warn_at": []float64{0.75},
			"policies":   []map[string]any{{"name": "faults", "type": "fault", "first_response": "1h", "resolution": "8h"}},
			"escalation": []map[string]any{{"after": "2h", "move_to": "vip-desk", "notify_lead": true}}},
		"templates": map[string]any{"zh": map[string]any{"created": "【10000号】工单{{.Number}}已受理"}},
	}
}

func TestTicketSettings(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		desk := &fakeTickets{}
		e.api.SetTickets(desk)
		got := e.must(e.do("sup.north", "GET", "/api/v1/admin/ticket-settings", nil), http.StatusOK)
		if got.body["source"] != "file" || !strings.Contains(string(got.raw), `"file rule"`) || !strings.Contains(string(got.raw), `"4h0m0s"`) {
			t.Fatalf("the file's settings: %s", got.raw)
		}
		for _, c := range []struct {
			name  string
			edit  func(m map[string]any)
			field string
		}{
			{"group name", func(m map[string]any) { m["groups"] = []map[string]any{{"name": "Bad Name"}} }, "groups[0].name"},
			{"member", func(m map[string]any) {
				m["groups"] = []map[string]any{{"name": "fault-desk", "members": []string{"nobody"}}, {"name": "vip-desk"}}
			}, "groups[0].members[0]"},
			{"category", func(m map[string]any) { m["categories"] = []string{""} }, "categories[0]"},
			{"rule group", func(m map[string]any) { m["rules"] = []map[string]any{{"name": "x", "group": "nowhere"}} }, "rules[0].group"},
			{"rule name", func(m map[string]any) { m["rules"] = []map[string]any{{"group": "fault-desk"}} }, "rules[0].name"},
			{"escalation", func(m map[string]any) {
				m["sla"] = map[string]any{"escalation": []map[string]any{{"after": "1h", "move_to": "nowhere"}}}
			}, "sla.escalation[0].move_to"},
			{"sla", func(m map[string]any) {
				m["sla"] = map[string]any{"policies": []map[string]any{{"name": "p", "first_response": "9h", "resolution": "1h"}}}
			}, "sla.policies[0].first_response"},
			{"template", func(m map[string]any) { m["templates"] = map[string]any{"zh": map[string]any{"created": "{{.Nope}}"}} }, "templates.zh.created"},
			{"unknown key", func(m map[string]any) { m["colour"] = "red" }, "body"},
		} {
			b := ticketBody()
			c.edit(b)
			a := e.do("root", "PUT", "/api/v1/admin/ticket-settings", b)
			if a.status != http.StatusBadRequest || a.errField() != c.field {
				t.Errorf("%s: got %d field %q, want 400 field %q: %s", c.name, a.status, a.errField(), c.field, a.raw)
			}
		}
		if len(desk.applied) != 0 {
			t.Fatalf("refused settings applied: %v", desk.applied)
		}
		a := e.must(e.do("root", "PUT", "/api/v1/admin/ticket-settings", ticketBody()), http.StatusCreated)
		if a.header.Get("ETag") != `"1"` || a.body["source"] != "administered" {
			t.Fatalf("saved: %s %s", a.header.Get("ETag"), a.raw)
		}
		if s := desk.last(); s == nil || s.Rules[0].Group != "fault-desk" || s.SLA.Policies[0].Resolution != 8*time.Hour || s.Groups[1].Members[0] != "bob" {
			t.Fatalf("applied: %+v", s)
		}
		b := ticketBody()
		b["categories"] = []string{"broadband"}
		e.must(e.do("root", "PUT", "/api/v1/admin/ticket-settings", b, "If-Match", `"1"`), http.StatusOK)
		if s := e.do("root", "PUT", "/api/v1/admin/ticket-settings", ticketBody(), "If-Match", `"1"`); s.status != http.StatusConflict || s.errField() != "If-Match" {
			t.Fatalf("stale edit: %d %s", s.status, s.raw)
		}
		// What GET answers can be sent back as it is.
		got = e.must(e.do("root", "GET", "/api/v1/admin/ticket-settings", nil), http.StatusOK)
		if got.header.Get("ETag") != `"2"` || !strings.Contains(string(got.raw), `"8h0m0s"`) {
			t.Fatalf("administered: %s", got.raw)
		}
		e.must(e.do("root", "PUT", "/api/v1/admin/ticket-settings", map[string]any{"settings": got.body["settings"]}, "If-Match", `"2"`), http.StatusOK)
		for _, who := range []string{"sup.north", "ann"} {
			if a := e.do(who, "PUT", "/api/v1/admin/ticket-settings", ticketBody()); a.status != http.StatusForbidden {
				t.Errorf("%s PUT: %d, want 403", who, a.status)
			}
			if a := e.do(who, "DELETE", "/api/v1/admin/ticket-settings", nil); a.status != http.StatusForbidden {
				t.Errorf("%s DELETE: %d, want 403", who, a.status)
			}
		}
		if a := e.do("ann", "GET", "/api/v1/admin/ticket-settings", nil); a.status != http.StatusForbidden {
			t.Errorf("agent GET: %d, want 403", a.status)
		}
		// Deleting hands the desk back to the file.
		e.must(e.do("root", "DELETE", "/api/v1/admin/ticket-settings", nil, "If-Match", `"3"`), http.StatusNoContent)
		if desk.last() != nil {
			t.Fatal("the file's settings were not applied again")
		}
		if got := e.must(e.do("root", "GET", "/api/v1/admin/ticket-settings", nil), http.StatusOK); got.body["source"] != "file" {
			t.Fatalf("after delete: %s", got.raw)
		}
		tr := e.must(e.do("root", "GET", "/api/v1/admin/audit?subject_kind=ticket_settings", nil), http.StatusOK)
		if recs, _ := tr.body["records"].([]any); len(recs) != 4 {
			t.Fatalf("audit: %s", tr.raw)
		}
	})
}
