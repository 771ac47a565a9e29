// Package kbapi is the knowledge base's REST API: search for agents and
// for the public, and article CRUD for editors. It speaks HTTP; package
// knowledge decides.
package kbapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/httpapi"
	"github.com/hotline10000/hotline/knowledge"
)

// API serves the knowledge base over HTTP.
type API struct {
	svc     *knowledge.Service
	now     func() time.Time
	maxBody int64
}

// New returns the API over svc.
func New(svc *knowledge.Service, now func() time.Time, maxBody int64) *API {
	if now == nil {
		now = time.Now
	}
	if maxBody <= 0 {
		maxBody = 1 << 20
	}
	return &API{svc: svc, now: now, maxBody: maxBody}
}

// Routes mounts the API: reading behind auth.PermKB, writing behind
// auth.PermKBEdit, the public search and article open (public published
// articles only).
func (a *API) Routes(mux *http.ServeMux, au *auth.Service) {
	read := func(h http.HandlerFunc) http.Handler { return au.Require(auth.PermKB, h) }
	edit := func(h http.HandlerFunc) http.Handler { return au.Require(auth.PermKBEdit, h) }
	mux.Handle("GET /api/v1/kb/search", read(a.search))
	mux.Handle("GET /api/v1/kb/articles", read(a.list))
	mux.Handle("GET /api/v1/kb/articles/{id}", read(a.get))
	mux.Handle("GET /api/v1/kb/articles/{id}/versions", read(a.versions))
	mux.Handle("GET /api/v1/kb/articles/{id}/diff", read(a.diff))
	mux.Handle("POST /api/v1/kb/articles", edit(a.create))
	mux.Handle("PUT /api/v1/kb/articles/{id}", edit(a.update))
	mux.Handle("POST /api/v1/kb/articles/{id}/status", edit(a.status))
	mux.Handle("POST /api/v1/kb/articles/{id}/restore", edit(a.restore))
	mux.HandleFunc("GET /api/v1/public/kb/search", a.publicSearch)
	mux.HandleFunc("GET /api/v1/public/kb/articles/{id}", a.publicGet)
}

func (a *API) query(w http.ResponseWriter, r *http.Request) (knowledge.Query, bool) {
	v := r.URL.Query()
	q := knowledge.Query{Text: v.Get("q"), Category: v.Get("category"), Product: v.Get("product"), Lang: v.Get("lang"), At: a.now()}
	switch v.Get("facets") {
	case "", "false", "0":
	case "true", "1":
		q.Facets = true
	default:
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_request", "facets", "true or false")
		return q, false
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &q.Limit}, {"offset", &q.Offset}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_request", p.name, "a number from 0")
				return q, false
			}
			*p.dst = n
		}
	}
	if len(v.Get("q")) > 4*knowledge.MaxQueryRunes {
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_request", "q", "longer than 200 characters")
		return q, false
	}
	if q.Lang != "" && q.Lang != "zh" && q.Lang != "en" {
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_request", "lang", `"zh" or "en"`)
		return q, false
	}
	return q, true
}

func (a *API) search(w http.ResponseWriter, r *http.Request) {
	q, ok := a.query(w, r)
	if !ok {
		return
	}
	if s := r.URL.Query().Get("status"); s != "" {
		for _, st := range strings.Split(s, ",") {
			if !knowledge.Status(st).Valid() {
				httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_request", "status", "draft, review, published or archived")
				return
			}
			q.Statuses = append(q.Statuses, knowledge.Status(st))
		}
	}
	if aud := r.URL.Query().Get("audience"); aud == string(knowledge.Public) {
		q.Audience = knowledge.Public
	}
	a.runSearch(w, r, q)
}

func (a *API) publicSearch(w http.ResponseWriter, r *http.Request) {
	q, ok := a.query(w, r)
	if !ok {
		return
	}
	q.Audience, q.Statuses = knowledge.Public, []knowledge.Status{knowledge.Published}
	a.runSearch(w, r, q)
}

func (a *API) runSearch(w http.ResponseWriter, r *http.Request, q knowledge.Query) {
	res, err := a.svc.Search(r.Context(), q)
	if err != nil {
		httpapi.WriteError(w, http.StatusInternalServerError, "internal", "search failed")
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, res)
}

// view is an article as the API shows it: the Markdown and its rendering.
type view struct {
	knowledge.Article
	HTML string `json:"html"`
}

func show(w http.ResponseWriter, status int, art knowledge.Article) {
	w.Header().Set("ETag", etag(art.Version))
	httpapi.WriteJSON(w, status, view{art, knowledge.Render(art.Body)})
}

func etag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	as, err := a.svc.List(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	if as == nil {
		as = []knowledge.Article{}
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"articles": as})
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	art, err := a.svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, err)
		return
	}
	show(w, http.StatusOK, art)
}

func (a *API) publicGet(w http.ResponseWriter, r *http.Request) {
	art, err := a.svc.Get(r.Context(), r.PathValue("id"))
	if err == nil && (art.Audience != knowledge.Public || art.Status != knowledge.Published || !art.ValidAt(a.now())) {
		err = knowledge.ErrNotFound
	}
	if err != nil {
		fail(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"id": art.ID, "title": art.Title, "lang": art.Lang,
		"category": art.Category, "html": knowledge.Render(art.Body), "updated_at": art.UpdatedAt})
}

func (a *API) versions(w http.ResponseWriter, r *http.Request) {
	hs, err := a.svc.History(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"versions": hs})
}

func (a *API) diff(w http.ResponseWriter, r *http.Request) {
	from, err1 := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
	to, err2 := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
	if err1 != nil || err2 != nil {
		field := "from"
		if err1 == nil {
			field = "to"
		}
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_request", field, "a version number")
		return
	}
	d, err := a.svc.Diff(r.Context(), r.PathValue("id"), from, to)
	if err != nil {
		fail(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "from": from, "to": to, "diff": d})
}

func editor(r *http.Request) string {
	p, _ := auth.PrincipalFrom(r.Context())
	return p.Login
}

// ifMatch reads the version an editor last saw; a write without one is
// refused (428) so no edit silently overwrites another.
func ifMatch(w http.ResponseWriter, r *http.Request) (int64, bool) {
	h := strings.TrimPrefix(strings.TrimSpace(r.Header.Get("If-Match")), "W/")
	v, err := strconv.ParseInt(strings.Trim(h, `"`), 10, 64)
	if h == "" || err != nil || v < 1 {
		httpapi.WriteFieldError(w, http.StatusPreconditionRequired, "if_match_required", "If-Match", `send the article's ETag, e.g. If-Match: "3"`)
		return 0, false
	}
	return v, true
}

func (a *API) create(w http.ResponseWriter, r *http.Request) {
	var art knowledge.Article
	if err := httpapi.Decode(w, r, a.maxBody, &art); err != nil {
		httpapi.WriteDecodeError(w, err)
		return
	}
	art, err := a.svc.Create(r.Context(), art, editor(r))
	if err != nil {
		fail(w, err)
		return
	}
	show(w, http.StatusCreated, art)
}

func (a *API) update(w http.ResponseWriter, r *http.Request) {
	v, ok := ifMatch(w, r)
	if !ok {
		return
	}
	var art knowledge.Article
	if err := httpapi.Decode(w, r, a.maxBody, &art); err != nil {
		httpapi.WriteDecodeError(w, err)
		return
	}
	art.ID = r.PathValue("id")
	art, err := a.svc.Update(r.Context(), art, v, editor(r))
	if err != nil {
		fail(w, err)
		return
	}
	show(w, http.StatusOK, art)
}

func (a *API) status(w http.ResponseWriter, r *http.Request) {
	v, ok := ifMatch(w, r)
	if !ok {
		return
	}
	var body struct {
		Status knowledge.Status `json:"status"`
	}
	if err := httpapi.Decode(w, r, a.maxBody, &body); err != nil {
		httpapi.WriteDecodeError(w, err)
		return
	}
	if !body.Status.Valid() {
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_request", "status", "draft, review, published or archived")
		return
	}
	art, err := a.svc.SetStatus(r.Context(), r.PathValue("id"), body.Status, v, editor(r))
	if err != nil {
		fail(w, err)
		return
	}
	show(w, http.StatusOK, art)
}

func (a *API) restore(w http.ResponseWriter, r *http.Request) {
	v, ok := ifMatch(w, r)
	if !ok {
		return
	}
	var body struct {
		Version int64 `json:"version"`
	}
	if err := httpapi.Decode(w, r, a.maxBody, &body); err != nil {
		httpapi.WriteDecodeError(w, err)
		return
	}
	art, err := a.svc.Restore(r.Context(), r.PathValue("id"), body.Version, v, editor(r))
	if err != nil {
		fail(w, err)
		return
	}
	show(w, http.StatusOK, art)
}

func fail(w http.ResponseWriter, err error) {
	var fe *knowledge.FieldError
	switch {
	case errors.As(err, &fe):
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_request", fe.Field, fe.Reason)
	case errors.Is(err, knowledge.ErrNotFound):
		httpapi.WriteError(w, http.StatusNotFound, "not_found", "no such article")
	case errors.Is(err, knowledge.ErrConflict):
		httpapi.WriteFieldError(w, http.StatusConflict, "version_conflict", "If-Match", "the article was changed meanwhile: reload it and edit again")
	case errors.Is(err, knowledge.ErrExists):
		httpapi.WriteFieldError(w, http.StatusConflict, "exists", "id", "an article with this id exists")
	case errors.Is(err, knowledge.ErrTransition):
		httpapi.WriteFieldError(w, http.StatusConflict, "status_not_allowed", "status", err.Error())
	default:
		httpapi.WriteError(w, http.StatusInternalServerError, "internal", "knowledge base unavailable")
	}
}
