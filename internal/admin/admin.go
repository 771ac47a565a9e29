package admin

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/calendar"
	"github.com/hotline10000/hotline/internal/httpapi"
	"github.com/hotline10000/hotline/internal/store"
)

// Routing is the running ACD as administration changes it (*acd.Engine).
// Until SetRouting is called changes are stored only: the router reads
// them when it starts.
type Routing interface {
	// Skills lists the skills some queue of the router uses.
	Skills(ctx context.Context) ([]string, error)
	// SetSkills replaces a logged-in agent's skills (acd.ErrUnknownAgent
	// when the agent is not logged in).
	SetSkills(ctx context.Context, by, agentID string, skills map[string]int) error
}

// Options configure an API.
type Options struct {
	Store *store.Store
	Audit *audit.Log
	// Hasher hashes the passwords of new agents and of resets.
	Hasher            *auth.Hasher
	PasswordMinLength int
	// Revoke ends every session of an agent (auth.Service.RevokeAgent):
	// called when an agent is disabled or its password reset.
	Revoke func(ctx context.Context, agentID string) (int64, error)
	// ClientAddr is the address a request came from, for the audit trail
	// (default: the connection's address).
	ClientAddr func(*http.Request) string
	MaxBody    int64 // request bodies larger than this are refused (default 1 MiB)
	// Calendars is the node's set of administered calendars, which the IVR
	// and the ticket SLAs follow; every calendar change installs the stored
	// ones in it. Nil: changes are stored only.
	Calendars *calendar.Set
	// CalendarChanged is called after a calendar change is installed (the
	// ticket desk works the open tickets' deadlines out again).
	CalendarChanged func(ctx context.Context, name string)
	// Flows is the node's flow set, which uploads are checked against and
	// activations swap. Nil: flow sets cannot be uploaded or activated.
	Flows Flows
	// SIPRealm is the digest realm agents' SIP passwords are hashed for
	// (phones.realm; default "hotline").
	SIPRealm string
	Now      func() time.Time
	Logger   *slog.Logger
}

// API serves the administration endpoints.
type API struct {
	o       Options
	routing atomic.Pointer[routingBox]
	calMu   sync.Mutex // orders installations of the calendars
	flowMu  sync.Mutex // one flow set activation at a time
	desk    atomic.Pointer[deskBox]
	tickets atomic.Pointer[ticketsBox]
	notices atomic.Pointer[[]ivrNotice] // the live IVR notices (notices.go)
	// noticeMu orders loads of the notices; noticeStamp is the store's
	// announcements stamp of the last load.
	noticeMu    sync.Mutex
	noticeStamp string
}

type routingBox struct{ r Routing }

// New returns an API over o.Store.
func New(o Options) *API {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	if o.ClientAddr == nil {
		o.ClientAddr = auth.ClientAddr
	}
	if o.Audit == nil {
		o.Audit = audit.New(o.Store, audit.Options{Now: o.Now})
	}
	return &API{o: o}
}

// SetRouting hands the API the running ACD once it is up.
func (a *API) SetRouting(r Routing) { a.routing.Store(&routingBox{r: r}) }

func (a *API) router() Routing {
	if b := a.routing.Load(); b != nil {
		return b.r
	}
	return nil
}

// Routes registers the administration API on mux behind authz.
func (a *API) Routes(mux *http.ServeMux, authz *auth.Service) {
	h := func(perm auth.Permission, fn func(w http.ResponseWriter, r *http.Request) error) http.Handler {
		return authz.Require(perm, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := fn(w, r); err != nil {
				a.writeError(w, r, err)
			}
		}))
	}
	mux.Handle("GET /api/v1/admin/agents", h(auth.PermAgentsRead, a.listAgents))
	mux.Handle("POST /api/v1/admin/agents", h(auth.PermAgentsManage, a.createAgent))
	mux.Handle("GET /api/v1/admin/agents/{id}", h(auth.PermAgentsRead, a.getAgent))
	mux.Handle("PATCH /api/v1/admin/agents/{id}", h(auth.PermSupervise, a.updateAgent))
	mux.Handle("POST /api/v1/admin/agents/{id}/password", h(auth.PermAgentsManage, a.resetPassword))
	mux.Handle("GET /api/v1/admin/skills", h(auth.PermAgentsRead, a.listSkills))
	mux.Handle("GET /api/v1/admin/skills/{name}", h(auth.PermAgentsRead, a.getSkill))
	mux.Handle("PUT /api/v1/admin/skills/{name}", h(auth.PermConfigure, a.putSkill))
	mux.Handle("DELETE /api/v1/admin/skills/{name}", h(auth.PermConfigure, a.deleteSkill))
	mux.Handle("GET /api/v1/admin/audit", h(auth.PermSupervise, a.listAudit))
	a.queueRoutes(mux, h)
	a.customerRoutes(mux, h)
	a.calendarRoutes(mux, h)
	a.flowRoutes(mux, h)
	a.announcementRoutes(mux, h)
	a.phoneRoutes(mux, h)
	a.ticketRoutes(mux, h)
}

type handle = func(perm auth.Permission, fn func(w http.ResponseWriter, r *http.Request) error) http.Handler

// writeError answers err: field errors 400 naming the field, the store's
// sentinels as 404 / 409, anything else 500 (logged).
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var fe *fieldError
	switch {
	case errors.As(err, &fe):
		status, code := fe.Status, fe.Code
		if status == 0 {
			status = http.StatusBadRequest
		}
		if code == "" {
			code = "invalid_field"
		}
		httpapi.WriteFieldError(w, status, code, fe.Field, fe.Message)
	case errors.Is(err, ErrForbidden):
		httpapi.WriteError(w, http.StatusForbidden, "forbidden", strings.TrimPrefix(err.Error(), "forbidden: "))
	case errors.Is(err, store.ErrNotFound):
		httpapi.WriteError(w, http.StatusNotFound, "not_found", "no such "+kindOf(r))
	case errors.Is(err, store.ErrStale):
		httpapi.WriteFieldError(w, http.StatusConflict, "conflict", "If-Match",
			"the "+kindOf(r)+" changed since you read it: read it again and retry")
	case errors.Is(err, store.ErrConflict):
		httpapi.WriteError(w, http.StatusConflict, "already_exists", "a "+kindOf(r)+" with this key exists")
	case errors.Is(err, store.ErrBusy), errors.Is(err, context.DeadlineExceeded):
		httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "the store is busy; retry")
	default:
		a.o.Logger.Error("admin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "internal", "the change failed; nothing was applied")
	}
}

// kindOf names the resource of a request path for error messages.
func kindOf(r *http.Request) string {
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/api/v1/"), "admin/")
	kind, _, _ := strings.Cut(rest, "/")
	return strings.TrimSuffix(kind, "s")
}

func (a *API) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if err := httpapi.Decode(w, r, a.o.MaxBody, v); err != nil {
		var fe *httpapi.FieldError
		if errors.As(err, &fe) {
			status := http.StatusBadRequest
			if strings.HasPrefix(fe.Message, "body larger") {
				status = http.StatusRequestEntityTooLarge
			}
			// encoding/json names a field of an embedded struct with the
			// struct's Go name ("QueueRouting.weight"); the request has none.
			field := strings.ReplaceAll(fe.Field, "QueueRouting.", "")
			return &fieldError{Field: field, Message: fe.Message, Status: status, Code: "invalid_request"}
		}
		return &fieldError{Message: err.Error(), Code: "invalid_request"}
	}
	return nil
}

// etag is the ETag of a row at version v.
func etag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// versioned is a resource view with the version its ETag carries.
type versioned interface{ etagVersion() int64 }

func (v AgentView) etagVersion() int64    { return v.Version }
func (v CustomerView) etagVersion() int64 { return v.Version }
func (v QueueView) etagVersion() int64    { return v.Version }

// viewFunc reads one resource's view by id.
type viewFunc[V versioned] func(context.Context, *store.Store, string) (V, error)

// writeVersioned answers 200 with v and its ETag.
func writeVersioned(w http.ResponseWriter, v versioned) error {
	w.Header().Set("ETag", etag(v.etagVersion()))
	return writeJSON(w, http.StatusOK, v)
}

// getOne answers the GET of the resource named by the path's id.
func getOne[V versioned](w http.ResponseWriter, r *http.Request, st *store.Store, view viewFunc[V]) error {
	v, err := view(r.Context(), st, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeVersioned(w, v)
}

// replay answers a creation repeated under its Idempotency-Key with the
// resource as it is now (done); otherwise it returns the key the new
// creation is recorded under.
func replay[V versioned](a *API, w http.ResponseWriter, r *http.Request, kind string, view viewFunc[V]) (key string, done bool, err error) {
	key, err = idempotencyKey(r)
	if err != nil {
		return "", false, err
	}
	id, err := a.replayed(r.Context(), r, key, kind)
	if err != nil || id == "" {
		return key, false, err
	}
	v, err := view(r.Context(), a.o.Store, id)
	if err != nil {
		return key, true, err
	}
	return key, true, writeVersioned(w, v)
}

// ifMatch reads the version an edit expects from If-Match ("3", W/"3");
// 0 when absent (the edit applies to whatever version is current).
func ifMatch(r *http.Request) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || n <= 0 {
		return 0, &fieldError{Field: "If-Match", Message: "not an ETag this API gave out"}
	}
	return n, nil
}

// idempotencyKey reads the Idempotency-Key of a creation ("" when none).
func idempotencyKey(r *http.Request) (string, error) {
	k := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if len(k) > 128 {
		return "", &fieldError{Field: "Idempotency-Key", Message: "at most 128 characters"}
	}
	return k, nil
}

// change is one audited change: its action, subject and before/after views.
type change struct {
	action      string // "admin.agent.update"
	kind, id    string
	before, aft any
}

// record writes the audit record of c inside tx.
func (a *API) record(ctx context.Context, tx *store.Store, r *http.Request, c change) error {
	before, after, err := audit.Change(c.before, c.aft)
	if err != nil {
		return err
	}
	p, _ := auth.PrincipalFrom(r.Context())
	rec := audit.Record{Action: c.action, SubjectKind: c.kind, SubjectID: c.id, Before: before, After: after}.
		By(p, a.o.ClientAddr(r))
	_, err = a.o.Audit.In(tx).Append(ctx, rec)
	return err
}

// actor is the audit actor of the request's principal.
func actor(r *http.Request) string {
	p, _ := auth.PrincipalFrom(r.Context())
	id, _ := audit.Actor(p)
	return id
}

// replayed looks up a creation already made with the request's
// idempotency key: the subject's id, or "" when the key is new.
func (a *API) replayed(ctx context.Context, r *http.Request, key, kind string) (string, error) {
	if key == "" {
		return "", nil
	}
	k, id, err := a.o.Store.RequestOf(ctx, actor(r), key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	case k != kind:
		return "", &fieldError{Field: "Idempotency-Key", Status: http.StatusConflict, Code: "conflict",
			Message: "this key was used to create a " + k}
	}
	return id, nil
}

// claim records the idempotency key of a creation inside its transaction.
func (a *API) claim(ctx context.Context, tx *store.Store, r *http.Request, key, kind, id string) error {
	if key == "" {
		return nil
	}
	if _, _, err := tx.ClaimRequest(ctx, actor(r), key, kind, id, a.o.Now()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return &fieldError{Field: "Idempotency-Key", Status: http.StatusConflict, Code: "conflict",
				Message: "a request with this key is being made; retry"}
		}
		return err
	}
	return nil
}

// page reads the paging parameters limit (1–500, default 100) and after.
func page(r *http.Request) (after string, limit int, err error) {
	limit = 100
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return "", 0, badField("limit", "a number from 1 to 500")
		}
		limit = n
	}
	return r.URL.Query().Get("after"), limit, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	httpapi.WriteJSON(w, status, v)
	return nil
}

// raw marshals v for the audit trail or a comparison.
func raw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
