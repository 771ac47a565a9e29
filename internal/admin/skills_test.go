package admin_test

import (
	"net/http"
	"strings"
	"testing"
)

// Skills are versioned like every administered row: a stale If-Match is
// refused with 409 and nothing applied, no If-Match applies to the current
// version, bad values name their field, and only an admin changes them.
func TestSkillCreateEditStaleDeleteAndRoles(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		c := e.must(e.do("root", "PUT", "/api/v1/admin/skills/promo", map[string]any{"description": "促销 Promotions"}), http.StatusCreated)
		if c.header.Get("ETag") != `"1"` || c.body["version"] != float64(1) {
			t.Fatalf("created: ETag %q %s", c.header.Get("ETag"), c.raw)
		}
		g := e.must(e.do("sup.north", "GET", "/api/v1/admin/skills/promo", nil), http.StatusOK)
		if g.header.Get("ETag") != `"1"` || g.body["description"] != "促销 Promotions" {
			t.Fatalf("read: ETag %q %s", g.header.Get("ETag"), g.raw)
		}

		ed := e.must(e.do("root", "PUT", "/api/v1/admin/skills/promo", map[string]any{"description": "Promotions"}, "If-Match", `"1"`), http.StatusOK)
		if ed.header.Get("ETag") != `"2"` || ed.body["version"] != float64(2) {
			t.Fatalf("edit: ETag %q %s", ed.header.Get("ETag"), ed.raw)
		}
		stale := e.do("root", "PUT", "/api/v1/admin/skills/promo", map[string]any{"description": "Late"}, "If-Match", `"1"`)
		if stale.status != http.StatusConflict || stale.errCode() != "conflict" || stale.errField() != "If-Match" {
			t.Fatalf("stale edit: %d %s", stale.status, stale.raw)
		}
		// The same description with a stale ETag is stale too: the client
		// did not see version 2.
		if a := e.do("root", "PUT", "/api/v1/admin/skills/promo", map[string]any{"description": "Promotions"}, "If-Match", `W/"1"`); a.status != http.StatusConflict {
			t.Fatalf("stale no-op edit: %d %s", a.status, a.raw)
		}
		if g := e.must(e.do("root", "GET", "/api/v1/admin/skills/promo", nil), http.StatusOK); g.body["description"] != "Promotions" || g.header.Get("ETag") != `"2"` {
			t.Fatalf("a stale edit applied: %s", g.raw)
		}
		// Without If-Match the edit applies to whatever version is current.
		if a := e.must(e.do("root", "PUT", "/api/v1/admin/skills/promo", map[string]any{"description": "Promotions 2026"}), http.StatusOK); a.header.Get("ETag") != `"3"` {
			t.Fatalf("edit without If-Match: ETag %q", a.header.Get("ETag"))
		}
		// The same again changes nothing: no new version, no audit record.
		if a := e.must(e.do("root", "PUT", "/api/v1/admin/skills/promo", map[string]any{"description": "Promotions 2026"}, "If-Match", `"3"`), http.StatusOK); a.header.Get("ETag") != `"3"` {
			t.Fatalf("unchanged: ETag %q", a.header.Get("ETag"))
		}
		list := e.must(e.do("sup.south", "GET", "/api/v1/admin/skills", nil), http.StatusOK)
		if !strings.Contains(string(list.raw), `{"name":"promo","description":"Promotions 2026","version":3}`) {
			t.Fatalf("list: %s", list.raw)
		}
		// Paged like every list: billing, broadband | general, promo.
		p1 := e.must(e.do("root", "GET", "/api/v1/admin/skills?limit=2", nil), http.StatusOK)
		if sks, _ := p1.body["skills"].([]any); len(sks) != 2 || p1.body["next"] != "broadband" {
			t.Fatalf("first page: %s", p1.raw)
		}
		p2 := e.must(e.do("root", "GET", "/api/v1/admin/skills?limit=2&after=broadband", nil), http.StatusOK)
		if sks, _ := p2.body["skills"].([]any); len(sks) != 2 || p2.body["next"] != nil || sks[1].(map[string]any)["name"] != "promo" {
			t.Fatalf("second page: %s", p2.raw)
		}
		if a := e.do("root", "GET", "/api/v1/admin/skills?limit=0", nil); a.status != http.StatusBadRequest || a.errField() != "limit" {
			t.Fatalf("limit 0: %d %s", a.status, a.raw)
		}

		for _, c := range []struct {
			name, path string
			body       any
			headers    []string
			field      string
		}{
			{"If-Match not an ETag", "/api/v1/admin/skills/promo", map[string]any{"description": "x"}, []string{"If-Match", "yesterday"}, "If-Match"},
			{"If-Match zero", "/api/v1/admin/skills/promo", map[string]any{"description": "x"}, []string{"If-Match", `"0"`}, "If-Match"},
			{"name with spaces", "/api/v1/admin/skills/%20promo", map[string]any{}, nil, "name"},
			{"name too long", "/api/v1/admin/skills/" + strings.Repeat("s", 65), map[string]any{}, nil, "name"},
			{"description too long", "/api/v1/admin/skills/promo", map[string]any{"description": strings.Repeat("长", 501)}, nil, "description"},
			{"description not text", "/api/v1/admin/skills/promo", map[string]any{"description": 7}, nil, "description"},
		} {
			a := e.do("root", "PUT", c.path, c.body, c.headers...)
			if a.status != http.StatusBadRequest || a.errField() != c.field {
				t.Errorf("%s: %d %s, want 400 naming %s", c.name, a.status, a.raw, c.field)
			}
		}
		// An edit of a skill that is not there (deleted since read) is 404,
		// not a creation.
		if a := e.do("root", "PUT", "/api/v1/admin/skills/gone", map[string]any{"description": "x"}, "If-Match", `"1"`); a.status != http.StatusNotFound {
			t.Fatalf("edit of a missing skill: %d %s", a.status, a.raw)
		}

		// Roles: only an admin changes skills; supervisors and agents read
		// or get 403, and nothing changes.
		for _, who := range []string{"sup.north", "ann"} {
			for _, m := range []string{"PUT", "DELETE"} {
				if a := e.do(who, m, "/api/v1/admin/skills/promo", map[string]any{"description": "mine"}, "If-Match", `"3"`); a.status != http.StatusForbidden {
					t.Errorf("%s %s: %d, want 403", who, m, a.status)
				}
			}
		}
		if a := e.do("ann", "GET", "/api/v1/admin/skills/promo", nil); a.status != http.StatusForbidden {
			t.Errorf("agent reading a skill: %d, want 403", a.status)
		}
		if a := e.do("", "DELETE", "/api/v1/admin/skills/promo", nil); a.status != http.StatusUnauthorized {
			t.Errorf("anonymous delete: %d, want 401", a.status)
		}

		// A skill in use is not deleted: a queue requires it, then an agent has it.
		e.must(e.do("root", "POST", "/api/v1/admin/queues", queueBody("promo-chat", func(m map[string]any) {
			m["skills"] = []map[string]any{{"skill": "promo", "min_proficiency": 1}}
		})), http.StatusCreated)
		if a := e.do("root", "DELETE", "/api/v1/admin/skills/promo", nil, "If-Match", `"3"`); a.status != http.StatusConflict || a.errField() != "name" ||
			!strings.Contains(a.errMessage(), "promo-chat") {
			t.Fatalf("delete of a queue's skill: %d %s", a.status, a.raw)
		}
		e.must(e.do("root", "DELETE", "/api/v1/admin/queues/promo-chat", nil), http.StatusNoContent)
		e.must(e.do("root", "PATCH", "/api/v1/admin/agents/"+e.ids["ann"], map[string]any{"skills": []map[string]any{{"skill": "promo", "proficiency": 3}}}), http.StatusOK)
		if a := e.do("root", "DELETE", "/api/v1/admin/skills/promo", nil, "If-Match", `"3"`); a.status != http.StatusConflict || a.errField() != "name" {
			t.Fatalf("delete of an agent's skill: %d %s", a.status, a.raw)
		}
		e.must(e.do("root", "PATCH", "/api/v1/admin/agents/"+e.ids["ann"], map[string]any{"skills": []any{}}), http.StatusOK)

		if a := e.do("root", "DELETE", "/api/v1/admin/skills/promo", nil, "If-Match", `"2"`); a.status != http.StatusConflict || a.errField() != "If-Match" {
			t.Fatalf("stale delete: %d %s", a.status, a.raw)
		}
		e.must(e.do("root", "DELETE", "/api/v1/admin/skills/promo", nil, "If-Match", `"3"`), http.StatusNoContent)
		e.must(e.do("root", "GET", "/api/v1/admin/skills/promo", nil), http.StatusNotFound)
		e.must(e.do("root", "DELETE", "/api/v1/admin/skills/promo", nil), http.StatusNotFound)

		// Each change is in the audit trail, before and after.
		tr := e.must(e.do("root", "GET", "/api/v1/admin/audit?subject_kind=skill&subject_id=promo", nil), http.StatusOK)
		var actions []string
		recs, _ := tr.body["records"].([]any)
		for _, r := range recs {
			actions = append(actions, r.(map[string]any)["action"].(string))
		}
		if got := strings.Join(actions, " "); got != "admin.skill.delete admin.skill.update admin.skill.update admin.skill.create" {
			t.Fatalf("audit actions (newest first): %s", got)
		}
	})
}

func (a answer) errMessage() string {
	if e, ok := a.body["error"].(map[string]any); ok {
		m, _ := e["message"].(string)
		return m
	}
	return ""
}
