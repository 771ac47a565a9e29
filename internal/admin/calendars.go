package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/calendar"
	"github.com/hotline10000/hotline/internal/store"
)

// CalendarView is an administered business-hours calendar: weekly hours
// (several periods a day make a lunch break), holidays and make-up working
// days in its time zone.
type CalendarView struct {
	calendar.Spec
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (v CalendarView) etagVersion() int64 { return v.Version }

// calendarInput is the body of a PUT: the Spec without its name (the path
// names it).
type calendarInput struct {
	Name     string              `json:"name"`
	TimeZone string              `json:"time_zone"`
	Weekly   map[string][]string `json:"weekly"`
	Holidays []string            `json:"holidays"`
	Workdays []calendar.Workday  `json:"workdays"`
}

func (a *API) calendarRoutes(mux *http.ServeMux, h handle) {
	mux.Handle("GET /api/v1/admin/calendars", h(auth.PermSupervise, a.listCalendars))
	mux.Handle("GET /api/v1/admin/calendars/{id}", h(auth.PermSupervise, a.getCalendar))
	mux.Handle("PUT /api/v1/admin/calendars/{id}", h(auth.PermConfigure, a.putCalendar))
	mux.Handle("DELETE /api/v1/admin/calendars/{id}", h(auth.PermConfigure, a.deleteCalendar))
	mux.Handle("GET /api/v1/admin/calendars/{id}/preview", h(auth.PermSupervise, a.previewCalendar))
	mux.Handle("POST /api/v1/admin/calendars/preview", h(auth.PermSupervise, a.previewSpec))
}

// parseSpec reads a stored calendar's JSON.
func parseSpec(name, s string) (calendar.Spec, error) {
	var sp calendar.Spec
	if err := json.Unmarshal([]byte(s), &sp); err != nil {
		return sp, fmt.Errorf("calendar %s: %w", name, err)
	}
	sp.Name = name
	return sp, nil
}

func calendarViewOf(row store.CalendarRow) (CalendarView, error) {
	sp, err := parseSpec(row.Name, row.Spec)
	if err != nil {
		return CalendarView{}, err
	}
	if sp.Weekly == nil {
		sp.Weekly = map[string][]string{}
	}
	if sp.Holidays == nil {
		sp.Holidays = []string{}
	}
	if sp.Workdays == nil {
		sp.Workdays = []calendar.Workday{}
	}
	return CalendarView{Spec: sp, Version: row.Version, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}, nil
}

func (a *API) calendarView(ctx context.Context, st *store.Store, name string) (CalendarView, error) {
	row, err := st.Calendar(ctx, name)
	if err != nil {
		return CalendarView{}, err
	}
	return calendarViewOf(row)
}

// LoadCalendars compiles every administered calendar into set (the node's
// start, and after each change).
func LoadCalendars(ctx context.Context, st *store.Store, set *calendar.Set) error {
	rows, err := st.Calendars(ctx)
	if err != nil {
		return err
	}
	cals := make(map[string]*calendar.Calendar, len(rows))
	for _, row := range rows {
		sp, err := parseSpec(row.Name, row.Spec)
		if err != nil {
			return err
		}
		c, err := calendar.New(sp)
		if err != nil {
			return fmt.Errorf("calendar %s: %w", row.Name, err)
		}
		cals[row.Name] = c
	}
	set.Replace(cals)
	return nil
}

// listCalendars answers the calendars by name, paged (?after=&limit=).
func (a *API) listCalendars(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	rows, err := a.o.Store.Calendars(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		Calendars []CalendarView `json:"calendars"`
		Next      string         `json:"next,omitempty"`
	}{Calendars: []CalendarView{}}
	for _, row := range rows {
		v, err := calendarViewOf(row)
		if err != nil {
			return err
		}
		if v.Name <= after {
			continue
		}
		if len(out.Calendars) == limit {
			out.Next = out.Calendars[limit-1].Name
			break
		}
		out.Calendars = append(out.Calendars, v)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getCalendar(w http.ResponseWriter, r *http.Request) error {
	return getOne(w, r, a.o.Store, a.calendarView)
}

// compile validates a spec: the first problem as a field error (fields as
// the request names them: weekly.mon[1], holidays[0], workdays[0].date).
func compile(sp calendar.Spec) (*calendar.Calendar, error) {
	c, err := calendar.New(sp)
	if err != nil {
		var se *calendar.SpecError
		if errors.As(err, &se) {
			f := se.Field
			if f == "name" {
				f = "id"
			}
			return nil, badField(f, "%q: %s", se.Value, se.Reason)
		}
		return nil, badField("", "%v", err)
	}
	return c, nil
}

func (a *API) putCalendar(w http.ResponseWriter, r *http.Request) error {
	var in calendarInput
	if err := a.decode(w, r, &in); err != nil {
		return err
	}
	name := r.PathValue("id")
	if !queueID.MatchString(name) {
		return badField("id", "1–64 lower-case letters, digits, '.', '-' or '_'")
	}
	if in.Name != "" && in.Name != name {
		return badField("name", "the name of a calendar cannot change")
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	sp := calendar.Spec{Name: name, TimeZone: in.TimeZone, Weekly: in.Weekly, Holidays: in.Holidays, Workdays: in.Workdays}
	if _, err := compile(sp); err != nil {
		return err
	}
	stored := raw(sp)
	ctx := r.Context()
	now := a.o.Now()
	created := false
	var after CalendarView
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		var before any
		action := "admin.calendar.update"
		b, err := a.calendarView(ctx, tx, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if want != 0 {
				return store.ErrNotFound
			}
			created, action = true, "admin.calendar.create"
			if _, err := tx.CreateCalendar(ctx, name, string(stored), now); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if _, err := tx.BumpVersion(ctx, store.VersionedCalendars, name, want, now); err != nil {
				return err
			}
			if err := tx.SetCalendarSpec(ctx, name, string(stored), now); err != nil {
				return err
			}
			before = b
		}
		if after, err = a.calendarView(ctx, tx, name); err != nil {
			return err
		}
		return a.record(ctx, tx, r, change{action: action, kind: "calendar", id: name, before: before, aft: after})
	})
	if err != nil {
		return err
	}
	a.calendarChanged(ctx, name)
	w.Header().Set("ETag", etag(after.Version))
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, after)
}

func (a *API) deleteCalendar(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("id")
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		if _, err := tx.BumpVersion(ctx, store.VersionedCalendars, name, want, a.o.Now()); err != nil {
			return err
		}
		// A queue's opening calendar stays while the queue names it.
		routings, err := tx.QueueRoutings(ctx)
		if err != nil {
			return err
		}
		for _, id := range slices.Sorted(maps.Keys(routings)) {
			if rt, err := ParseRouting(routings[id]); err == nil && rt.Calendar == name {
				return &fieldError{Field: "name", Status: http.StatusConflict, Code: "conflict", Message: "queue " + id + " opens by this calendar"}
			}
		}
		before, err := a.calendarView(ctx, tx, name)
		if err != nil {
			return err
		}
		before.Version--
		if err := tx.DeleteCalendar(ctx, name); err != nil {
			return err
		}
		return a.record(ctx, tx, r, change{action: "admin.calendar.delete", kind: "calendar", id: name, before: before})
	})
	if err != nil {
		return err
	}
	a.calendarChanged(ctx, name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// calendarChanged installs the stored calendars in the node's set, so the
// IVR and the ticket SLAs follow at once, and tells the ticket desk to
// work its open tickets' deadlines out again. The change is committed:
// failures here are logged (the next change or a restart installs it).
func (a *API) calendarChanged(ctx context.Context, name string) {
	if a.o.Calendars == nil {
		return
	}
	// Serialised, so the last installation read the last commit.
	a.calMu.Lock()
	err := LoadCalendars(ctx, a.o.Store, a.o.Calendars)
	a.calMu.Unlock()
	if err != nil {
		a.o.Logger.Error("calendar change stored but not installed", "calendar", name, "err", err)
		return
	}
	if a.o.CalendarChanged != nil {
		a.o.CalendarChanged(ctx, name)
	}
}

// Span is a stretch of open time.
type Span struct {
	Opens  time.Time `json:"opens"`
	Closes time.Time `json:"closes,omitzero"` // zero: open from then on
}

// Preview is what a calendar does from an instant on.
type Preview struct {
	From     time.Time `json:"from"`
	TimeZone string    `json:"time_zone"`
	OpenNow  bool      `json:"open_now"`
	Spans    []Span    `json:"spans"` // the next open stretches, the current one first
}

// preview lists the next count open stretches of c from t.
func preview(c *calendar.Calendar, t time.Time, count int) Preview {
	t = t.In(c.Location())
	p := Preview{From: t, TimeZone: c.Location().String(), OpenNow: c.IsOpen(t), Spans: []Span{}}
	for len(p.Spans) < count {
		o := c.NextOpen(t)
		if o.IsZero() {
			break
		}
		cl := c.NextClose(o)
		p.Spans = append(p.Spans, Span{Opens: o, Closes: cl})
		if cl.IsZero() || !cl.After(o) {
			break
		}
		t = cl
	}
	return p
}

// previewParams reads from (RFC 3339, default now) and count (1–50, default 7).
func (a *API) previewParams(r *http.Request) (time.Time, int, error) {
	from, count := a.o.Now(), 7
	q := r.URL.Query()
	if s := q.Get("from"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return from, 0, badField("from", "an RFC 3339 time, e.g. 2026-10-01T09:00:00+08:00")
		}
		from = t
	}
	if s := q.Get("count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 50 {
			return from, 0, badField("count", "a number from 1 to 50")
		}
		count = n
	}
	return from, count, nil
}

func (a *API) previewCalendar(w http.ResponseWriter, r *http.Request) error {
	from, count, err := a.previewParams(r)
	if err != nil {
		return err
	}
	v, err := a.calendarView(r.Context(), a.o.Store, r.PathValue("id"))
	if err != nil {
		return err
	}
	c, err := compile(v.Spec)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, preview(c, from, count))
}

// previewSpec previews a calendar not saved yet (the page's form): the
// same validation as a PUT, nothing stored.
func (a *API) previewSpec(w http.ResponseWriter, r *http.Request) error {
	var in calendarInput
	if err := a.decode(w, r, &in); err != nil {
		return err
	}
	from, count, err := a.previewParams(r)
	if err != nil {
		return err
	}
	name := in.Name
	if name == "" {
		name = "preview"
	}
	c, err := compile(calendar.Spec{Name: name, TimeZone: in.TimeZone, Weekly: in.Weekly, Holidays: in.Holidays, Workdays: in.Workdays})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, preview(c, from, count))
}
