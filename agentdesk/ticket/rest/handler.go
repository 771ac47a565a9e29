package rest

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/ratelimit"
)

// Handler serves the ticket API.
type Handler struct {
	svc        *ticket.Service
	identify   ticket.Identify
	log        *slog.Logger
	clock      ticket.Clock
	guard      *ratelimit.Failures
	mux        *http.ServeMux
	audit      Auditor
	clientAddr func(*http.Request) string
	clear      func(ctx context.Context) bool
}

// Auditor records who exported tickets (audit.Log).
type Auditor interface {
	Append(ctx context.Context, recs ...audit.Record) ([]audit.Record, error)
}

// Options tune the Handler; zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	Clock  ticket.Clock // for the status-check limit; default the wall clock
	// StatusFailures failed status checks per client address are allowed
	// per StatusWindow (default 10 per 15 minutes); then 429.
	StatusFailures int
	StatusWindow   time.Duration
	// Audit records every CSV export before it starts; nil records none.
	Audit Auditor
	// ClientAddr tells a request's client address for the audit trail;
	// default the socket's peer.
	ClientAddr func(*http.Request) string
	// MayExportClear reports whether the caller may export phone and ID
	// numbers in clear; default: the auth principal's export.clear.
	MayExportClear func(ctx context.Context) bool
}

// New returns the API over svc. identify yields the authenticated caller.
func New(svc *ticket.Service, identify ticket.Identify, o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = ticket.SystemClock{}
	}
	if o.StatusFailures <= 0 {
		o.StatusFailures = 10
	}
	if o.StatusWindow <= 0 {
		o.StatusWindow = 15 * time.Minute
	}
	if o.ClientAddr == nil {
		o.ClientAddr = auth.ClientAddr
	}
	if o.MayExportClear == nil {
		o.MayExportClear = func(ctx context.Context) bool {
			p, ok := auth.PrincipalFrom(ctx)
			return ok && p.Can(auth.PermExportClear)
		}
	}
	h := &Handler{svc: svc, identify: identify, log: o.Logger, clock: o.Clock,
		guard: ratelimit.NewFailures(o.StatusFailures, o.StatusWindow), mux: http.NewServeMux(),
		audit: o.Audit, clientAddr: o.ClientAddr, clear: o.MayExportClear}
	staff := func(fn func(http.ResponseWriter, *http.Request, ticket.Actor) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			a, ok := identify(r.Context())
			if !ok || a.ID == "" {
				h.fail(w, r, &requestError{status: http.StatusUnauthorized,
					apiError: apiError{Code: codeUnauthenticated, Message: "authentication required"}})
				return
			}
			if err := fn(w, r, a); err != nil {
				h.fail(w, r, err)
			}
		}
	}
	public := func(fn func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if err := fn(w, r); err != nil {
				h.fail(w, r, err)
			}
		}
	}
	h.mux.Handle("POST /tickets", staff(h.create))
	h.mux.Handle("GET /tickets", staff(h.search))
	h.mux.Handle("GET /tickets/export.csv", staff(h.export))
	h.mux.Handle("GET /tickets/{id}", staff(h.get))
	h.mux.Handle("POST /tickets/{id}/actions", staff(h.action))
	h.mux.Handle("POST /tickets/{id}/claim", staff(h.shortcut(ticket.Claim)))
	h.mux.Handle("POST /tickets/{id}/dispatch", staff(h.shortcut(ticket.Dispatch)))
	h.mux.Handle("POST /tickets/{id}/merge", staff(h.shortcut(ticket.Merge)))
	h.mux.Handle("POST /tickets/{id}/comments", staff(h.comment))
	h.mux.Handle("POST /tickets/{id}/urge", staff(h.urge))
	h.mux.Handle("POST /tickets/{id}/watch", staff(h.watch(true)))
	h.mux.Handle("DELETE /tickets/{id}/watch", staff(h.watch(false)))
	h.mux.Handle("GET /pools/{group}", staff(h.pool))
	h.mux.Handle("POST /public/ticket-status", public(h.status))
	h.mux.Handle("/", public(func(w http.ResponseWriter, r *http.Request) error {
		return &requestError{status: http.StatusNotFound, apiError: apiError{Code: "not_found", Message: "no such route"}}
	}))
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// pathID reads {id}: a ticket id, or a ticket number (the 14 digits staff
// and customers quote), looked up as the caller.
func (h *Handler) pathID(r *http.Request, a ticket.Actor) (int64, error) {
	v := r.PathValue("id")
	if ticket.ValidNumber(v) {
		return h.svc.IDByNumber(r.Context(), a, v)
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, badField("id", "not a ticket id or number")
	}
	return id, nil
}

// location is the absolute URL of ticket id, beside the collection the
// request was sent to (the API may be mounted under any prefix).
func location(r *http.Request, id int64) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path := r.RequestURI
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if path == "" || path[0] != '/' {
		path = r.URL.Path // a client-side request (tests)
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: strings.TrimSuffix(path, "/") + "/" + strconv.FormatInt(id, 10)}).String()
}

// ifMatch reads a version from an If-Match header ("3" or 3).
func ifMatch(r *http.Request) (int64, error) {
	v := strings.Trim(strings.TrimPrefix(r.Header.Get("If-Match"), "W/"), `"`)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, badField("If-Match", "not a ticket version")
	}
	return n, nil
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request, a ticket.Actor) error {
	var d ticket.Draft
	if err := decode(w, r, &d); err != nil {
		return err
	}
	t, replay, err := h.svc.Create(r.Context(), a, d, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(r, t.ID))
	w.Header().Set("ETag", etag(t))
	if replay {
		w.Header().Set("Idempotent-Replayed", "true")
		writeJSON(w, http.StatusOK, t)
		return nil
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func etag(t *ticket.Ticket) string { return `"` + strconv.FormatInt(t.Version, 10) + `"` }

func (h *Handler) get(w http.ResponseWriter, r *http.Request, a ticket.Actor) error {
	id, err := h.pathID(r, a)
	if err != nil {
		return err
	}
	d, err := h.svc.Detail(r.Context(), a, id)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(d.Ticket))
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (h *Handler) action(w http.ResponseWriter, r *http.Request, a ticket.Actor) error {
	var cmd ticket.Command
	if err := decode(w, r, &cmd); err != nil {
		return err
	}
	return h.do(w, r, a, cmd)
}

// shortcut serves /claim, /dispatch and /merge: the action is in the path.
func (h *Handler) shortcut(action ticket.Action) func(http.ResponseWriter, *http.Request, ticket.Actor) error {
	return func(w http.ResponseWriter, r *http.Request, a ticket.Actor) error {
		var cmd ticket.Command
		if r.ContentLength != 0 {
			if err := decode(w, r, &cmd); err != nil {
				return err
			}
		}
		if cmd.Action != "" && cmd.Action != action {
			return badField("action", "must be "+string(action)+" on this route")
		}
		cmd.Action = action
		return h.do(w, r, a, cmd)
	}
}

func (h *Handler) do(w http.ResponseWriter, r *http.Request, a ticket.Actor, cmd ticket.Command) error {
	id, err := h.pathID(r, a)
	if err != nil {
		return err
	}
	v, err := ifMatch(r)
	if err != nil {
		return err
	}
	if cmd.Version == 0 {
		cmd.Version = v
	}
	t, err := h.svc.Do(r.Context(), a, id, cmd)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(t))
	writeJSON(w, http.StatusOK, t)
	return nil
}

type noteRequest struct {
	Kind ticket.NoteKind `json:"kind"`
	Body string          `json:"body"`
}

func (h *Handler) comment(w http.ResponseWriter, r *http.Request, a ticket.Actor) error {
	id, err := h.pathID(r, a)
	if err != nil {
		return err
	}
	var req noteRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	n, err := h.svc.Comment(r.Context(), a, id, req.Kind, req.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, n)
	return nil
}

func (h *Handler) urge(w http.ResponseWriter, r *http.Request, a ticket.Actor) error {
	id, err := h.pathID(r, a)
	if err != nil {
		return err
	}
	var req struct {
		Body string `json:"body"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	n, err := h.svc.Urge(r.Context(), a, id, req.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, n)
	return nil
}

// page is a list response.
type page struct {
	Tickets []*ticket.Ticket `json:"tickets"`
	Limit   int              `json:"limit"`
	Offset  int              `json:"offset"`
	Next    *int             `json:"next_offset,omitempty"` // present when another page may follow
}

func newPage(ts []*ticket.Ticket, f ticket.Filter) page {
	if ts == nil {
		ts = []*ticket.Ticket{}
	}
	p := page{Tickets: ts, Limit: f.Limit, Offset: f.Offset}
	if len(ts) == f.Limit {
		n := f.Offset + f.Limit
		p.Next = &n
	}
	return p
}

func (h *Handler) search(w http.ResponseWriter, r *http.Request, a ticket.Actor) error {
	f, err := filterOf(r)
	if err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	ts, err := h.svc.Search(r.Context(), a, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(ts, f))
	return nil
}

func (h *Handler) pool(w http.ResponseWriter, r *http.Request, a ticket.Actor) error {
	f, err := filterOf(r, "limit", "offset")
	if err != nil {
		return err
	}
	group := r.PathValue("group")
	f.Group, f.Statuses, f.Sort = group, []ticket.Status{ticket.Pooled}, ticket.Urgency
	if err := f.Validate(); err != nil {
		return err
	}
	ts, err := h.svc.Pool(r.Context(), a, group, f.Limit, f.Offset)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(ts, f))
	return nil
}

func (h *Handler) export(w http.ResponseWriter, r *http.Request, a ticket.Actor) error {
	f, err := filterOf(r, append(slices.Clone(queryParams), "clear")...)
	if err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	// Permission and filter are checked before the first byte goes out.
	if a.Role != ticket.LeadRole && a.Role != ticket.SupervisorRole && a.Role != ticket.SystemRole {
		return ticket.ErrForbidden
	}
	var o ticket.ExportOptions
	if s := r.URL.Query().Get("clear"); s != "" {
		if o.Clear, err = strconv.ParseBool(s); err != nil {
			return badField("clear", "must be true or false")
		}
	}
	if o.Clear && !h.clear(r.Context()) {
		return &ticket.ForbiddenFieldError{Field: "clear", Reason: "exporting numbers in clear needs the export.clear permission"}
	}
	// Who exported what is recorded before anything leaves; no record, no export.
	if h.audit != nil {
		after, _ := json.Marshal(map[string]any{"filter": r.URL.Query(), "clear": o.Clear})
		rec := audit.Record{Action: audit.ActionTicketsExport, SubjectKind: audit.KindTickets,
			SubjectID: r.URL.RawQuery, After: after}
		if p, ok := auth.PrincipalFrom(r.Context()); ok {
			rec = rec.By(p, h.clientAddr(r))
		} else {
			rec.Actor, rec.ActorRole, rec.Address = a.ID, string(a.Role), h.clientAddr(r)
		}
		if _, err := h.audit.Append(r.Context(), rec); err != nil {
			h.log.ErrorContext(r.Context(), "ticket export not audited", "err", err)
			return &requestError{status: http.StatusServiceUnavailable,
				apiError: apiError{Code: "unavailable", Message: "export: the audit trail is unavailable"}}
		}
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="tickets.csv"`)
	if err := h.svc.Export(r.Context(), a, f, w, o); err != nil {
		h.log.ErrorContext(r.Context(), "ticket export", "err", err)
	}
	return nil
}

type statusRequest struct {
	Number string `json:"number"`
	Phone  string `json:"phone"`
}

// status is the public status check. The phone number travels in the body,
// not the URL, to keep it out of access logs.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) error {
	addr := auth.ClientAddr(r)
	if d := h.guard.Wait(addr, h.clock.Now()); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
		return &requestError{status: http.StatusTooManyRequests,
			apiError: apiError{Code: codeRateLimited, Message: "too many failed status checks"}}
	}
	var req statusRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	v, err := h.svc.CustomerStatus(r.Context(), req.Number, req.Phone)
	if err != nil {
		h.guard.Fail(addr, h.clock.Now())
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, v)
	return nil
}

// watch serves POST (start watching) and DELETE (stop) on /tickets/{id}/watch.
func (h *Handler) watch(on bool) func(http.ResponseWriter, *http.Request, ticket.Actor) error {
	return func(w http.ResponseWriter, r *http.Request, a ticket.Actor) error {
		id, err := h.pathID(r, a)
		if err != nil {
			return err
		}
		t, err := h.svc.Watch(r.Context(), a, id, on)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(t))
		writeJSON(w, http.StatusOK, t)
		return nil
	}
}
