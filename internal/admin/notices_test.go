package admin_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/admin"
)

// An announcement with an IVR notice reaches the IVR's notice board for
// the customers it is for, until withdrawn or expired; only an
// administrator sends one; its filters are validated.
func TestIVRNotices(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.api.SetDesk(&fakeDesk{})
		if got := e.api.IVRNotices(t0, "02088880000"); got != nil {
			t.Fatalf("no announcement: %v", got)
		}
		for _, c := range []struct {
			ivr   map[string]any
			field string
		}{
			{map[string]any{"areas": []string{"02x"}}, "ivr.areas[0]"},
			{map[string]any{"products": []string{"fax"}}, "ivr.products[0]"},
		} {
			a := e.do("root", "POST", "/api/v1/admin/announcements", map[string]any{"text": "x", "ivr": c.ivr})
			if a.status != http.StatusBadRequest || a.errField() != c.field {
				t.Errorf("%v: got %d %q, want 400 %q: %s", c.ivr, a.status, a.errField(), c.field, a.raw)
			}
		}
		if a := e.do("sup.north", "POST", "/api/v1/admin/announcements", map[string]any{"text": "x", "team": "north", "ivr": map[string]any{}}); a.status != http.StatusForbidden || a.errField() != "ivr" {
			t.Fatalf("supervisor with an ivr notice: %d %s", a.status, a.raw)
		}
		gz := e.must(e.do("root", "POST", "/api/v1/admin/announcements", map[string]any{"text": "广州城北宽带故障，预计12:00恢复", "severity": "outage",
			"ivr": map[string]any{"areas": []string{"020", "1390020"}}}), http.StatusCreated)
		if ivr, _ := gz.body["ivr"].(map[string]any); ivr == nil {
			t.Fatalf("created: %s", gz.raw)
		}
		exp := t0.Add(time.Hour).Format(time.RFC3339)
		e.must(e.do("root", "POST", "/api/v1/admin/announcements", map[string]any{"text": "手机信号维护", "expires_at": exp,
			"ivr": map[string]any{"products": []string{"mobile"}}}), http.StatusCreated)
		e.must(e.do("root", "POST", "/api/v1/admin/announcements", map[string]any{"text": "desk only"}), http.StatusCreated)
		for _, c := range []struct {
			at     time.Time
			number string
			want   []string
		}{
			{t0, "02088880000", []string{"广州城北宽带故障，预计12:00恢复"}},
			{t0, "+8613900200000", []string{"广州城北宽带故障，预计12:00恢复", "手机信号维护"}},
			{t0, "13800000000", []string{"手机信号维护"}},
			{t0.Add(2 * time.Hour), "13800000000", nil},
			{t0, "075588880000", nil},
			{t0, "web:abc", nil},
		} {
			if got := e.api.IVRNotices(c.at, c.number); !slices.Equal(got, c.want) {
				t.Errorf("%s at %v: got %q, want %q", c.number, c.at, got, c.want)
			}
		}
		// A restarted node reads them back; a withdrawal takes one off.
		if err := e.api.LoadNotices(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.must(e.do("root", "POST", "/api/v1/admin/announcements/"+gz.body["id"].(string)+"/withdraw", nil), http.StatusOK)
		if got := e.api.IVRNotices(t0, "02088880000"); got != nil {
			t.Fatalf("after the withdrawal: %v", got)
		}
	})
}

// Two nodes on one store: a notice created or withdrawn on one reaches the
// other's board at its next look (WatchNotices' tick), which costs one
// query and reloads nothing when nothing changed.
func TestIVRNoticesReachEveryNode(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.api.SetDesk(&fakeDesk{})
		other := admin.New(admin.Options{Store: e.st, Now: func() time.Time { return t0 }})
		if err := other.LoadNotices(ctx); err != nil {
			t.Fatal(err)
		}
		if changed, err := other.RefreshNotices(ctx); err != nil || changed {
			t.Fatalf("nothing changed: reloaded %v, %v", changed, err)
		}
		tick := make(chan time.Time) // unbuffered: a send returns once the watcher took the previous tick in full
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); other.WatchNotices(wctx, tick) }()
		defer func() { cancel(); <-done }()
		look := func() { tick <- t0; tick <- t0 }

		gz := e.must(e.do("root", "POST", "/api/v1/admin/announcements", map[string]any{"text": "广州城北宽带故障", "severity": "outage",
			"ivr": map[string]any{"areas": []string{"020"}}}), http.StatusCreated)
		if got := e.api.IVRNotices(t0, "02088880000"); len(got) != 1 {
			t.Fatalf("the creating node: %v", got)
		}
		look()
		if got := other.IVRNotices(t0, "02088880000"); !slices.Equal(got, []string{"广州城北宽带故障"}) {
			t.Fatalf("the other node after a look: %q", got)
		}
		e.must(e.do("root", "POST", "/api/v1/admin/announcements/"+gz.body["id"].(string)+"/withdraw", nil), http.StatusOK)
		look()
		if got := other.IVRNotices(t0, "02088880000"); got != nil {
			t.Fatalf("the other node after the withdrawal: %q", got)
		}
		if changed, err := e.api.RefreshNotices(ctx); err != nil || changed {
			t.Fatalf("the creating node reloaded already: %v %v", changed, err)
		}
	})
}
