package ticketstore_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/rest"
	"github.com/hotline10000/hotline/agentdesk/ticket/ticketstore"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
)

// TestAPIConflictsOnStore drives the REST API over the real store: a stale
// If-Match and a lost claim race both answer 409 with their codes.
func TestAPIConflictsOnStore(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			repo := ticketstore.New(open(t, b.options(t)), 0)
			svc, err := ticket.NewService(repo, tickettest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)),
				ticket.Config{Calendar: tickettest.Always{}, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			type key struct{}
			identify := func(ctx context.Context) (ticket.Actor, bool) { a, ok := ctx.Value(key{}).(ticket.Actor); return a, ok }
			h := rest.New(svc, identify, rest.Options{Logger: slog.New(slog.DiscardHandler)})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f := strings.Fields(r.Header.Get("X-Actor"))
				a := ticket.Actor{ID: f[0], Role: ticket.Role(f[1]), Groups: []string{"g"}}
				h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, a)))
			}))
			defer srv.Close()
			do := func(actor, method, path, body string, hdr ...string) (int, string) {
				req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
				req.Header.Set("X-Actor", actor)
				for i := 0; i+1 < len(hdr); i += 2 {
					req.Header.Set(hdr[i], hdr[i+1])
				}
				res, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				var e struct {
					Error struct{ Code string } `json:"error"`
				}
				json.Unmarshal(b, &e)
				return res.StatusCode, e.Error.Code
			}
			status, _ := do("sup supervisor", "POST", "/tickets",
				`{"type":"fault","category":"broadband","subject":"s","customer":{"phone":"13900000001"},"group":"g"}`)
			if status != http.StatusCreated {
				t.Fatalf("create: %d", status)
			}
			if s, _ := do("sup supervisor", "POST", "/tickets/1/dispatch", `{"assignee":"a1"}`, "If-Match", `"1"`); s != 200 {
				t.Fatalf("dispatch: %d", s)
			}
			if s, code := do("sup supervisor", "POST", "/tickets/1/dispatch", `{"assignee":"a2"}`, "If-Match", `"1"`); s != 409 || code != "version_conflict" {
				t.Errorf("stale If-Match: got %d %s", s, code)
			}
			if s, _ := do("sup supervisor", "POST", "/tickets/1/actions", `{"action":"release"}`); s != 200 {
				t.Fatalf("release: %d", s)
			}
			var wg sync.WaitGroup
			results := make([]string, 6)
			for i := range results {
				wg.Go(func() {
					s, code := do("agent"+string(rune('a'+i))+" agent", "POST", "/tickets/1/claim", "")
					results[i] = http.StatusText(s) + "/" + code
				})
			}
			wg.Wait()
			won := 0
			for _, r := range results {
				switch r {
				case "OK/":
					won++
				case "Conflict/already_claimed":
				default:
					t.Errorf("claim: got %s", r)
				}
			}
			if won != 1 {
				t.Errorf("claims: got %v, want one winner", results)
			}
		})
	}
}
