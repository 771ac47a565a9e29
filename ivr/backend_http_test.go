package ivr

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// instantClock makes backoff pauses free and records them.
type instantClock struct {
	mu     sync.Mutex
	pauses []time.Duration
}

func (c *instantClock) Now() time.Time { return time.Unix(0, 0) }
func (c *instantClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.pauses = append(c.pauses, d)
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- time.Unix(0, 0)
	return ch
}

type billing struct {
	calls  atomic.Int32
	status []int // status per call; past the end: 200
	block  bool  // wait for the request to be cancelled
}

func (b *billing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(b.calls.Add(1)) - 1
	body, _ := io.ReadAll(r.Body) // a read body lets the server see the client leave
	if b.block {
		<-r.Context().Done()
		return
	}
	if n < len(b.status) && b.status[n] != 200 {
		w.WriteHeader(b.status[n])
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Token") != "t0k" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var req map[string]string
	if err := json.Unmarshal(body, &req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	switch r.URL.Path {
	case "/api/customers/by-ani":
		if req["ani"] != "13900000001" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		io.WriteString(w, `{"account":"A1","name":"张三","tier":"vip"}`)
	case "/api/customers/by-account":
		io.WriteString(w, `{"account":"`+req["account"]+`","tier":""}`)
	case "/api/bill":
		io.WriteString(w, `{"balance_fen":12345,"bill_fen":8800,"due":"2026-12-15"}`)
	case "/api/points":
		io.WriteString(w, `{"points":1200}`)
	case "/api/password/verify":
		io.WriteString(w, `{"ok":`+map[bool]string{true: "true", false: "false"}[req["password"] == "123456"]+`}`)
	case "/api/password/reset":
		w.WriteHeader(http.StatusNoContent)
	default:
		io.WriteString(w, `{not json`)
	}
}

func newTestBackend(t *testing.T, h http.Handler, cfg HTTPBackendConfig) (*HTTPBackend, *instantClock) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	clock := &instantClock{}
	cfg.URL = srv.URL + "/api/"
	cfg.Clock = clock
	cfg.Header = http.Header{"X-Token": {"t0k"}}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Second
	}
	b, err := NewHTTPBackend(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b, clock
}

func TestHTTPBackendOperations(t *testing.T) {
	b, _ := newTestBackend(t, &billing{}, HTTPBackendConfig{})
	ctx := context.Background()
	c, err := b.CustomerByANI(ctx, "13900000001")
	if err != nil || c != (Customer{Account: "A1", Name: "张三", Tier: "vip"}) {
		t.Errorf("CustomerByANI: got %+v, %v", c, err)
	}
	if _, err := b.CustomerByANI(ctx, "1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("CustomerByANI unknown: got %v, want ErrNotFound", err)
	}
	if c, err := b.CustomerByAccount(ctx, "A9"); err != nil || c.Account != "A9" {
		t.Errorf("CustomerByAccount: got %+v, %v", c, err)
	}
	bill, err := b.Bill(ctx, "A1")
	if err != nil || bill.Balance != 12345 || bill.Amount != 8800 || bill.Due.Format(time.DateOnly) != "2026-12-15" {
		t.Errorf("Bill: got %+v, %v", bill, err)
	}
	if p, err := b.Points(ctx, "A1"); err != nil || p != 1200 {
		t.Errorf("Points: got %d, %v", p, err)
	}
	for pw, want := range map[string]bool{"123456": true, "000000": false} {
		if ok, err := b.VerifyPassword(ctx, "A1", pw); err != nil || ok != want {
			t.Errorf("VerifyPassword(%s): got %v, %v; want %v", pw, ok, err, want)
		}
	}
	if err := b.ResetPassword(ctx, "A1", "654321"); err != nil {
		t.Errorf("ResetPassword: %v", err)
	}
}

func TestHTTPBackendRetries(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    []int
		wantCalls int32
		wantErr   error
		pauses    int
	}{
		{"recovers after two 5xx", []int{500, 503}, 3, nil, 2},
		{"429 is retried", []int{429}, 2, nil, 1},
		{"gives up after retries", []int{500, 500, 500, 500}, 3, ErrUnavailable, 2},
		{"404 is not retried", []int{404}, 1, ErrNotFound, 0},
		{"400 is not retried", []int{400}, 1, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &billing{status: tc.status}
			b, clock := newTestBackend(t, srv, HTTPBackendConfig{Retries: 2, Backoff: 10 * time.Millisecond})
			_, err := b.Points(context.Background(), "A1")
			if got := srv.calls.Load(); got != tc.wantCalls {
				t.Errorf("calls: got %d, want %d", got, tc.wantCalls)
			}
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("got %v, want %v", err, tc.wantErr)
			case tc.wantErr == nil && tc.name != "400 is not retried" && err != nil:
				t.Errorf("got %v, want success", err)
			case tc.name == "400 is not retried" && err == nil:
				t.Error("got success for a 400")
			}
			if len(clock.pauses) != tc.pauses {
				t.Errorf("pauses: got %v, want %d", clock.pauses, tc.pauses)
			}
			for i, p := range clock.pauses {
				if want := 10 * time.Millisecond << i; p != want {
					t.Errorf("pause %d: got %v, want %v", i, p, want)
				}
			}
		})
	}
}

func TestHTTPBackendCircuitBreaker(t *testing.T) {
	srv := &billing{status: []int{500, 500, 500, 500, 500, 500}}
	b, _ := newTestBackend(t, srv, HTTPBackendConfig{Retries: -1, FailureThreshold: 3, OpenFor: time.Hour})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := b.Points(ctx, "A1"); err == nil {
			t.Fatalf("call %d: got success from a failing server", i)
		}
	}
	if _, err := b.Points(ctx, "A1"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("open circuit: got %v, want ErrUnavailable", err)
	}
	if got := srv.calls.Load(); got != 3 {
		t.Errorf("server calls: got %d, want 3 (the open circuit must not call)", got)
	}
}

func TestHTTPBackendNotFoundKeepsCircuitClosed(t *testing.T) {
	srv := &billing{}
	b, _ := newTestBackend(t, srv, HTTPBackendConfig{FailureThreshold: 2})
	for i := 0; i < 5; i++ {
		if _, err := b.CustomerByANI(context.Background(), "0"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	}
	if _, err := b.CustomerByANI(context.Background(), "13900000001"); err != nil {
		t.Errorf("after not-founds: got %v, want success", err)
	}
}

func TestHTTPBackendTimeout(t *testing.T) {
	srv := &billing{block: true}
	b, _ := newTestBackend(t, srv, HTTPBackendConfig{Timeout: 20 * time.Millisecond, Retries: 1})
	_, err := b.Bill(context.Background(), "A1")
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want ErrUnavailable wrapping a deadline", err)
	}
	if got := srv.calls.Load(); got != 2 {
		t.Errorf("calls: got %d, want 2", got)
	}
}

func TestHTTPBackendBadAnswer(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/points", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"pts":1}`) })
	mux.HandleFunc("/api/bill", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `[`) })
	b, _ := newTestBackend(t, mux, HTTPBackendConfig{})
	if _, err := b.Points(context.Background(), "A1"); err == nil {
		t.Error("points without points: got nil error")
	}
	if _, err := b.Bill(context.Background(), "A1"); err == nil {
		t.Error("bill with broken JSON: got nil error")
	}
}

func TestNewHTTPBackendRejectsBadURL(t *testing.T) {
	if _, err := NewHTTPBackend(HTTPBackendConfig{URL: "ftp://x"}); err == nil {
		t.Error("got nil error for ftp://")
	}
}

// TestLookupErrorBranchOverHTTP: the shipped flow over a billing system
// that fails: the bill lookup takes its error branch (error.backend) and
// the caller is back at the menu.
func TestLookupErrorBranchOverHTTP(t *testing.T) {
	lib, err := LoadDir(osDirFS("flows"), ".")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/customers/by-ani", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"account":"A1","name":"x","tier":"standard"}`)
	})
	mux.HandleFunc("/api/bill", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	b, _ := newTestBackend(t, mux, HTTPBackendConfig{Retries: 1})
	ch := &scripted{kind: Voice, inputs: []string{"1", "H"}}
	r := NewRunner(lib, Config{Clock: &manualClock{t: time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)}, Backend: b})
	res, err := r.Run(context.Background(), Contact{ID: "c", ANI: "13900000001", Entry: "10000"}, ch)
	if err != nil {
		t.Fatal(err)
	}
	want := "zh:welcome,zh:main.menu,zh:error.backend,zh:main.menu"
	if got := strings.Join(ch.played, ","); got != want {
		t.Errorf("played %s, want %s", got, want)
	}
	if res.Vars["account"] != "A1" || res.Outcome != OutcomeAbandoned {
		t.Errorf("got account %v outcome %s", res.Vars["account"], res.Outcome)
	}
}
