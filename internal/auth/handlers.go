package auth

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hotline10000/hotline/internal/httpapi"
	"github.com/hotline10000/hotline/internal/store"
)

// Routes registers the authentication and account API on mux:
//
//	POST   /api/v1/auth/login              public
//	POST   /api/v1/auth/logout             any session
//	GET    /api/v1/auth/me                 any principal
//	GET    /api/v1/agents                  agents.read
//	POST   /api/v1/agents                  agents.manage
//	POST   /api/v1/agents/{id}/logout      supervise
//	PUT    /api/v1/agents/{id}/password    the agent itself (with its current password) or agents.manage
//	GET    /api/v1/apikeys                 apikeys
//	POST   /api/v1/apikeys                 apikeys
//	DELETE /api/v1/apikeys/{id}            apikeys
func (s *Service) Routes(mux *http.ServeMux, maxBody int64) {
	h := &handlers{s: s, maxBody: maxBody}
	mux.HandleFunc("POST /api/v1/auth/login", h.login)
	mux.Handle("POST /api/v1/auth/logout", s.Authenticated(http.HandlerFunc(h.logout)))
	mux.Handle("GET /api/v1/auth/me", s.Authenticated(http.HandlerFunc(h.me)))
	mux.Handle("GET /api/v1/agents", s.Require(PermAgentsRead, http.HandlerFunc(h.listAgents)))
	mux.Handle("POST /api/v1/agents", s.Require(PermAgentsManage, http.HandlerFunc(h.createAgent)))
	mux.Handle("POST /api/v1/agents/{id}/logout", s.Require(PermSupervise, http.HandlerFunc(h.logoutAgent)))
	mux.Handle("PUT /api/v1/agents/{id}/password", s.Authenticated(http.HandlerFunc(h.setPassword)))
	mux.Handle("GET /api/v1/apikeys", s.Require(PermAPIKeys, http.HandlerFunc(h.listKeys)))
	mux.Handle("POST /api/v1/apikeys", s.Require(PermAPIKeys, http.HandlerFunc(h.createKey)))
	mux.Handle("DELETE /api/v1/apikeys/{id}", s.Require(PermAPIKeys, http.HandlerFunc(h.revokeKey)))
}

type handlers struct {
	s       *Service
	maxBody int64
}

// AgentView is an agent as the API shows it: never the password hash.
type AgentView struct {
	ID          string    `json:"id"`
	Login       string    `json:"login"`
	DisplayName string    `json:"display_name"`
	Role        string    `json:"role"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

func viewAgent(a store.Agent) AgentView {
	return AgentView{ID: a.ID, Login: a.Login, DisplayName: a.DisplayName, Role: string(a.Role), Disabled: a.Disabled, CreatedAt: a.CreatedAt}
}

func (h *handlers) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := httpapi.Decode(w, r, 4096, &req); err != nil {
		httpapi.WriteDecodeError(w, err)
		return
	}
	if req.Login == "" {
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_field", "login", "login is required")
		return
	}
	token, sess, a, err := h.s.Login(r.Context(), req.Login, req.Password, ClientAddr(r), r.UserAgent())
	var limited *RateLimitError
	switch {
	case errors.As(err, &limited):
		writeRateLimited(w, limited)
		return
	case errors.Is(err, ErrBadCredentials):
		httpapi.WriteError(w, http.StatusUnauthorized, "bad_credentials", err.Error())
		return
	case errors.Is(err, ErrDisabled):
		httpapi.WriteError(w, http.StatusForbidden, "account_disabled", err.Error())
		return
	case err != nil:
		h.s.o.Logger.Error("login", "err", err)
		httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "login is unavailable")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{
		"token":        token,
		"session_id":   sess.ID,
		"expires_at":   sess.ExpiresAt,
		"idle_timeout": h.s.o.IdleTimeout.Seconds(),
		"agent":        viewAgent(a),
	})
}

func (h *handlers) logout(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	if err := h.s.Logout(r.Context(), p); err != nil {
		httpapi.WriteError(w, http.StatusBadRequest, "not_a_session", "API keys are revoked, not logged out")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

func (h *handlers) me(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	perms := []Permission{}
	for _, g := range grants[p.Role] {
		perms = append(perms, g)
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{
		"role": p.Role, "agent_id": p.AgentID, "login": p.Login, "display_name": p.Name,
		"session_id": p.SessionID, "permissions": perms,
	})
}

func (h *handlers) listAgents(w http.ResponseWriter, r *http.Request) {
	all, err := h.s.store.Agents(r.Context())
	if err != nil {
		h.storeError(w, err)
		return
	}
	out := make([]AgentView, len(all))
	for i, a := range all {
		out[i] = viewAgent(a)
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"agents": out})
}

func (h *handlers) createAgent(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Login       string `json:"login"`
		DisplayName string `json:"display_name"`
		Role        Role   `json:"role"`
		Password    string `json:"password"`
	}
	if err := httpapi.Decode(w, r, h.maxBody, &req); err != nil {
		httpapi.WriteDecodeError(w, err)
		return
	}
	switch {
	case !validLogin(req.Login):
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_field", "login", "1–64 letters, digits, '.', '-' or '_'")
		return
	case strings.TrimSpace(req.DisplayName) == "" || len([]rune(req.DisplayName)) > 128:
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_field", "display_name", "1–128 characters")
		return
	case req.Role != RoleAgent && req.Role != RoleSupervisor && req.Role != RoleAdmin:
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_field", "role", "agent, supervisor or admin")
		return
	}
	a, err := h.s.CreateAgent(r.Context(), req.Login, req.DisplayName, req.Role, req.Password)
	switch {
	case errors.Is(err, ErrWeakPassword):
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_field", "password", err.Error())
	case errors.Is(err, store.ErrConflict):
		httpapi.WriteFieldError(w, http.StatusConflict, "already_exists", "login", "login already taken")
	case err != nil:
		h.storeError(w, err)
	default:
		httpapi.WriteJSON(w, http.StatusCreated, viewAgent(a))
	}
}

func (h *handlers) logoutAgent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := h.s.store.Agent(r.Context(), id); err != nil {
		h.storeError(w, err)
		return
	}
	n, err := h.s.RevokeAgent(r.Context(), id)
	if err != nil {
		h.storeError(w, err)
		return
	}
	p, _ := PrincipalFrom(r.Context())
	h.s.o.Logger.Info("agent logged out by supervisor", "agent_id", id, "actor", p.Login, "sessions", n)
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"sessions_revoked": n})
}

func (h *handlers) setPassword(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	id := r.PathValue("id")
	var req struct {
		Current  string `json:"current_password"`
		Password string `json:"password"`
	}
	if err := httpapi.Decode(w, r, 4096, &req); err != nil {
		httpapi.WriteDecodeError(w, err)
		return
	}
	self := p.AgentID != "" && p.AgentID == id
	if !self && !p.Can(PermAgentsManage) {
		httpapi.WriteError(w, http.StatusForbidden, "forbidden", "you may change only your own password")
		return
	}
	if self && !p.Can(PermAgentsManage) {
		ok, err := h.s.CheckPassword(r.Context(), id, req.Current, ClientAddr(r))
		var limited *RateLimitError
		if errors.As(err, &limited) {
			writeRateLimited(w, limited)
			return
		}
		if err != nil {
			h.storeError(w, err)
			return
		}
		if !ok {
			httpapi.WriteFieldError(w, http.StatusForbidden, "bad_credentials", "current_password", "current password is wrong")
			return
		}
	}
	err := h.s.SetPassword(r.Context(), id, req.Password, p.SessionID)
	switch {
	case errors.Is(err, ErrWeakPassword):
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_field", "password", err.Error())
	case err != nil:
		h.storeError(w, err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (h *handlers) listKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := h.s.store.APIKeys(r.Context())
	if err != nil {
		h.storeError(w, err)
		return
	}
	type view struct {
		ID         string     `json:"id"`
		Name       string     `json:"name"`
		Role       string     `json:"role"`
		CreatedAt  time.Time  `json:"created_at"`
		LastUsedAt *time.Time `json:"last_used_at,omitempty"`
		RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	}
	out := make([]view, len(keys))
	for i, k := range keys {
		out[i] = view{k.ID, k.Name, k.Role, k.CreatedAt, k.LastUsedAt, k.RevokedAt}
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"api_keys": out})
}

func (h *handlers) createKey(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	var req struct {
		Name string `json:"name"`
		Role Role   `json:"role"`
	}
	if err := httpapi.Decode(w, r, 4096, &req); err != nil {
		httpapi.WriteDecodeError(w, err)
		return
	}
	if n := len([]rune(strings.TrimSpace(req.Name))); n == 0 || n > 128 {
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_field", "name", "1–128 characters")
		return
	}
	if req.Role == "" {
		req.Role = RoleIntegration
	}
	if req.Role != RoleIntegration && req.Role != RoleSupervisor && req.Role != RoleAdmin {
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid_field", "role", "integration, supervisor or admin")
		return
	}
	key, k, err := h.s.CreateAPIKey(r.Context(), req.Name, req.Role, p.AgentID)
	if err != nil {
		h.storeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "name": k.Name, "role": k.Role, "key": key})
}

func (h *handlers) revokeKey(w http.ResponseWriter, r *http.Request) {
	if err := h.s.RevokeAPIKey(r.Context(), r.PathValue("id")); err != nil {
		h.storeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handlers) storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		httpapi.WriteError(w, http.StatusNotFound, "not_found", "no such resource")
	case errors.Is(err, store.ErrConflict):
		httpapi.WriteError(w, http.StatusConflict, "conflict", "conflicts with existing data")
	case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrReference):
		httpapi.WriteError(w, http.StatusBadRequest, "invalid_request", "a value is out of range or refers to nothing")
	default:
		h.s.o.Logger.Error("auth API", "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

func validLogin(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func writeRateLimited(w http.ResponseWriter, e *RateLimitError) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	httpapi.WriteError(w, http.StatusTooManyRequests, "rate_limited", e.Error())
}
