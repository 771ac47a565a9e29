package metrics

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
)

// The e-mailed day report: every KPI of the whole day center-wide, in its
// unit, "no data" without input, and each queue's day from its rows.
func TestDayReportMail(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, loc)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	q := func(id string, t time.Time, k acd.EventKind, wait time.Duration, o acd.Outcome) event.Event {
		return acdEv(id, t, acd.Event{Kind: k, Contact: id[:2], Queue: "gv", Channel: acd.Voice, Agent: "a1", FirstEntry: k == acd.EventQueued, Wait: wait, Outcome: o})
	}
	log := []event.Event{
		q("c1q", at(9, 0), acd.EventQueued, 0, acd.NoOutcome), q("c1a", at(9, 0).Add(12*time.Second), acd.EventAnswered, 12*time.Second, acd.Answered),
		q("c2q", at(23, 50), acd.EventQueued, 0, acd.NoOutcome), q("c2b", at(23, 51), acd.EventAbandoned, time.Minute, acd.Abandoned),
		// the next day's: not in the report
		q("c3q", at(24, 5), acd.EventQueued, 0, acd.NoOutcome), q("c3b", at(24, 6), acd.EventAbandoned, time.Minute, acd.Abandoned),
	}
	replay := func(_ context.Context, from, to time.Time, fn func(event.Event)) error {
		for _, e := range log {
			if !e.At.Before(from) && e.At.Before(to) {
				fn(e)
			}
		}
		return nil
	}
	half, sq06 := 0.5, 5000.0
	batch := DayResult{Day: "2026-11-22", KPIs: []DayValue{{ID: "SQ05", Value: &half, Numerator: 1, Denominator: 2},
		{ID: "SQ06", Value: &sq06, Numerator: 1, Denominator: 2}}}
	rep, err := DayKPIs(context.Background(), Options{Location: loc}, day, replay, batch)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(Options{Location: loc})
	for i := range log[:4] {
		e.Apply(&log[i])
	}
	subject, body := DayReport{Day: day, KPIs: rep, Rows: e.Intervals(at(23, 59))}.Mail()
	if subject != "Hotline day report 2026-11-22 / 10000号日报" {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{
		"Hotline day report for 2026-11-22 (Asia/Shanghai)",
		"SL01  Agent answer rate                    50.0 %  >=0.9      breach    人工接通率",
		"SL04  Average speed of answer              12.0 s  <=15       ok        平均应答速度",
		"SQ04  Quality-inspection pass rate        no data  >=0.95     no_data   质检合格率",
		"SQ05  Complaint tickets on time            50.0 %  >=0.95     breach    投诉工单处理及时率",
		"SQ06  Service-complaint rate            5000.00 ‱  <=1        breach    服务投诉率",
		"呼损率 (loss rate, 1 − SL01): 50.0 %",
		"gv               voice          2        1        1        1        0   50.0 %   50.0 %   50.0 %   12.0 s",
		"GET /api/v1/kpis/intervals?day=2026-11-22&format=csv",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}
