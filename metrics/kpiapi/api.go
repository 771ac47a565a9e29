// Package kpiapi serves the KPIs over HTTP: the live reports to
// supervisors and the import of the inputs no Hotline feature produces yet
// (agent shifts, quality evaluations, outbound attempts), which it
// publishes as events so the engine, the event log and the batch job all
// see them. Conventions: docs/api.md.
package kpiapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/httpapi"
	"github.com/hotline10000/hotline/metrics"
)

// MaxItems is the most records one import request carries.
const MaxItems = 10000

// Reporter reads KPI reports (metrics.Runner).
type Reporter interface {
	Report(ctx context.Context, w metrics.Window, f metrics.Filter) (metrics.Report, error)
	Intervals(ctx context.Context, day string) ([]metrics.IntervalRow, error)
	Agents(ctx context.Context, day string) ([]metrics.AgentRow, error)
}

// Publisher puts an event on the bus.
type Publisher func(ctx context.Context, e event.Event) error

// API is the KPI HTTP API.
type API struct {
	kpis    Reporter
	publish Publisher
	now     func() time.Time
	maxBody int64
}

// New returns the API; now defaults to time.Now, maxBody to 4 MiB.
func New(kpis Reporter, publish Publisher, now func() time.Time, maxBody int64) *API {
	if now == nil {
		now = time.Now
	}
	if maxBody <= 0 {
		maxBody = 4 << 20
	}
	return &API{kpis: kpis, publish: publish, now: now, maxBody: maxBody}
}

// Routes mounts the API: reading behind auth.PermMetrics, the imports
// behind auth.PermSupervise (supervisors, admins).
func (a *API) Routes(mux *http.ServeMux, au *auth.Service) {
	mux.Handle("GET /api/v1/kpis", au.Require(auth.PermMetrics, http.HandlerFunc(a.report)))
	mux.Handle("GET /api/v1/kpis/intervals", au.Require(auth.PermMetrics, http.HandlerFunc(a.intervals)))
	mux.Handle("GET /api/v1/kpis/agents", au.Require(auth.PermMetrics, http.HandlerFunc(a.agents)))
	mux.Handle("POST /api/v1/kpis/inputs/shifts", au.Require(auth.PermSupervise, http.HandlerFunc(a.shifts)))
	mux.Handle("POST /api/v1/kpis/inputs/evaluations", au.Require(auth.PermSupervise, http.HandlerFunc(a.evaluations)))
	mux.Handle("POST /api/v1/kpis/inputs/outbound-attempts", au.Require(auth.PermSupervise, http.HandlerFunc(a.outbound)))
}

// report is GET /api/v1/kpis?window=interval|hour|today&channel=&queue=.
func (a *API) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	win, err := metrics.ParseWindow(q.Get("window"))
	if err != nil {
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid", "window", err.Error())
		return
	}
	f := metrics.Filter{Channel: q.Get("channel"), Queue: q.Get("queue")}
	if f.Channel != "" && f.Channel != "voice" && f.Channel != "chat" {
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid", "channel", "channel: voice or chat")
		return
	}
	if len(f.Queue) > 200 {
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid", "queue", "queue: at most 200 characters")
		return
	}
	rep, err := a.kpis.Report(r.Context(), win, f)
	if err != nil {
		httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "kpi engine unavailable")
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, rep)
}

// intervals is GET /api/v1/kpis/intervals?day=YYYY-MM-DD&format=json|csv:
// 15-minute rows per queue and channel (CSV that opens in Excel).
func (a *API) intervals(w http.ResponseWriter, r *http.Request) {
	dayReport(w, r, a.kpis.Intervals, "intervals", "kpi-intervals-", metrics.WriteIntervalsCSV)
}

// agents is GET /api/v1/kpis/agents?day=YYYY-MM-DD&format=json|csv: each
// agent's day (handled, talk, hold, ACW, staffed, ready, occupied time).
func (a *API) agents(w http.ResponseWriter, r *http.Request) {
	dayReport(w, r, a.kpis.Agents, "agents", "kpi-agents-", metrics.WriteAgentsCSV)
}

// dayReport answers the rows read for the query's day (empty: today) as
// JSON under key, or with format=csv as the attachment
// <prefix><day|today>.csv.
func dayReport[R any](w http.ResponseWriter, r *http.Request, read func(context.Context, string) ([]R, error),
	key, prefix string, writeCSV func(io.Writer, []R) error) {
	q := r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid", "format", "format: json or csv")
		return
	}
	rows, err := read(r.Context(), q.Get("day"))
	switch {
	case errors.Is(err, metrics.ErrBadDay):
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid", "day", err.Error())
		return
	case err != nil:
		httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "kpi engine unavailable")
		return
	}
	if rows == nil {
		rows = []R{}
	}
	if format == "csv" {
		day := q.Get("day")
		if day == "" {
			day = "today"
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+prefix+day+`.csv"`)
		_ = writeCSV(w, rows)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{key: rows})
}

type validator interface{ Validate() error }

// accept validates every item (all or nothing), then publishes each as an
// event at its business time.
func accept[T validator](a *API, w http.ResponseWriter, r *http.Request, field string, items []T, typ string,
	at func(T) time.Time, future bool) {
	if len(items) == 0 {
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid", field, field+": at least one")
		return
	}
	if len(items) > MaxItems {
		httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid", field, fmt.Sprintf("%s: at most %d", field, MaxItems))
		return
	}
	limit := a.now().Add(time.Minute)
	for i, it := range items {
		if err := it.Validate(); err != nil {
			sub, _, _ := strings.Cut(err.Error(), ":")
			name := fmt.Sprintf("%s[%d].%s", field, i, sub)
			httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid", name, fmt.Sprintf("%s[%d].%s", field, i, err))
			return
		}
		if !future && at(it).After(limit) {
			name := fmt.Sprintf("%s[%d]", field, i)
			httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid", name, name+": in the future")
			return
		}
	}
	actor := ""
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		actor = p.AgentID
	}
	for i, it := range items {
		err := a.publish(r.Context(), event.Event{Type: event.Type(typ), At: at(it).UTC(), Actor: actor, Data: it})
		if err != nil {
			code := http.StatusServiceUnavailable
			if errors.Is(err, context.Canceled) {
				code = http.StatusRequestTimeout
			}
			httpapi.WriteError(w, code, "unavailable", fmt.Sprintf("%d of %d accepted, then: the event bus is unavailable", i, len(items)))
			return
		}
	}
	httpapi.WriteJSON(w, http.StatusAccepted, map[string]int{"accepted": len(items)})
}

func (a *API) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := httpapi.Decode(w, r, a.maxBody, v); err != nil {
		var fe *httpapi.FieldError
		if errors.As(err, &fe) {
			httpapi.WriteFieldError(w, http.StatusBadRequest, "invalid", fe.Field, fe.Error())
		} else {
			httpapi.WriteError(w, http.StatusBadRequest, "invalid", err.Error())
		}
		return false
	}
	return true
}

// shifts is POST /api/v1/kpis/inputs/shifts {"shifts":[{agent_id,start,end}]}.
func (a *API) shifts(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Shifts []metrics.Shift `json:"shifts"`
	}
	if a.decode(w, r, &in) {
		accept(a, w, r, "shifts", in.Shifts, metrics.TypeShift, func(s metrics.Shift) time.Time { return s.Start }, true)
	}
}

// evaluations is POST /api/v1/kpis/inputs/evaluations {"evaluations":[…]}.
func (a *API) evaluations(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Evaluations []metrics.Evaluation `json:"evaluations"`
	}
	if a.decode(w, r, &in) {
		accept(a, w, r, "evaluations", in.Evaluations, metrics.TypeEvaluation,
			func(e metrics.Evaluation) time.Time { return e.EvaluatedAt }, false)
	}
}

// outbound is POST /api/v1/kpis/inputs/outbound-attempts {"attempts":[…]}.
func (a *API) outbound(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Attempts []metrics.OutboundAttempt `json:"attempts"`
	}
	if a.decode(w, r, &in) {
		accept(a, w, r, "attempts", in.Attempts, metrics.TypeOutbound,
			func(o metrics.OutboundAttempt) time.Time { return o.At }, false)
	}
}
