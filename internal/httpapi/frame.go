package httpapi

import (
	"net/http"
	"strings"
)

// FrameAncestors adds "Content-Security-Policy: frame-ancestors <sources>"
// to every response of next: which sites may show the pages in a frame
// (clickjacking defence). The header is added as the response goes out,
// beside whatever policy the page sets itself; a browser enforces every
// policy a response carries, so this narrows the page's. sources are CSP
// source expressions: 'self', 'none', https://example.com.
func FrameAncestors(sources []string, next http.Handler) http.Handler {
	policy := "frame-ancestors " + strings.Join(sources, " ")
	if len(sources) == 0 {
		policy = "frame-ancestors 'none'"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&framePolicy{ResponseWriter: w, policy: policy}, r)
	})
}

type framePolicy struct {
	http.ResponseWriter
	policy string
	added  bool
}

func (w *framePolicy) add() {
	if !w.added {
		w.added = true
		w.Header().Add("Content-Security-Policy", w.policy)
	}
}

func (w *framePolicy) WriteHeader(code int) { w.add(); w.ResponseWriter.WriteHeader(code) }

func (w *framePolicy) Write(b []byte) (int, error) { w.add(); return w.ResponseWriter.Write(b) }

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *framePolicy) Unwrap() http.ResponseWriter { return w.ResponseWriter }
