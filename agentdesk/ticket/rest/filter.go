package rest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// queryParams are the search parameters.
var queryParams = []string{"status", "type", "category", "priority", "group", "assignee", "region",
	"phone", "q", "open", "from", "to", "visit_due", "sort", "limit", "offset"}

// filterOf reads a ticket.Filter from the query string; unknown or repeated
// parameters and malformed values are errors naming the parameter. allowed,
// when given, narrows the accepted parameters.
func filterOf(r *http.Request, allowed ...string) (ticket.Filter, error) {
	if len(allowed) == 0 {
		allowed = queryParams
	}
	var f ticket.Filter
	q := r.URL.Query()
	for name, vs := range q {
		if !slices.Contains(allowed, name) {
			return f, badField(name, "unknown parameter")
		}
		if len(vs) > 1 {
			return f, badField(name, "given more than once")
		}
	}
	get := q.Get
	if s := get("status"); s != "" {
		for _, st := range strings.Split(s, ",") {
			f.Statuses = append(f.Statuses, ticket.Status(st))
		}
	}
	f.Type, f.Category, f.Priority = ticket.Type(get("type")), get("category"), ticket.Priority(get("priority"))
	f.Group, f.Assignee, f.Region, f.Phone, f.Text = get("group"), get("assignee"), get("region"), get("phone"), get("q")
	f.Sort = ticket.Sort(get("sort"))
	if s := get("open"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return f, badField("open", "must be true or false")
		}
		f.Open = b
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}, {"visit_due", &f.VisitDue}} {
		if s := get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return f, badField(p.name, "must be an RFC 3339 time")
			}
			*p.dst = t
		}
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &f.Limit}, {"offset", &f.Offset}} {
		if s := get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return f, badField(p.name, "must be a whole number")
			}
			*p.dst = n
		}
	}
	if s := get("limit"); s != "" && f.Limit == 0 {
		return f, badField("limit", "must be at least 1")
	}
	return f, nil
}
