package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestRefusedStartIsNotDialed: a chat start the node refuses (429, its
// chat-start limit) comes back as a refusal with the node's Retry-After and
// no socket is dialed. Before, the tool read the refusal's body as a start
// without a token and dialed anyway: the node answered 401, counted as a
// "bad handshake" dial error (2 173 of them in one 10 000-desk run). Any
// other refused start is a start error, not a dial error.
func TestRefusedStartIsNotDialed(t *testing.T) {
	for _, tc := range []struct {
		status    int
		retry     string
		wantWait  time.Duration
		wantStep  string
		wantRetry bool
	}{
		{status: http.StatusTooManyRequests, retry: "3", wantWait: 3 * time.Second, wantRetry: true},
		{status: http.StatusTooManyRequests, retry: "", wantWait: time.Second, wantRetry: true},
		{status: http.StatusServiceUnavailable, wantStep: "start"},
	} {
		var dials atomic.Int64
		mux := http.NewServeMux()
		mux.HandleFunc("/chat/api/start", func(w http.ResponseWriter, r *http.Request) {
			if tc.retry != "" {
				w.Header().Set("Retry-After", tc.retry)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(`{"code":"rate_limited","message":"too many new chats; try again","limit":"desk.chat_starts_per_second"}`))
		})
		mux.HandleFunc("/ws/chat", func(w http.ResponseWriter, r *http.Request) {
			dials.Add(1)
			http.Error(w, "unknown or expired chat token", http.StatusUnauthorized)
		})
		srv := httptest.NewServer(mux)
		var stats counters
		err := chatOnce(context.Background(), srv.URL, 1, 1, &stats, nil)
		srv.Close()
		if n := dials.Load(); n != 0 {
			t.Errorf("status %d: dialed %d times after a refused start, want 0", tc.status, n)
		}
		var re *refusedError
		if got := errors.As(err, &re); got != tc.wantRetry {
			t.Fatalf("status %d: got error %v, want a refusal to retry: %v", tc.status, err, tc.wantRetry)
		}
		if tc.wantRetry {
			if re.wait != tc.wantWait {
				t.Errorf("status %d Retry-After %q: got wait %v, want %v", tc.status, tc.retry, re.wait, tc.wantWait)
			}
			if re.limit != "desk.chat_starts_per_second" {
				t.Errorf("status %d: got limit %q, want the one the body names", tc.status, re.limit)
			}
			continue
		}
		var se *stepError
		if !errors.As(err, &se) || se.step != tc.wantStep {
			t.Errorf("status %d: got %v, want a %q step error", tc.status, err, tc.wantStep)
		}
	}
}
