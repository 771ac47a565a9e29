package ivr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"
)

// HTTPBackendConfig configures NewHTTPBackend.
type HTTPBackendConfig struct {
	URL     string       // base URL; operations are POSTed to URL + path (docs/flows.md)
	Client  *http.Client // default: a new http.Client
	Header  http.Header  // sent with every request (an API token, say)
	Timeout time.Duration
	// Retries is how many times a call is repeated after a network error,
	// a timeout, a 5xx or a 429; 0 means the default 2, a negative value
	// none.
	Retries int
	Backoff time.Duration // first pause between tries, doubling; default 100ms
	// The circuit opens after FailureThreshold consecutive failed calls
	// (default 5) and lets one trial call through after OpenFor (default
	// 30s). Not-found answers are not failures.
	FailureThreshold uint32
	OpenFor          time.Duration
	Clock            Clock // paces the backoff; default SystemClock
	Logger           *slog.Logger
}

// HTTPBackend is the Backend of a billing system reached by JSON over
// HTTP, with a per-try timeout, retries with exponential backoff and a
// circuit breaker. Every operation is a POST so that account numbers and
// passwords never appear in URLs or access logs.
type HTTPBackend struct {
	cfg     HTTPBackendConfig
	breaker *gobreaker.CircuitBreaker[[]byte]
}

// NewHTTPBackend checks cfg and fills in defaults.
func NewHTTPBackend(cfg HTTPBackendConfig) (*HTTPBackend, error) {
	if !strings.HasPrefix(cfg.URL, "http://") && !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("http backend: url %q: want http:// or https://", cfg.URL)
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 2
	} else if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 100 * time.Millisecond
	}
	if cfg.FailureThreshold == 0 {
		cfg.FailureThreshold = 5
	}
	if cfg.OpenFor <= 0 {
		cfg.OpenFor = 30 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	b := &HTTPBackend{cfg: cfg}
	b.breaker = gobreaker.NewCircuitBreaker[[]byte](gobreaker.Settings{
		Name:        "ivr-backend",
		Timeout:     cfg.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= cfg.FailureThreshold },
		IsSuccessful: func(err error) bool {
			return err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, context.Canceled)
		},
		OnStateChange: func(_ string, from, to gobreaker.State) {
			cfg.Logger.Warn("ivr backend circuit", "from", from.String(), "to", to.String())
		},
	})
	return b, nil
}

// httpStatusError is a non-2xx answer.
type httpStatusError struct {
	op     string
	status int
}

func (e *httpStatusError) Error() string { return fmt.Sprintf("%s: http status %d", e.op, e.status) }

func retryable(err error) bool {
	var se *httpStatusError
	if errors.As(err, &se) {
		return se.status >= 500 || se.status == http.StatusTooManyRequests
	}
	return !errors.Is(err, ErrNotFound) && !errors.Is(err, context.Canceled) && !errors.Is(err, errBadAnswer)
}

var errBadAnswer = errors.New("bad answer")

// call POSTs req to path and decodes the answer into resp (nil: ignore).
func (b *HTTPBackend) call(ctx context.Context, path string, req, resp any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("backend %s: %w", path, err)
	}
	data, err := b.breaker.Execute(func() ([]byte, error) { return b.retry(ctx, path, body) })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return fmt.Errorf("backend %s: circuit open: %w", path, ErrUnavailable)
	}
	if err != nil {
		return err
	}
	if resp == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, resp); err != nil {
		return fmt.Errorf("backend %s: decode answer: %v: %w", path, err, errBadAnswer)
	}
	return nil
}

func (b *HTTPBackend) retry(ctx context.Context, path string, body []byte) ([]byte, error) {
	pause := b.cfg.Backoff
	for attempt := 0; ; attempt++ {
		data, err := b.once(ctx, path, body)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return data, err
		}
		if attempt >= b.cfg.Retries {
			return nil, fmt.Errorf("backend %s: %d tries: %w (%w)", path, attempt+1, ErrUnavailable, err)
		}
		select {
		case <-b.cfg.Clock.After(pause):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		pause *= 2
	}
}

func (b *HTTPBackend) once(ctx context.Context, path string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.cfg.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", path, err)
	}
	for k, vs := range b.cfg.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := b.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("backend %s: read answer: %w", path, err)
	}
	switch {
	case res.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("backend %s: %w", path, ErrNotFound)
	case res.StatusCode < 200 || res.StatusCode > 299:
		return nil, &httpStatusError{op: "backend " + path, status: res.StatusCode}
	}
	return data, nil
}

type customerAnswer struct {
	Account string `json:"account"`
	Name    string `json:"name"`
	Tier    string `json:"tier"`
}

func (b *HTTPBackend) customer(ctx context.Context, path string, req any) (Customer, error) {
	var a customerAnswer
	if err := b.call(ctx, path, req, &a); err != nil {
		return Customer{}, err
	}
	if a.Account == "" {
		return Customer{}, fmt.Errorf("backend %s: answer without account: %w", path, errBadAnswer)
	}
	return Customer(a), nil
}

// CustomerByANI POSTs {"ani"} to /customers/by-ani.
func (b *HTTPBackend) CustomerByANI(ctx context.Context, ani string) (Customer, error) {
	return b.customer(ctx, "/customers/by-ani", map[string]string{"ani": ani})
}

// CustomerByAccount POSTs {"account"} to /customers/by-account.
func (b *HTTPBackend) CustomerByAccount(ctx context.Context, account string) (Customer, error) {
	return b.customer(ctx, "/customers/by-account", map[string]string{"account": account})
}

// Bill POSTs {"account"} to /bill; the answer is
// {"balance_fen": int, "bill_fen": int, "due": "YYYY-MM-DD"}.
func (b *HTTPBackend) Bill(ctx context.Context, account string) (Bill, error) {
	var a struct {
		Balance *int64 `json:"balance_fen"`
		Amount  int64  `json:"bill_fen"`
		Due     string `json:"due"`
	}
	if err := b.call(ctx, "/bill", map[string]string{"account": account}, &a); err != nil {
		return Bill{}, err
	}
	if a.Balance == nil {
		return Bill{}, fmt.Errorf("backend /bill: answer without balance_fen: %w", errBadAnswer)
	}
	bill := Bill{Balance: Money(*a.Balance), Amount: Money(a.Amount)}
	if a.Due != "" {
		d, err := time.Parse(time.DateOnly, a.Due)
		if err != nil {
			return Bill{}, fmt.Errorf("backend /bill: due %q: %w", a.Due, errBadAnswer)
		}
		bill.Due = d
	}
	return bill, nil
}

// Points POSTs {"account"} to /points; the answer is {"points": int}.
func (b *HTTPBackend) Points(ctx context.Context, account string) (int64, error) {
	var a struct {
		Points *int64 `json:"points"`
	}
	if err := b.call(ctx, "/points", map[string]string{"account": account}, &a); err != nil {
		return 0, err
	}
	if a.Points == nil {
		return 0, fmt.Errorf("backend /points: answer without points: %w", errBadAnswer)
	}
	return *a.Points, nil
}

// VerifyPassword POSTs {"account","password"} to /password/verify; the
// answer is {"ok": bool}.
func (b *HTTPBackend) VerifyPassword(ctx context.Context, account, password string) (bool, error) {
	var a struct {
		OK *bool `json:"ok"`
	}
	if err := b.call(ctx, "/password/verify", map[string]string{"account": account, "password": password}, &a); err != nil {
		return false, err
	}
	if a.OK == nil {
		return false, fmt.Errorf("backend /password/verify: answer without ok: %w", errBadAnswer)
	}
	return *a.OK, nil
}

// ResetPassword POSTs {"account","password"} to /password/reset; any 2xx
// is success.
func (b *HTTPBackend) ResetPassword(ctx context.Context, account, password string) error {
	return b.call(ctx, "/password/reset", map[string]string{"account": account, "password": password}, nil)
}
