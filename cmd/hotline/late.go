package main

import (
	"net/http"
	"sync/atomic"

	"github.com/hotline10000/hotline/internal/httpapi"
)

// lateHandler stands in on the mux for a handler built after the server
// starts listening (the desk gateway needs the ACD engine, which needs the
// schema): until it is set, requests get 503 with Retry-After.
type lateHandler struct {
	h atomic.Pointer[http.Handler]
}

func (l *lateHandler) set(h http.Handler) { l.h.Store(&h) }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := l.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Retry-After", "2")
	httpapi.WriteError(w, http.StatusServiceUnavailable, "starting", "the contact center is starting")
}
