package audit_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

func TestHandler(t *testing.T) {
	st := storetest.SQLite(t)
	l := audit.New(st, audit.Options{Now: clock()})
	for i := range 5 {
		if _, err := l.Append(ctx, audit.Record{Actor: fmt.Sprint("a", i%2), ActorRole: "agent", Action: audit.ActionCustomerView,
			SubjectKind: audit.KindCustomer, SubjectID: fmt.Sprint("cu", i)}); err != nil {
			t.Fatal(err)
		}
	}
	h := l.Handler()
	get := func(q string) (int, audit.Page, string) {
		t.Helper()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/audit?"+q, nil))
		var p audit.Page
		_ = json.Unmarshal(w.Body.Bytes(), &p)
		return w.Code, p, w.Body.String()
	}
	code, p, _ := get("actor=a0&limit=2")
	if code != 200 || len(p.Records) != 2 || p.Records[0].SubjectID != "cu4" || p.Next == "" {
		t.Fatalf("page 1: %d %+v", code, p)
	}
	code, p, _ = get("actor=a0&limit=2&cursor=" + p.Next)
	if code != 200 || len(p.Records) != 1 || p.Records[0].SubjectID != "cu0" || p.Next != "" {
		t.Fatalf("page 2: %d %+v", code, p)
	}
	code, _, body := get("subject_kind=customer&subject_id=nobody")
	if code != 200 || !strings.Contains(body, `"records":[]`) {
		t.Fatalf("empty: %d %s", code, body)
	}
	code, p, _ = get("from=2026-11-22T16:30:03%2B08:00&to=2026-11-22T08:30:05Z")
	if code != 200 || len(p.Records) != 2 {
		t.Fatalf("time window: %d %+v", code, p)
	}
	for _, c := range []struct{ q, field string }{
		{"limit=0", "limit"},
		{"limit=1001", "limit"},
		{"limit=x", "limit"},
		{"from=yesterday", "from"},
		{"to=2026-11-22", "to"},
		{"cursor=abc", "cursor"},
		{"subject_id=cu1", "subject_kind"},
	} {
		code, _, body := get(c.q)
		if code != http.StatusBadRequest || !strings.Contains(body, `"field":"`+c.field+`"`) {
			t.Errorf("%s: got %d %s, want 400 naming %s", c.q, code, body, c.field)
		}
	}
}

// FuzzHandlerQuery: whatever the query string, the trail answers 200 or a
// 400 naming a field, never a server error.
func FuzzHandlerQuery(f *testing.F) {
	for _, q := range []string{"", "limit=5&cursor=3", "from=2026-11-22T08:30:00Z&to=x", "subject_id=a", "action=admin.", "limit=-1", "cursor=%00", "actor=%E4%B8%AD"} {
		f.Add(q)
	}
	st := storetest.SQLite(f)
	h := audit.New(st, audit.Options{Now: clock()}).Handler()
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest("GET", "/api/v1/audit", nil)
		r.URL.RawQuery = q
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK:
		case http.StatusBadRequest:
			if !strings.Contains(w.Body.String(), `"field":"`) {
				t.Fatalf("%q: 400 without a field: %s", q, w.Body)
			}
		default:
			t.Fatalf("%q: got %d %s", q, w.Code, w.Body)
		}
	})
}
