package audit

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/hotline10000/hotline/internal/httpapi"
)

// Handler serves GET /api/v1/audit: the trail, newest first, to holders
// of the audit permission (the caller mounts it behind auth.Require).
//
// Query parameters, all optional: subject_kind, subject_id (with
// subject_kind), actor, action (exact, or a prefix ending in "."), from and
// to (RFC 3339, at in [from, to)), limit (1…1000, default 100) and cursor
// (the previous page's next). The answer is {"records": […], "next": "…"};
// next is absent on the last page. A bad parameter is 400 naming it.
func (l *Log) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, field, msg := parseQuery(r)
		if field != "" {
			httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_field", field, field+": "+msg)
			return
		}
		p, err := l.List(r.Context(), q)
		switch {
		case errors.Is(err, ErrInvalid):
			httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_field", "cursor", "cursor: not a cursor of this list")
			return
		case err != nil:
			httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "audit trail: store unavailable")
			return
		}
		if p.Records == nil {
			p.Records = []Record{}
		}
		httpapi.WriteJSON(w, http.StatusOK, p)
	})
}

func parseQuery(r *http.Request) (q Query, field, msg string) {
	v := r.URL.Query()
	q = Query{SubjectKind: v.Get("subject_kind"), SubjectID: v.Get("subject_id"), Actor: v.Get("actor"),
		Action: v.Get("action"), Cursor: v.Get("cursor")}
	if q.SubjectID != "" && q.SubjectKind == "" {
		return q, "subject_kind", "required with subject_id"
	}
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(t.name); s != "" {
			at, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, t.name, "want an RFC 3339 time (2026-11-29T08:00:00+08:00)"
			}
			*t.to = at
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return q, "limit", "want 1…" + strconv.Itoa(MaxLimit)
		}
		q.Limit = n
	}
	if q.Cursor != "" {
		if n, err := strconv.ParseInt(q.Cursor, 10, 64); err != nil || n <= 0 {
			return q, "cursor", "not a cursor of this list"
		}
	}
	return q, "", ""
}
