package kpiapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store/storetest"
	"github.com/hotline10000/hotline/metrics"
)

type engineReporter struct{ e *metrics.Engine }

func (r engineReporter) Intervals(_ context.Context, day string) ([]metrics.IntervalRow, error) {
	if day == "tomorrow" {
		return nil, metrics.ErrBadDay
	}
	return r.e.Intervals(time.Date(2026, 11, 23, 0, 20, 0, 0, time.UTC)), nil
}

func (r engineReporter) Agents(_ context.Context, day string) ([]metrics.AgentRow, error) {
	return r.e.Agents(time.Date(2026, 11, 23, 0, 20, 0, 0, time.UTC)), nil
}

func (r engineReporter) Report(_ context.Context, w metrics.Window, f metrics.Filter) (metrics.Report, error) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	return r.e.Read(w, f, now), nil
}

func TestAPI(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	a := auth.NewService(st, auth.Options{PasswordMinLength: 8, IdleTimeout: time.Hour, MaxAge: time.Hour})
	token := map[auth.Role]string{}
	for _, r := range []auth.Role{auth.RoleAgent, auth.RoleSupervisor} {
		if _, err := a.CreateAgent(ctx, "u-"+string(r), "U", r, "correct horse"); err != nil {
			t.Fatal(err)
		}
		tok, _, _, err := a.Login(ctx, "u-"+string(r), "correct horse", "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		token[r] = tok
	}
	var published []event.Event
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	eng := metrics.NewEngine(metrics.Options{})
	for _, d := range []acd.Event{
		{Kind: acd.EventQueued, Contact: "c1", Queue: "gv", Channel: acd.Voice, FirstEntry: true, At: time.Date(2026, 11, 23, 0, 1, 0, 0, time.UTC)},
		{Kind: acd.EventAnswered, Contact: "c1", Queue: "gv", Channel: acd.Voice, Agent: "a1", Wait: 12 * time.Second, Outcome: acd.Answered, At: time.Date(2026, 11, 23, 0, 1, 12, 0, time.UTC)},
		{Kind: acd.EventEnded, Contact: "c1", Queue: "gv", Channel: acd.Voice, Agent: "a1", At: time.Date(2026, 11, 23, 0, 5, 0, 0, time.UTC)},
	} {
		ev := event.Event{At: d.At, Data: d}
		eng.Apply(&ev)
	}
	api := New(engineReporter{eng}, func(_ context.Context, e event.Event) error {
		published = append(published, e)
		return nil
	}, func() time.Time { return now }, 0)
	mux := http.NewServeMux()
	api.Routes(mux, a)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	do := func(method, path, body string, role auth.Role) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token[role])
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	field := func(out map[string]any) string {
		e, _ := out["error"].(map[string]any)
		f, _ := e["field"].(string)
		return f
	}

	code, out := do("GET", "/api/v1/kpis?window=interval&channel=voice", "", auth.RoleSupervisor)
	kpis, _ := out["kpis"].([]any)
	if code != 200 || len(kpis) != 23 || out["window"] != "interval" {
		t.Fatalf("report: %d %v, want 200 with 23 KPIs", code, out)
	}
	first := kpis[0].(map[string]any)
	if first["id"] != "SL01" || first["value"] != nil || first["status"] != "no_data" || first["target"] != ">=0.9" {
		t.Errorf("SL01 without data: %v, want value null, status no_data, target >=0.9", first)
	}
	if code, _ := do("GET", "/api/v1/kpis", "", auth.RoleAgent); code != http.StatusForbidden {
		t.Errorf("agent: %d, want 403", code)
	}
	for q, want := range map[string]string{"window=week": "window", "channel=fax": "channel"} {
		if code, out := do("GET", "/api/v1/kpis?"+q, "", auth.RoleSupervisor); code != 400 || field(out) != want {
			t.Errorf("%s: %d %v, want 400 naming %s", q, code, out, want)
		}
	}

	if code, out := do("GET", "/api/v1/kpis/intervals?day=tomorrow", "", auth.RoleSupervisor); code != 400 || field(out) != "day" {
		t.Errorf("intervals of a bad day: %d %v, want 400 naming day", code, out)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/kpis/intervals?format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+token[auth.RoleSupervisor])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	csvBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(csvBody)), "\r\n")
	if resp.StatusCode != 200 || !strings.HasPrefix(string(csvBody), "\ufeffstart,end,queue,channel,requests") ||
		len(lines) != 3 || !strings.HasPrefix(lines[1], "2026-11-23 00:00,2026-11-23 00:15,gv,voice,1,1,1,0,0,0,1,1,1,0,12,228,0") {
		t.Errorf("intervals CSV: %d %q, want a BOM, the header and gv's two intervals", resp.StatusCode, csvBody)
	}

	code, out = do("GET", "/api/v1/kpis/agents", "", auth.RoleSupervisor)
	if ags, _ := out["agents"].([]any); code != 200 || len(ags) != 1 || ags[0].(map[string]any)["agent_id"] != "a1" {
		t.Errorf("agents: %d %v, want a1's row", code, out)
	}

	code, out = do("POST", "/api/v1/kpis/inputs/shifts", `{"shifts":[
		{"agent_id":"a1","start":"2026-11-24T00:00:00Z","end":"2026-11-24T08:00:00Z"},
		{"agent_id":"a2","start":"2026-11-24T00:00:00Z","end":"2026-11-23T08:00:00Z"}]}`, auth.RoleSupervisor)
	if code != 400 || field(out) != "shifts[1].end" || len(published) != 0 {
		t.Fatalf("bad shift: %d %v (%d published), want 400 naming shifts[1].end, none published", code, out, len(published))
	}
	code, out = do("POST", "/api/v1/kpis/inputs/shifts", `{"shifts":[
		{"agent_id":"a1","start":"2026-11-24T00:00:00Z","end":"2026-11-24T08:00:00Z"}]}`, auth.RoleSupervisor)
	if code != 202 || len(published) != 1 || published[0].Type != metrics.TypeShift {
		t.Fatalf("shift: %d %v, want 202 and one %s event", code, out, metrics.TypeShift)
	}
	if s, ok := published[0].Data.(metrics.Shift); !ok || s.AgentID != "a1" || !published[0].At.Equal(s.Start) {
		t.Errorf("published %+v, want the shift at its start", published[0])
	}
	code, out = do("POST", "/api/v1/kpis/inputs/outbound-attempts", `{"attempts":[
		{"id":"o1","campaign":"5g","result":"right_party","success":true,"at":"2026-11-24T08:00:00Z"}]}`, auth.RoleSupervisor)
	if code != 400 || field(out) != "attempts[0]" {
		t.Errorf("attempt in the future: %d %v, want 400 naming attempts[0]", code, out)
	}
	code, out = do("POST", "/api/v1/kpis/inputs/outbound-attempts", `{"attempts":[
		{"id":"o1","campaign":"5g","result":"busy","success":true,"at":"2026-11-23T08:00:00Z"}]}`, auth.RoleSupervisor)
	if code != 400 || field(out) != "attempts[0].success" {
		t.Errorf("success without the right party: %d %v, want 400 naming attempts[0].success", code, out)
	}
	code, _ = do("POST", "/api/v1/kpis/inputs/evaluations", `{"evaluations":[
		{"id":"q1","contact_id":"c1","agent_id":"a1","score":92,"pass_mark":80,"evaluated_at":"2026-11-23T08:00:00Z"}]}`, auth.RoleSupervisor)
	if code != 202 || published[len(published)-1].Type != metrics.TypeEvaluation {
		t.Errorf("evaluation: %d, want 202", code)
	}
	if code, _ := do("POST", "/api/v1/kpis/inputs/evaluations", `{"evaluations":[]}`, auth.RoleAgent); code != http.StatusForbidden {
		t.Errorf("agent import: %d, want 403", code)
	}
}
