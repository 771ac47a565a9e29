package ticket

import (
	"strconv"
	"strings"
	"time"
)

// Change is one field's value before and after a change, as text.
type Change struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Entry is one line of a ticket's audit trail.
type Entry struct {
	ID      int64     `json:"id"`
	Ticket  int64     `json:"ticket"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Role    Role      `json:"role"`
	Action  string    `json:"action"`
	Changes []Change  `json:"changes,omitempty"`
	Note    string    `json:"note,omitempty"`
}

// diff lists the fields that differ between before and after.
func diff(before, after *Ticket) []Change {
	var out []Change
	add := func(field, b, a string) {
		if b != a {
			out = append(out, Change{Field: field, Before: b, After: a})
		}
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	add("status", string(before.Status), string(after.Status))
	add("priority", string(before.Priority), string(after.Priority))
	add("group", before.Group, after.Group)
	add("assignee", before.Assignee, after.Assignee)
	add("pending_reason", before.Pending, after.Pending)
	add("resolution", before.Resolution, after.Resolution)
	add("tags", strings.Join(before.Tags, ","), strings.Join(after.Tags, ","))
	add("watchers", strings.Join(before.Watchers, ","), strings.Join(after.Watchers, ","))
	add("merged_into", id(before.MergedInto), id(after.MergedInto))
	add("urges", strconv.Itoa(before.Urges), strconv.Itoa(after.Urges))
	add("first_response_at", ts(before.SLA.FirstResponseAt), ts(after.SLA.FirstResponseAt))
	add("resolution_due", ts(before.SLA.ResolutionDue), ts(after.SLA.ResolutionDue))
	add("resolved_at", ts(before.SLA.ResolvedAt), ts(after.SLA.ResolvedAt))
	var bv, av string
	if before.Visit != nil {
		bv = ts(before.Visit.Due) + " " + string(before.Visit.Result)
	}
	if after.Visit != nil {
		av = ts(after.Visit.Due) + " " + string(after.Visit.Result)
	}
	add("return_visit", strings.TrimSpace(bv), strings.TrimSpace(av))
	return out
}

func id(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}
