package auth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/hotline10000/hotline/internal/httpapi"
)

// CookieName is the session cookie the web pages use; programs send
// "Authorization: Bearer <token>" instead.
const CookieName = "hotline_session"

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal the middleware authenticated.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// tokenFrom finds the credentials of a request and says whether they came
// from the cookie (which a browser attaches by itself).
func tokenFrom(r *http.Request) (token string, fromCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t), false
		}
		return "", false
	}
	if c, err := r.Cookie(CookieName); err == nil {
		return c.Value, true
	}
	return "", false
}

// Authenticated lets through any principal with valid credentials.
func (s *Service) Authenticated(next http.Handler) http.Handler {
	return s.Require("", next)
}

// Require lets through principals with permission perm ("" for any
// authenticated principal) and answers 401 or 403 with a JSON error
// otherwise. The principal is in the request's context.
func (s *Service) Require(perm Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, fromCookie := tokenFrom(r)
		p, err := s.Authenticate(r.Context(), token)
		if err != nil {
			if errors.Is(err, ErrNoToken) || errors.Is(err, ErrInvalidToken) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hotline"`)
				httpapi.WriteError(w, http.StatusUnauthorized, "unauthenticated", err.Error())
				return
			}
			s.o.Logger.Error("authenticate", "err", err)
			httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "authentication is unavailable")
			return
		}
		// A cookie rides along on cross-site requests; a change made with
		// one must come from our own pages.
		if fromCookie && !safeMethod(r.Method) && !sameOrigin(r) {
			httpapi.WriteError(w, http.StatusForbidden, "cross_origin", "request from another site refused")
			return
		}
		if perm != "" && !p.Can(perm) {
			httpapi.WriteError(w, http.StatusForbidden, "forbidden", "your role may not do this")
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether the request's Origin (or Referer) names the
// host it was sent to. Browsers always send Origin on cross-site POSTs.
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return true // not a browser: cookies are not sent automatically
	}
	u, err := url.Parse(src)
	return err == nil && u.Host == r.Host
}

// ClientAddr is the address a request came from, for rate limits and logs.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
