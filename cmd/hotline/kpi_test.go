package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/ticketstore"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/metrics"
)

// The KPIs survive a restart: today's figures are rebuilt from the stored
// event log, so a restart in the afternoon does not zero the day.
func TestKPIsRebuiltAfterRestart(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// Noon of the center's current day: the ACD's own events (wall clock)
	// fall on the same day.
	d := time.Now().In(shanghai)
	noon := time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, shanghai)
	dir := t.TempDir()
	r := startAt(t, shiftedClock{offset: time.Until(noon)}, "--data-dir", dir)
	waitReady(t, r.base)
	password := r.password(t, "sun.li")
	tok := r.login(t, "sun.li")
	call := func(r *running, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, r.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	mk04 := func(r *running) string {
		t.Helper()
		code, out := call(r, "GET", "/api/v1/kpis?window=today", "")
		if code != 200 {
			t.Fatalf("kpis: %d %v", code, out)
		}
		for _, k := range out["kpis"].([]any) {
			if v := k.(map[string]any); v["id"] == "MK04" {
				return fmt.Sprintf("%v/%v %v", v["numerator"], v["denominator"], v["value"])
			}
		}
		return "missing"
	}
	if got := mk04(r); got != "0/0 <nil>" {
		t.Fatalf("MK04 before any attempt: %s, want no data", got)
	}
	at := noon.Add(-time.Hour).UTC().Format(time.RFC3339)
	code, out := call(r, "POST", "/api/v1/kpis/inputs/outbound-attempts", `{"attempts":[
		{"id":"o1","campaign":"5g","result":"right_party","success":true,"at":"`+at+`"},
		{"id":"o2","campaign":"5g","result":"no_answer","at":"`+at+`"}]}`)
	if code != http.StatusAccepted {
		t.Fatalf("import: %d %v", code, out)
	}
	if got := mk04(r); got != "1/2 0.5" {
		t.Fatalf("MK04 after the import: %s, want 1/2 0.5", got)
	}
	if code := r.stop(); code != 0 {
		t.Fatalf("stop: %d: %s", code, r.stderr)
	}
	r = startAt(t, shiftedClock{offset: time.Until(noon)}, "--data-dir", dir)
	waitReady(t, r.base)
	resp, err := client.Post(r.base+"/api/v1/auth/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"login":"sun.li","password":%q}`, password)))
	if err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	tok = login.Token
	if got := mk04(r); got != "1/2 0.5" {
		t.Fatalf("MK04 after the restart: %s, want 1/2 0.5 (rebuilt from the event log)", got)
	}
	code, body := get(t, r.base+"/metrics")
	for _, want := range []string{`hotline_kpi{category="marketing",channel="all",kpi="MK04",queue="all",window="today"} 0.5`,
		`hotline_kpi_target{bound="min",channel="all",kpi="SL01"} 0.9`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code := r.stop(); code != 0 {
		t.Fatalf("stop: %d: %s", code, r.stderr)
	}
	// The interval rows are in the store: today's closed intervals (at
	// start) and the open one (at shutdown), for every queue.
	st, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	midnight := noon.Add(-12 * time.Hour)
	rows, err := st.KPIIntervals(context.Background(), midnight, midnight.AddDate(0, 0, 1))
	st.Close()
	if err != nil || len(rows) == 0 || len(rows)%49 != 0 || !rows[48].Start.Equal(noon) {
		t.Fatalf("stored interval rows: %d (%v), want 49 per queue (00:00 … 12:00)", len(rows), err)
	}
}

// `hotline kpi run --day` computes a past day's batch KPIs from the log and
// stores them; a bad day is a usage error.
func TestKPIRunDay(t *testing.T) {
	dir := t.TempDir()
	var out, errb strings.Builder
	code := run(context.Background(), []string{"kpi", "run", "--day", "2026-11-22", "--json", "--data-dir", dir},
		env{stdout: &out, stderr: &errb, getenv: noEnv})
	if code != 0 {
		t.Fatalf("kpi run: %d: %s", code, errb.String())
	}
	var res metrics.DayResult
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil || res.Day != "2026-11-22" || len(res.KPIs) != 5 {
		t.Fatalf("kpi run printed %q (%v), want the day's 5 batch KPIs", out.String(), err)
	}
	for _, v := range res.KPIs {
		if v.Value != nil {
			t.Errorf("%s on an empty log: %g, want no data", v.ID, *v.Value)
		}
	}
	st, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(context.Background(), store.EventFilter{TypePrefix: metrics.TypeDayComputed})
	if err != nil || len(evs) != 1 {
		t.Fatalf("stored results: %d (%v), want 1", len(evs), err)
	}
	// SQ05 reads the ticket events from a month before the day: a
	// complaint resolved 20 days early, due on the day, is on time; one
	// whose deadline passed on the day is late.
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	if err := st.AppendEvents(context.Background(), []event.Event{
		{ID: "r1", Type: ticket.EventChanged, At: day.AddDate(0, 0, -20), Data: ticket.Event{Kind: ticket.EventChanged,
			Action: ticket.Resolve, At: day.AddDate(0, 0, -20), Ticket: 1, Type: ticket.Complaint, OnTime: true,
			Clock: "resolution", Due: day.Add(9 * time.Hour)}},
		{ID: "b2", Type: ticket.EventBreached, At: day.Add(10 * time.Hour), Data: ticket.Event{Kind: ticket.EventBreached,
			At: day.Add(10 * time.Hour), Ticket: 2, Type: ticket.Complaint, Clock: "resolution", Due: day.Add(10 * time.Hour)}},
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out.Reset()
	if code := run(context.Background(), []string{"kpi", "run", "--day", "2026-11-22", "--json", "--data-dir", dir},
		env{stdout: &out, stderr: &errb, getenv: noEnv}); code != 0 {
		t.Fatalf("kpi run: %d: %s", code, errb.String())
	}
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil || res.KPIs[3].ID != "SQ05" ||
		res.KPIs[3].Numerator != 1 || res.KPIs[3].Denominator != 2 {
		t.Fatalf("kpi run: %q (%v), want SQ05 1/2", out.String(), err)
	}
	if code := run(context.Background(), []string{"kpi", "run", "--day", "22/11/2026", "--data-dir", dir},
		env{stdout: &out, stderr: &errb, getenv: noEnv}); code != 2 {
		t.Errorf("bad day: exit %d, want 2", code)
	}
}

// notifier records what the courier hands it.
type notifier struct{ sent []ticket.Message }

func (n *notifier) Notify(_ context.Context, m ticket.Message) (string, error) {
	n.sent = append(n.sent, m)
	return "receipt", nil
}

// After midnight the day report goes to each of kpi.report_to through the
// ticket outbox, once: the day's KPIs and each queue's day from the stored
// interval rows; the courier delivers it like a ticket's message.
func TestDayReportThroughTheOutbox(t *testing.T) {
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, loc)
	now := day.AddDate(0, 0, 1).Add(10 * time.Minute)
	clock := func() time.Time { return now }
	st := migratedStore(t, t.TempDir())
	acdEvent := func(id string, at time.Time, d acd.Event) event.Event {
		d.At = at
		return event.Event{ID: id, Type: event.Type(d.Kind.Type()), At: at, ContactID: d.Contact, Data: d}
	}
	nine := day.Add(9 * time.Hour)
	if err := st.AppendEvents(ctx, []event.Event{
		acdEvent("q1", nine, acd.Event{Kind: acd.EventQueued, Contact: "c1", Queue: "billing", Channel: acd.Voice, FirstEntry: true}),
		acdEvent("a1", nine.Add(8*time.Second), acd.Event{Kind: acd.EventAnswered, Contact: "c1", Queue: "billing", Channel: acd.Voice,
			Agent: "a1", Wait: 8 * time.Second, Outcome: acd.Answered}),
	}); err != nil {
		t.Fatal(err)
	}
	// The rows the engine stored during the day.
	if err := (kpiIntervals{st}).SaveIntervals(ctx, []metrics.IntervalRow{{Start: nine, Queue: "billing", Channel: "voice",
		Requests: 1, Answered: 1, AnsweredInSL: 1, AnswerWait: 8 * time.Second}}); err != nil {
		t.Fatal(err)
	}
	opts := metrics.Options{Location: loc}
	bus := event.NewBus(event.Options{})
	defer bus.Close()
	log := slog.New(slog.DiscardHandler)
	k := metrics.NewRunner(bus, metrics.RunnerOptions{Engine: opts, Clock: clock, Replay: replayLog(st, log), Intervals: kpiIntervals{st}})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = k.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	n := &nightly{st: st, bus: bus, kpis: k, opts: opts, reportTo: []string{"boss@example.cn", "Deputy <deputy@example.cn>"}, now: clock, log: log}
	n.day(ctx, day)
	n.day(ctx, day) // a restart's second run: nothing twice
	var got notifier
	courier := ticket.NewCourier(ticketstore.New(st, 10), tickettest.NewClock(now), &got, ticket.CourierConfig{Logger: log})
	if sent, err := courier.Deliver(ctx); err != nil || sent != 2 {
		t.Fatalf("delivered %d (%v), want 2", sent, err)
	}
	if len(got.sent) != 2 || got.sent[0].To != "boss@example.cn" || got.sent[1].To != "Deputy <deputy@example.cn>" ||
		got.sent[0].Medium != ticket.ByEmail || got.sent[0].Ticket != 0 || got.sent[0].Key != "kpi-day-report/2026-11-22/boss@example.cn" {
		t.Fatalf("sent %+v", got.sent)
	}
	m := got.sent[0]
	for _, want := range []string{"Hotline day report for 2026-11-22 (Asia/Shanghai)",
		"SL01  Agent answer rate                   100.0 %  >=0.9      ok",
		"SL04  Average speed of answer               8.0 s",
		"billing          voice          1        1        1        0        0  100.0 %  100.0 %    0.0 %    8.0 s"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, m.Body)
		}
	}
	if m.Subject != "Hotline day report 2026-11-22 / 10000号日报" || !m.CreatedAt.Equal(now) {
		t.Errorf("subject %q, created %v", m.Subject, m.CreatedAt)
	}
	if sent, err := courier.Deliver(ctx); err != nil || sent != 0 {
		t.Fatalf("delivered again: %d (%v), want none", sent, err)
	}
}
