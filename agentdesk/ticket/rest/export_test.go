package rest_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/rest"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
	"github.com/hotline10000/hotline/internal/audit"
)

type fakeAudit struct {
	mu   sync.Mutex
	recs []audit.Record
	fail bool
}

func (f *fakeAudit) Append(_ context.Context, recs ...audit.Record) ([]audit.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return nil, errors.New("store down")
	}
	f.recs = append(f.recs, recs...)
	return recs, nil
}

// Every export is audited before it starts (no record, no export); numbers
// are masked unless asked in clear by someone allowed to.
func TestExportAuditedAndMasked(t *testing.T) {
	clock := tickettest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	svc, err := ticket.NewService(tickettest.NewMemory(), clock, ticket.Config{
		Calendar: tickettest.Always{}, Rules: []ticket.Rule{{Name: "all", Group: "fault-desk"}},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	sv := ticket.Actor{ID: "sup", Role: ticket.SupervisorRole}
	if _, _, err := svc.Create(context.Background(), sv, ticket.Draft{Type: ticket.Fault, Category: "broadband", Subject: "宽带",
		Customer: ticket.Customer{Phone: "13900000001"}, Channel: ticket.Phone}, ""); err != nil {
		t.Fatal(err)
	}
	trail := &fakeAudit{}
	type clearKey struct{}
	h := rest.New(svc, func(ctx context.Context) (ticket.Actor, bool) {
		a, ok := ctx.Value(actorKey{}).(ticket.Actor)
		return a, ok
	}, rest.Options{Logger: slog.New(slog.DiscardHandler), Audit: trail,
		ClientAddr:     func(*http.Request) string { return "192.0.2.9" },
		MayExportClear: func(ctx context.Context) bool { return ctx.Value(clearKey{}) != nil }})
	get := func(path string, mayClear bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		ctx := context.WithValue(r.Context(), actorKey{}, sv)
		if mayClear {
			ctx = context.WithValue(ctx, clearKey{}, true)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r.WithContext(ctx))
		return w
	}

	w := get("/tickets/export.csv?type=fault", false)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "139****0001") || strings.Contains(w.Body.String(), "13900000001") {
		t.Fatalf("masked export: %d %q", w.Code, w.Body)
	}
	if len(trail.recs) != 1 {
		t.Fatalf("audit: got %+v", trail.recs)
	}
	r := trail.recs[0]
	if r.Action != audit.ActionTicketsExport || r.Actor != "sup" || r.ActorRole != "supervisor" || r.SubjectID != "type=fault" ||
		r.Address != "192.0.2.9" || !strings.Contains(string(r.After), `"clear":false`) {
		t.Errorf("audit record: %+v %s", r, r.After)
	}

	w = get("/tickets/export.csv?clear=true", false)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"field":"clear"`) || len(trail.recs) != 1 {
		t.Errorf("clear without permission: %d %s (%d records)", w.Code, w.Body, len(trail.recs))
	}
	w = get("/tickets/export.csv?clear=maybe", true)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"field":"clear"`) {
		t.Errorf("bad clear: %d %s", w.Code, w.Body)
	}
	w = get("/tickets/export.csv?clear=true", true)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "13900000001") || len(trail.recs) != 2 || !strings.Contains(string(trail.recs[1].After), `"clear":true`) {
		t.Errorf("clear export: %d %q %+v", w.Code, w.Body, trail.recs)
	}

	trail.fail = true
	w = get("/tickets/export.csv", false)
	if w.Code != http.StatusServiceUnavailable || strings.Contains(w.Body.String(), "number,") {
		t.Errorf("export without an audit trail: %d %q", w.Code, w.Body)
	}
}
