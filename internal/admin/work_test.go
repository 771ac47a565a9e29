package admin_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/admin"
)

func (x *routerACD) SetWork(_ context.Context, by, agentID string, capy *acd.Capacity, wrapUp *time.Duration) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.r.SetWork(t0, by, agentID, capy, wrapUp)
}

// A queue's wrap-up time and opening calendar are stored, validated and
// reach the router; a calendar a queue opens by is not deleted.
func TestQueueWrapUpAndCalendar(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r, err := acd.NewRouter(acd.DefaultConfig(), []acd.Queue{{ID: "general", Channel: acd.Chat, JoinEmpty: true, Skills: []acd.Requirement{{Skill: "general", Min: 1}}}})
		if err != nil {
			t.Fatal(err)
		}
		x := &routerACD{r: r}
		e.api.SetRouting(x)
		// Weekdays only: t0 is a Sunday.
		e.must(e.do("root", "PUT", "/api/v1/admin/calendars/weekdays", map[string]any{"time_zone": "Asia/Shanghai",
			"weekly": map[string]any{"mon": []string{"08:00-18:00"}, "fri": []string{"08:00-18:00"}}}), http.StatusCreated)
		for _, c := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"wrap-up", queueBody("x", func(m map[string]any) { m["wrap_up_seconds"] = -1 }), "wrap_up_seconds"},
			{"wrap-up too long", queueBody("x", func(m map[string]any) { m["wrap_up_seconds"] = 86401 }), "wrap_up_seconds"},
			{"calendar", queueBody("x", func(m map[string]any) { m["calendar"] = "nowhere" }), "calendar"},
		} {
			a := e.do("root", "POST", "/api/v1/admin/queues", c.body)
			if a.status != http.StatusBadRequest || a.errField() != c.field {
				t.Errorf("%s: got %d field %q, want 400 field %q: %s", c.name, a.status, a.errField(), c.field, a.raw)
			}
		}
		a := e.must(e.do("root", "POST", "/api/v1/admin/queues", queueBody("promo", func(m map[string]any) {
			m["wrap_up_seconds"], m["calendar"] = 45, "weekdays"
		})), http.StatusCreated)
		if a.body["wrap_up_seconds"] != float64(45) || a.body["calendar"] != "weekdays" {
			t.Fatalf("created: %s", a.raw)
		}
		if err := r.Enqueue(t0, acd.ContactSpec{ID: "c1", Queue: "promo"}); !errors.Is(err, acd.ErrQueueClosed) {
			t.Fatalf("enqueue on a Sunday: %v, want ErrQueueClosed", err)
		}
		if err := r.Enqueue(t0.Add(24*time.Hour), acd.ContactSpec{ID: "c2", Queue: "promo"}); err != nil {
			t.Fatalf("enqueue on Monday 17:00 in Shanghai: %v", err)
		}
		d := e.do("root", "DELETE", "/api/v1/admin/calendars/weekdays", nil)
		if d.status != http.StatusConflict || !strings.Contains(string(d.raw), "promo") {
			t.Fatalf("deleting a queue's calendar: %d %s", d.status, d.raw)
		}
		// Without the calendar the queue is always open again.
		e.must(e.do("root", "PUT", "/api/v1/admin/queues/promo", queueBody("promo")), http.StatusOK)
		e.must(e.do("root", "DELETE", "/api/v1/admin/calendars/weekdays", nil), http.StatusNoContent)
		if err := r.Enqueue(t0, acd.ContactSpec{ID: "c3", Queue: "promo"}); err != nil {
			t.Fatalf("enqueue without a calendar: %v", err)
		}
	})
}

// An agent's site, capacity and wrap-up time: validated, versioned, limited
// for supervisors to their teams, and applied to a logged-in agent.
func TestAgentWork(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		cfg := acd.DefaultConfig()
		r, err := acd.NewRouter(cfg, []acd.Queue{{ID: "general", Channel: acd.Chat, JoinEmpty: true, Skills: []acd.Requirement{{Skill: "general", Min: 1}}}})
		if err != nil {
			t.Fatal(err)
		}
		ann := e.ids["ann"]
		x := &routerACD{r: r, logged: []string{ann}}
		e.api.SetRouting(x)
		if err := r.Login(t0, acd.AgentSpec{ID: ann, Skills: map[string]int{"general": 5}}); err != nil {
			t.Fatal(err)
		}
		if err := r.SetReady(t0, ann); err != nil {
			t.Fatal(err)
		}
		if err := r.Enqueue(t0, acd.ContactSpec{ID: "c1", Queue: "general"}); err != nil {
			t.Fatal(err)
		}
		if err := r.Accept(t0, ann, "c1"); err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/admin/agents/" + ann
		got := e.must(e.do("root", "GET", path, nil), http.StatusOK)
		if got.body["capacity"] != nil || got.body["wrap_up_seconds"] != nil || got.body["site"] != "" {
			t.Fatalf("defaults: %s", got.raw)
		}
		for _, c := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"voice", map[string]any{"capacity": map[string]any{"voice": 2, "chat": 1}}, "capacity.voice"},
			{"chat", map[string]any{"capacity": map[string]any{"voice": 1, "chat": 17}}, "capacity.chat"},
			{"wrap-up", map[string]any{"wrap_up_seconds": -5}, "wrap_up_seconds"},
			{"site", map[string]any{"site": " hz "}, "site"},
		} {
			a := e.do("root", "PATCH", path, c.body)
			if a.status != http.StatusBadRequest || a.errField() != c.field {
				t.Errorf("%s: got %d field %q, want 400 field %q: %s", c.name, a.status, a.errField(), c.field, a.raw)
			}
		}
		// The supervisor of ann's team sets her capacity: it applies at once.
		a := e.must(e.do("sup.north", "PATCH", path, map[string]any{"capacity": map[string]any{"voice": 1, "chat": 1}, "wrap_up_seconds": 20},
			"If-Match", got.header.Get("ETag")), http.StatusOK)
		if a.body["warnings"] != nil || a.body["wrap_up_seconds"] != float64(20) {
			t.Fatalf("capacity change: %s", a.raw)
		}
		if err := r.Enqueue(t0, acd.ContactSpec{ID: "c2", Queue: "general"}); err != nil {
			t.Fatal(err)
		}
		if st, _ := r.Agent(ann); st.Offer != "" {
			t.Fatalf("offered %s over the new capacity of one chat", st.Offer)
		}
		if s := e.do("root", "PATCH", path, map[string]any{"site": "hz"}, "If-Match", got.header.Get("ETag")); s.status != http.StatusConflict || s.errField() != "If-Match" {
			t.Fatalf("stale edit: %d %s", s.status, s.raw)
		}
		// Below what she holds: stored, applied at her next login.
		a = e.must(e.do("root", "PATCH", path, map[string]any{"capacity": map[string]any{"voice": 1, "chat": 0}, "site": "hz"}), http.StatusOK)
		if got := a.warnings(); got != "capacity_at_next_login@capacity" || a.body["site"] != "hz" {
			t.Fatalf("capacity below the load: %s", a.raw)
		}
		w, err := e.st.AgentWork(context.Background(), ann)
		if err != nil || w.Capacity == nil || w.Capacity.Chat != 0 || w.Site != "hz" {
			t.Fatalf("stored: %+v %v", w, err)
		}
		// null puts the center's capacity back (three chats): c2 is offered.
		a = e.must(e.do("root", "PATCH", path, map[string]any{"capacity": nil}), http.StatusOK)
		if a.body["capacity"] != nil || a.body["warnings"] != nil {
			t.Fatalf("back to the default: %s", a.raw)
		}
		if st, _ := r.Agent(ann); st.Offer != "c2" {
			t.Fatalf("offer %q after the default capacity, want c2", st.Offer)
		}
		// Role boundaries.
		for _, c := range []struct {
			login string
			body  map[string]any
		}{
			{"sup.south", map[string]any{"capacity": map[string]any{"voice": 1, "chat": 2}}},
			{"sup.north", map[string]any{"site": "sh"}},
			{"ann", map[string]any{"wrap_up_seconds": 5}},
		} {
			if a := e.do(c.login, "PATCH", path, c.body); a.status != http.StatusForbidden {
				t.Errorf("%s %v: %d, want 403", c.login, c.body, a.status)
			}
		}
		tr := e.must(e.do("root", "GET", "/api/v1/admin/audit?subject_kind=agent&subject_id="+ann, nil), http.StatusOK)
		if !strings.Contains(string(tr.raw), `"wrap_up_seconds":20`) {
			t.Fatalf("the audit trail does not show the change: %s", tr.raw)
		}
	})
}

// A queue's recording switch is a queue field: absent (the default,
// phones.record_queues), true or false; it round-trips, a replacement
// without it hands the queue back to the default, and a wrong type names
// the field.
func TestQueueRecordField(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a := e.must(e.do("root", "POST", "/api/v1/admin/queues", queueBody("promo")), http.StatusCreated)
		if _, set := a.body["record"]; set {
			t.Fatalf("created without record: %s", a.raw)
		}
		a = e.must(e.do("root", "PUT", "/api/v1/admin/queues/promo", queueBody("promo", func(m map[string]any) { m["record"] = false })), http.StatusOK)
		if a.body["record"] != false {
			t.Fatalf("record false: %s", a.raw)
		}
		raw, err := e.st.QueueRouting(context.Background(), "promo")
		if err != nil {
			t.Fatal(err)
		}
		rt, err := admin.ParseRouting(raw)
		if err != nil || rt.Recorded(true) {
			t.Fatalf("stored %q: recorded %v, want false whatever the default (%v)", raw, rt.Recorded(true), err)
		}
		got := e.must(e.do("root", "GET", "/api/v1/admin/queues/promo", nil), http.StatusOK)
		if got.body["record"] != false {
			t.Fatalf("read back: %s", got.raw)
		}
		a = e.must(e.do("root", "PUT", "/api/v1/admin/queues/promo", queueBody("promo")), http.StatusOK)
		if _, set := a.body["record"]; set {
			t.Fatalf("replaced without record: %s", a.raw)
		}
		if bad := e.do("root", "PUT", "/api/v1/admin/queues/promo", queueBody("promo", func(m map[string]any) { m["record"] = "yes" })); bad.status != http.StatusBadRequest || bad.errField() != "record" {
			t.Fatalf("record \"yes\": %d %q %s", bad.status, bad.errField(), bad.raw)
		}
	})
}
