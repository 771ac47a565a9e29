package metrics

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/ivr"
)

// The scenario files in testdata/*.kpi are timelines of events and the
// KPIs expected at given instants (the format is described in
// testdata/README.md).
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.kpi")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".kpi"), func(t *testing.T) { runScenario(t, f) })
	}
}

var scenarioVerbose = flag.Bool("scenario.v", false, "print every report a scenario checks")

type scenario struct {
	t     *testing.T
	file  string
	line  int
	loc   *time.Location
	day   time.Time
	opts  Options
	eng   *Engine
	calls int
}

func runScenario(t *testing.T, file string) *scenario {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := &scenario{t: t, file: file, loc: time.UTC}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		s.line++
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		s.do(strings.Fields(line))
	}
	if s.calls == 0 {
		t.Fatalf("%s: no expectations", file)
	}
	return s
}

func (s *scenario) fail(format string, args ...any) {
	s.t.Helper()
	s.t.Fatalf("%s:%d: %s", s.file, s.line, fmt.Sprintf(format, args...))
}

func (s *scenario) engine() *Engine {
	if s.eng == nil {
		s.opts.Location = s.loc
		s.eng = NewEngine(s.opts)
		s.eng.StartLive(s.day)
	}
	return s.eng
}

// at reads "[+N] HH:MM:SS" from f and returns the time and the rest.
func (s *scenario) at(f []string) (time.Time, []string) {
	days := 0
	if strings.HasPrefix(f[0], "+") {
		n, err := strconv.Atoi(f[0][1:])
		if err != nil {
			s.fail("day offset %q", f[0])
		}
		days, f = n, f[1:]
	}
	c, err := time.Parse("15:04:05", f[0])
	if err != nil {
		s.fail("time %q: %v", f[0], err)
	}
	d := s.day.AddDate(0, 0, days)
	return time.Date(d.Year(), d.Month(), d.Day(), c.Hour(), c.Minute(), c.Second(), 0, s.loc), f[1:]
}

func (s *scenario) do(f []string) {
	switch f[0] {
	case "zone":
		loc, err := time.LoadLocation(f[1])
		if err != nil {
			s.fail("zone: %v", err)
		}
		s.loc = loc
	case "day":
		d, err := time.Parse("2006-01-02", f[1])
		if err != nil {
			s.fail("day: %v", err)
		}
		s.day = d
	case "option":
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			d, err := time.ParseDuration(v)
			if err != nil {
				s.fail("option %s: %v", k, err)
			}
			switch k {
			case "voice_threshold":
				s.opts.VoiceThreshold = d
			case "chat_threshold":
				s.opts.ChatThreshold = d
			case "short_abandon":
				s.opts.ShortAbandon = d
			default:
				s.fail("unknown option %q", k)
			}
		}
	case "expect":
		s.expect(f[1:])
	default:
		at, rest := s.at(f)
		ev := s.event(at, rest)
		s.engine().Apply(&ev)
	}
}

// args splits "key=value" and bare flags.
func args(f []string) map[string]string {
	m := map[string]string{}
	for _, kv := range f {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			v = "true"
		}
		m[k] = v
	}
	return m
}

func (s *scenario) dur(v string) time.Duration {
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		s.fail("duration %q: %v", v, err)
	}
	return d
}

func (s *scenario) clock(v string) time.Time {
	t, _ := s.at(strings.Fields(strings.ReplaceAll(v, "_", " ")))
	return t
}

func (s *scenario) event(at time.Time, f []string) event.Event {
	typ, a := f[0], args(f[1:])
	ev := event.Event{Type: event.Type(typ), At: at, ContactID: a["contact"], AgentID: a["agent"], Queue: a["queue"]}
	hdr := ivr.Header{ContactID: a["contact"], Time: at, Channel: ivr.ChannelKind(a["channel"])}
	switch {
	case strings.HasPrefix(typ, "acd."):
		var k acd.EventKind
		if err := k.UnmarshalText([]byte(strings.TrimPrefix(typ, "acd."))); err != nil {
			s.fail("%v", err)
		}
		d := acd.Event{At: at, Kind: k, Contact: a["contact"], Queue: a["queue"], Agent: a["agent"],
			Wait: s.dur(a["wait"]), RequestQueue: a["request_queue"], FirstEntry: a["first_entry"] == "true",
			Callback: a["callback"] == "true", Target: a["target"], Reason: a["reason"]}
		for key, dst := range map[string]interface{ UnmarshalText([]byte) error }{
			"channel": &d.Channel, "outcome": &d.Outcome, "state": &d.State, "prev_state": &d.PrevState} {
			if v, ok := a[key]; ok {
				if err := dst.UnmarshalText([]byte(v)); err != nil {
					s.fail("%s: %v", key, err)
				}
			}
		}
		ev.Data = d
	case typ == ivr.TypeEnded:
		ev.Data = ivr.Ended{Header: hdr, Outcome: ivr.Outcome(a["outcome"]), AgentRequested: a["agent_requested"] == "true"}
	case typ == ivr.TypeSurveyResult:
		n, _ := strconv.Atoi(a["score"])
		ev.Data = ivr.SurveyResult{Header: hdr, Score: n}
	case typ == TypeMarketing:
		ev.Data = Marketing{Offer: a["offer"], Outcome: a["outcome"]}
	case typ == TypeShift:
		ev.Data = Shift{AgentID: a["agent"], Start: s.clock(a["start"]), End: s.clock(a["end"])}
	case typ == TypeDayComputed:
		r := DayResult{Day: a["day"]}
		for _, id := range []string{"SQ01", "SQ02", "SQ04", "SQ05", "SQ06"} {
			v, ok := a[id]
			if !ok {
				continue
			}
			n, d, _ := strings.Cut(v, "/")
			dv := DayValue{ID: id}
			dv.Numerator, _ = strconv.ParseFloat(n, 64)
			dv.Denominator, _ = strconv.ParseFloat(d, 64)
			if dv.Denominator > 0 {
				x := dv.Numerator / dv.Denominator
				if id == "SQ06" {
					x *= 10000
				}
				dv.Value = &x
			}
			r.KPIs = append(r.KPIs, dv)
		}
		ev.Data = r
	case typ == TypeOutbound:
		ev.Data = OutboundAttempt{ID: a["id"], Campaign: "c", Result: OutboundResult(a["result"]), Success: a["success"] == "true", At: at}
	default:
		s.fail("unknown event type %q", typ)
	}
	return ev
}

// expect "[+N] HH:MM:SS window [channel=] [queue=] ID=value ..."; a value
// is "-" (no data), a number, or "num/den" (both checked exactly).
func (s *scenario) expect(f []string) {
	s.calls++
	at, rest := s.at(f)
	w, err := ParseWindow(rest[0])
	if err != nil {
		s.fail("%v", err)
	}
	var flt Filter
	type check struct{ id, want string }
	var checks []check
	for _, kv := range rest[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "channel":
			flt.Channel = v
		case "queue":
			flt.Queue = v
		default:
			checks = append(checks, check{k, v})
		}
	}
	e := s.engine()
	e.Advance(at)
	r := e.Read(w, flt, at)
	if *scenarioVerbose {
		for _, v := range r.KPIs {
			val := "-"
			if v.Value != nil {
				val = strconv.FormatFloat(*v.Value, 'g', -1, 64)
			}
			s.t.Logf("%s:%d %s %s=%s (%g/%g) %s", s.file, s.line, w, v.ID, val, v.Numerator, v.Denominator, v.Status)
		}
	}
	for _, c := range checks {
		var got *float64
		var num, den float64
		var status Status
		if v, ok := r.Get(c.id); ok {
			got, num, den, status = v.Value, v.Numerator, v.Denominator, v.Status
		} else if x, ok := extra(r, c.id); ok {
			got = x.Value
		} else if c.id == "status" {
			continue
		} else {
			s.fail("unknown KPI %q", c.id)
		}
		want := c.want
		if st, ok := strings.CutPrefix(want, "status:"); ok {
			if string(status) != st {
				s.fail("%s %s: status %s, want %s", w, c.id, status, st)
			}
			continue
		}
		if want == "-" {
			if got != nil {
				s.fail("%s %s: got %g, want no data", w, c.id, *got)
			}
			continue
		}
		if n, d, ok := strings.Cut(want, "/"); ok {
			wn, _ := strconv.ParseFloat(n, 64)
			wd, _ := strconv.ParseFloat(d, 64)
			if got == nil || math.Abs(num-wn) > 1e-6 || math.Abs(den-wd) > 1e-6 {
				s.fail("%s %s: got %s (%g/%g), want %s", w, c.id, show(got), num, den, want)
			}
			continue
		}
		wv, err := strconv.ParseFloat(want, 64)
		if err != nil {
			s.fail("value %q", want)
		}
		if got == nil || math.Abs(*got-wv) > 1e-6 {
			s.fail("%s %s: got %s (%g/%g), want %s", w, c.id, show(got), num, den, want)
		}
	}
}

func extra(r Report, id string) (Extra, bool) {
	for _, x := range r.Extras {
		if x.ID == id {
			return x, true
		}
	}
	return Extra{}, false
}

func show(p *float64) string {
	if p == nil {
		return "no data"
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}

// Per-agent figures of the handle.kpi day: a1 handled two contacts (talk
// 180 s + 110 s, hold 40 s, ACW 30 s + 60 s) and logged out at 08:40.
func TestAgentRows(t *testing.T) {
	s := runScenario(t, "testdata/handle.kpi")
	rows := s.eng.Agents(time.Date(2026, 11, 23, 9, 0, 0, 0, s.loc))
	if len(rows) != 2 || rows[0].AgentID != "a1" || rows[1].AgentID != "a2" {
		t.Fatalf("rows %+v, want a1 and a2", rows)
	}
	a1 := rows[0]
	if a1.Handled != 2 || a1.TalkS != 290 || a1.HoldS != 40 || a1.ACWS != 90 || a1.StaffedS != 2400 || a1.EF01 == nil || *a1.EF01 != 210 {
		t.Errorf("a1 %+v, want 2 handled, talk 290 s, hold 40 s, ACW 90 s, staffed 40 min, AHT 210 s", a1)
	}
	if a2 := rows[1]; a2.Handled != 0 || a2.StaffedS != 2400 || a2.EF03 != nil {
		t.Errorf("a2 %+v, want staffed 40 min not ready, no occupancy", a2)
	}
}
