package admin_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/admin"
)

// fakeDesk records what reaches the agents' desks.
type fakeDesk struct {
	mu        sync.Mutex
	shown     []string // "text → ids" (nil ids: "all")
	withdrawn []string
}

func (d *fakeDesk) Announce(n admin.Notice, ids []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.shown = append(d.shown, n.Text+" → "+who(ids))
}

func (d *fakeDesk) Withdraw(id string, ids []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.withdrawn = append(d.withdrawn, who(ids))
}

func who(ids []string) string {
	if ids == nil {
		return "all"
	}
	s := slices.Clone(ids)
	slices.Sort(s)
	out := ""
	for i, id := range s {
		if i > 0 {
			out += ","
		}
		out += id
	}
	return out
}

func TestAnnouncementsToAllAndToATeam(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		desk := &fakeDesk{}
		e.api.SetDesk(desk)
		all := e.must(e.do("root", "POST", "/api/v1/admin/announcements",
			map[string]any{"text": "宽带大面积故障：城北片区，预计 12:00 恢复", "severity": "outage"}), http.StatusCreated)
		if all.body["recipients"] != float64(5) || all.body["live"] != true {
			t.Fatalf("to all: %s", all.raw)
		}
		north := e.must(e.do("sup.north", "POST", "/api/v1/admin/announcements",
			map[string]any{"text": "north team: huddle at 15:00", "team": "north"}, "Idempotency-Key", "n-1"), http.StatusCreated)
		northID := north.body["id"].(string)
		again := e.must(e.do("sup.north", "POST", "/api/v1/admin/announcements",
			map[string]any{"text": "north team: huddle at 15:00", "team": "north"}, "Idempotency-Key", "n-1"), http.StatusOK)
		if again.body["id"] != northID {
			t.Fatalf("replay made another: %s", again.raw)
		}
		wantShown := []string{"宽带大面积故障：城北片区，预计 12:00 恢复 → all", "north team: huddle at 15:00 → " + who([]string{e.ids["sup.north"], e.ids["ann"]})}
		if !slices.Equal(desk.shown, wantShown) {
			t.Fatalf("desks got %q, want %q", desk.shown, wantShown)
		}

		// Role boundaries: a supervisor only to a team of theirs; agents never.
		for _, tc := range []struct {
			login, team string
			status      int
		}{{"sup.north", "south", http.StatusForbidden}, {"sup.north", "", http.StatusForbidden}, {"ann", "north", http.StatusForbidden}} {
			a := e.do(tc.login, "POST", "/api/v1/admin/announcements", map[string]any{"text": "x", "team": tc.team})
			if a.status != tc.status {
				t.Errorf("%s to %q: got %d %s, want %d", tc.login, tc.team, a.status, a.raw, tc.status)
			}
		}
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"text": "  "}, "text"},
			{map[string]any{"text": "x", "severity": "panic"}, "severity"},
			{map[string]any{"text": "x", "expires_at": t0.Add(-time.Minute)}, "expires_at"},
		} {
			if a := e.do("root", "POST", "/api/v1/admin/announcements", tc.body); a.status != http.StatusBadRequest || a.errField() != tc.field {
				t.Errorf("%v: got %d %s, want 400 naming %s", tc.body, a.status, a.raw, tc.field)
			}
		}

		// The desk: ann (north) sees both, bob (south) only the one to all.
		mine := func(login string) []any {
			a := e.must(e.do(login, "GET", "/api/v1/announcements", nil), http.StatusOK)
			l, _ := a.body["announcements"].([]any)
			return l
		}
		if n := len(mine("ann")); n != 2 {
			t.Fatalf("ann sees %d announcements, want 2", n)
		}
		if n := len(mine("bob")); n != 1 {
			t.Fatalf("bob sees %d announcements, want 1", n)
		}
		e.must(e.do("ann", "POST", "/api/v1/announcements/"+northID+"/ack", nil), http.StatusNoContent)
		e.must(e.do("ann", "POST", "/api/v1/announcements/"+northID+"/ack", nil), http.StatusNoContent)
		e.must(e.do("bob", "POST", "/api/v1/announcements/"+northID+"/ack", nil), http.StatusNotFound)
		for _, n := range mine("ann") {
			m := n.(map[string]any)
			if (m["id"] == northID) != (m["acked"] == true) {
				t.Fatalf("ann's acknowledgements: %v", mine("ann"))
			}
		}
		det := e.must(e.do("sup.north", "GET", "/api/v1/admin/announcements/"+northID, nil), http.StatusOK)
		acks, _ := det.body["acks"].([]any)
		pending, _ := det.body["pending"].([]any)
		if det.body["acked"] != float64(1) || len(acks) != 1 || acks[0].(map[string]any)["login"] != "ann" ||
			len(pending) != 1 || pending[0] != "sup.north" {
			t.Fatalf("detail: %s", det.raw)
		}

		// Withdrawn: off the desks.
		if a := e.do("sup.south", "POST", "/api/v1/admin/announcements/"+northID+"/withdraw", nil); a.status != http.StatusForbidden {
			t.Fatalf("another team's supervisor withdraws: %d", a.status)
		}
		wd := e.must(e.do("sup.north", "POST", "/api/v1/admin/announcements/"+northID+"/withdraw", nil), http.StatusOK)
		if wd.body["live"] != false || len(desk.withdrawn) != 1 {
			t.Fatalf("withdraw: %s %v", wd.raw, desk.withdrawn)
		}
		if n := len(mine("ann")); n != 1 {
			t.Fatalf("ann sees %d after the withdrawal, want 1", n)
		}
		list := e.must(e.do("sup.south", "GET", "/api/v1/admin/announcements", nil), http.StatusOK)
		if l, _ := list.body["announcements"].([]any); len(l) != 2 || l[0].(map[string]any)["id"] != northID {
			t.Fatalf("list (newest first): %s", list.raw)
		}
		tr := e.must(e.do("root", "GET", "/api/v1/admin/audit?subject_kind=announcement&subject_id="+northID, nil), http.StatusOK)
		if recs, _ := tr.body["records"].([]any); len(recs) != 2 {
			t.Fatalf("audit: %s", tr.raw)
		}
		if a := e.do("ann", "GET", "/api/v1/admin/announcements", nil); a.status != http.StatusForbidden {
			t.Fatalf("agent lists: %d", a.status)
		}
	})
}
