package admin_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// weekdays are 08:00–18:00 with a lunch break, Saturday mornings.
func centerCalendar(holidays ...string) map[string]any {
	day := []string{"08:00-12:00", "13:30-18:00"}
	return map[string]any{"time_zone": "Asia/Shanghai",
		"weekly":   map[string]any{"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": []string{"09:00-12:00"}},
		"holidays": holidays, "workdays": []map[string]any{{"date": "2026-12-06", "like": "mon"}}}
}

func TestCalendarCreateEditPreviewAndLive(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// Tuesday 1 December 2026, 10:00 in Shanghai.
		tue10 := time.Date(2026, 12, 1, 10, 0, 0, 0, shanghai)
		live := e.cals.Live("center", nil)
		if live.IsOpen(tue10) {
			t.Fatal("a calendar nobody defined is open")
		}

		a := e.must(e.do("root", "PUT", "/api/v1/admin/calendars/center", centerCalendar()), http.StatusCreated)
		if a.header.Get("ETag") != `"1"` || a.body["name"] != "center" {
			t.Fatalf("create: %s %s", a.header.Get("ETag"), a.raw)
		}
		if !live.IsOpen(tue10) || live.IsOpen(tue10.Add(3*time.Hour)) { // 13:00 is lunch
			t.Fatal("the stored calendar is not the one the node asks")
		}

		// The preview: open now, closing for lunch, opening again at 13:30.
		p := e.must(e.do("sup.north", "GET", "/api/v1/admin/calendars/center/preview?count=3&from="+url.QueryEscape(tue10.Format(time.RFC3339)), nil), http.StatusOK)
		spans, _ := p.body["spans"].([]any)
		want := [][2]string{
			{"2026-12-01T10:00:00+08:00", "2026-12-01T12:00:00+08:00"},
			{"2026-12-01T13:30:00+08:00", "2026-12-01T18:00:00+08:00"},
			{"2026-12-02T08:00:00+08:00", "2026-12-02T12:00:00+08:00"},
		}
		if p.body["open_now"] != true || len(spans) != 3 {
			t.Fatalf("preview: %s", p.raw)
		}
		for i, w := range want {
			s := spans[i].(map[string]any)
			if s["opens"] != w[0] || s["closes"] != w[1] {
				t.Fatalf("span %d: got %v–%v, want %v–%v", i, s["opens"], s["closes"], w[0], w[1])
			}
		}

		// A holiday added: closed at once, for the node and in the preview.
		ed := e.must(e.do("root", "PUT", "/api/v1/admin/calendars/center", centerCalendar("2026-12-01"), "If-Match", `"1"`), http.StatusOK)
		if ed.header.Get("ETag") != `"2"` {
			t.Fatalf("edit ETag %q", ed.header.Get("ETag"))
		}
		if live.IsOpen(tue10) {
			t.Fatal("the holiday did not reach the node")
		}
		p = e.must(e.do("root", "GET", "/api/v1/admin/calendars/center/preview?count=1&from="+url.QueryEscape(tue10.Format(time.RFC3339)), nil), http.StatusOK)
		if s := p.body["spans"].([]any)[0].(map[string]any); p.body["open_now"] != false || s["opens"] != "2026-12-02T08:00:00+08:00" {
			t.Fatalf("preview after the holiday: %s", p.raw)
		}
		// The make-up working day (a Sunday) opens like a Monday.
		if !live.IsOpen(time.Date(2026, 12, 6, 9, 0, 0, 0, shanghai)) {
			t.Fatal("make-up working day closed")
		}
		e.mu.Lock()
		changed := slices.Clone(e.calsChanged)
		e.mu.Unlock()
		if !slices.Equal(changed, []string{"center", "center"}) {
			t.Fatalf("CalendarChanged got %v, want center twice", changed)
		}

		stale := e.do("root", "PUT", "/api/v1/admin/calendars/center", centerCalendar(), "If-Match", `"1"`)
		if stale.status != http.StatusConflict || stale.errField() != "If-Match" {
			t.Fatalf("stale edit: %d %s", stale.status, stale.raw)
		}
		if live.IsOpen(tue10) {
			t.Fatal("a stale edit was applied")
		}

		tr := e.must(e.do("root", "GET", "/api/v1/admin/audit?subject_kind=calendar&subject_id=center", nil), http.StatusOK)
		recs, _ := tr.body["records"].([]any)
		if len(recs) != 2 || recs[0].(map[string]any)["action"] != "admin.calendar.update" {
			t.Fatalf("audit: %s", tr.raw)
		}

		list := e.must(e.do("sup.south", "GET", "/api/v1/admin/calendars", nil), http.StatusOK)
		if cs, _ := list.body["calendars"].([]any); len(cs) != 1 || list.body["next"] != nil {
			t.Fatalf("list: %s", list.raw)
		}
		if a := e.must(e.do("sup.south", "GET", "/api/v1/admin/calendars?after=center", nil), http.StatusOK); len(a.body["calendars"].([]any)) != 0 {
			t.Fatalf("the page after center: %s", a.raw)
		}
		if a := e.do("sup.south", "GET", "/api/v1/admin/calendars?limit=501", nil); a.status != http.StatusBadRequest || a.errField() != "limit" {
			t.Fatalf("limit 501: %d %s", a.status, a.raw)
		}
		e.must(e.do("root", "DELETE", "/api/v1/admin/calendars/center", nil, "If-Match", `"2"`), http.StatusNoContent)
		if _, ok := e.cals.Get("center"); ok {
			t.Fatal("a deleted calendar still answers")
		}
		e.must(e.do("root", "GET", "/api/v1/admin/calendars/center", nil), http.StatusNotFound)
	})
}

func TestCalendarInvalidAndRoles(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		with := func(k string, v any) map[string]any {
			c := centerCalendar()
			c[k] = v
			return c
		}
		for _, tc := range []struct {
			name  string
			path  string
			body  any
			field string
		}{
			{"overlapping spans", "center", with("weekly", map[string]any{"mon": []string{"08:00-12:00", "11:00-18:00"}}), "weekly.mon[1]"},
			{"end before start", "center", with("weekly", map[string]any{"tue": []string{"18:00-08:00"}}), "weekly.tue[0]"},
			{"unknown weekday", "center", with("weekly", map[string]any{"monday": []string{"08:00-18:00"}}), "weekly"},
			{"zone", "center", with("time_zone", "Mars/Olympus"), "time_zone"},
			{"machine zone", "center", with("time_zone", "Local"), "time_zone"},
			{"holiday date", "center", with("holidays", []string{"2026-13-01"}), "holidays[0]"},
			{"make-up day on a holiday", "center", with("holidays", []string{"2026-12-06"}), "workdays[0].date"},
			{"name", "Center!", centerCalendar(), "id"},
			{"renamed", "center", with("name", "other"), "name"},
		} {
			a := e.do("root", "PUT", "/api/v1/admin/calendars/"+tc.path, tc.body)
			if a.status != http.StatusBadRequest || a.errField() != tc.field {
				t.Errorf("%s: got %d %s, want 400 naming %s", tc.name, a.status, a.raw, tc.field)
			}
		}
		if _, ok := e.cals.Get("center"); ok {
			t.Fatal("an invalid calendar was installed")
		}
		// The form's preview validates without storing.
		pv := e.do("sup.north", "POST", "/api/v1/admin/calendars/preview", with("weekly", map[string]any{"fri": []string{"08:00-12:00", "09:00-10:00"}}))
		if pv.status != http.StatusBadRequest || pv.errField() != "weekly.fri[1]" {
			t.Fatalf("preview of an invalid form: %d %s", pv.status, pv.raw)
		}
		e.must(e.do("sup.north", "POST", "/api/v1/admin/calendars/preview?from=2026-12-01T10:00:00Z", centerCalendar()), http.StatusOK)
		if a := e.do("root", "GET", "/api/v1/admin/calendars/center/preview?count=99", nil); a.errField() != "count" {
			t.Fatalf("count 99: %s", a.raw)
		}

		for _, who := range []string{"ann", "sup.north"} {
			if a := e.do(who, "PUT", "/api/v1/admin/calendars/center", centerCalendar()); a.status != http.StatusForbidden {
				t.Fatalf("%s edits a calendar: %d", who, a.status)
			}
		}
		if a := e.do("ann", "GET", "/api/v1/admin/calendars", nil); a.status != http.StatusForbidden {
			t.Fatalf("agent lists calendars: %d", a.status)
		}
		if a := e.do("", "GET", "/api/v1/admin/calendars", nil); a.status != http.StatusUnauthorized {
			t.Fatalf("anonymous lists calendars: %d", a.status)
		}
	})
}
