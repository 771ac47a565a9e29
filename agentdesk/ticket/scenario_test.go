package ticket_test

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
)

// TestScenarios runs testdata/scenarios/*.txt: a small language of "given
// this configuration and these steps at these times, expect this state".
//
//	calendar gz-desk | always
//	policy NAME [type=T] [priority=P] [tier=T] [first=DUR] [resolution=DUR]
//	warn F...
//	escalate after=DUR [lead] [raise] [move=GROUP]
//	at YYYY-MM-DD HH:MM[:SS]        the clock moves there and due timers fire
//	create REF [type=T] [priority=P] [tier=T] [group=G]
//	do REF ACTOR ACTION [key=value...]   ACTOR: alice, bob (agents of fault-desk), lead, sup
//	expect REF [status=S] [due=DATE TIME|none] [first_due=…] [fired=a,b|none] [used=DUR]
//	           [priority=P] [group=G] [on_time=true|false] [breached=true|false]
//	restart                          a new Service on the same store
//
// Times are in the scenario's calendar zone.
func TestScenarios(t *testing.T) {
	files, _ := filepath.Glob("testdata/scenarios/*.txt")
	if len(files) == 0 {
		t.Fatal("no scenarios")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) { runScenario(t, file) })
	}
}

func runScenario(t *testing.T, file string) {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg := baseConfig()
	cfg.Webhooks = nil
	loc := time.UTC
	var d *desk
	refs := map[string]int64{}
	actors := map[string]ticket.Actor{"alice": alice, "bob": bob, "lead": lead, "sup": sup}
	ready := func() {
		if d == nil {
			d = newDesk(t, cfg)
		}
	}
	parseTime := func(s string) time.Time {
		for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04"} {
			if v, err := time.ParseInLocation(layout, s, loc); err == nil {
				return v
			}
		}
		t.Fatalf("bad time %q", s)
		return time.Time{}
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("%s:%d: %s: "+format, append([]any{file, n, line}, args...)...)
		}
		words := strings.Fields(line)
		kv := map[string]string{}
		var flags []string
		for _, w := range words[1:] {
			if k, v, ok := strings.Cut(w, "="); ok {
				kv[k] = v
			} else {
				flags = append(flags, w)
			}
		}
		dur := func(k string) time.Duration {
			if kv[k] == "" {
				return 0
			}
			v, err := time.ParseDuration(kv[k])
			if err != nil {
				fail("%s: %v", k, err)
			}
			return v
		}
		switch words[0] {
		case "calendar":
			if words[1] != "always" {
				c := deskCalendar(t)
				cfg.Calendar, cfg.Location, loc = c, c.Location(), c.Location()
			}
		case "policy":
			cfg.SLA.Policies = append(cfg.SLA.Policies, ticket.Policy{Name: words[1], Type: ticket.Type(kv["type"]),
				Priority: ticket.Priority(kv["priority"]), Tier: ticket.Tier(kv["tier"]), FirstResponse: dur("first"), Resolution: dur("resolution")})
		case "warn":
			for _, w := range words[1:] {
				v, err := strconv.ParseFloat(w, 64)
				if err != nil {
					fail("%v", err)
				}
				cfg.SLA.WarnAt = append(cfg.SLA.WarnAt, v)
			}
		case "escalate":
			cfg.SLA.Escalation = append(cfg.SLA.Escalation, ticket.EscalationStep{After: dur("after"),
				NotifyLead: slices.Contains(flags, "lead"), RaisePriority: slices.Contains(flags, "raise"), MoveTo: kv["move"]})
		case "at":
			at := parseTime(strings.Join(words[1:], " "))
			if d == nil {
				d = &desk{repo: tickettest.NewMemory(), clock: tickettest.NewClock(at), cfg: cfg}
				d.start(t)
			}
			d.clock.Set(at)
			for {
				if n, err := d.FireDue(ctx, 100); err != nil {
					fail("%v", err)
				} else if n < 100 {
					break
				}
			}
		case "restart":
			ready()
			d.start(t)
		case "create":
			ready()
			dr := fault("13900000001")
			if v := kv["type"]; v != "" {
				dr.Type = ticket.Type(v)
			}
			dr.Priority, dr.Customer.Tier, dr.Group = ticket.Priority(kv["priority"]), ticket.Tier(kv["tier"]), kv["group"]
			tk, _, err := d.Create(ctx, sup, dr, "")
			if err != nil {
				fail("%v", err)
			}
			refs[words[1]] = tk.ID
		case "do":
			ready()
			a, ok := actors[words[2]]
			if !ok {
				fail("unknown actor")
			}
			cmd := ticket.Command{Action: ticket.Action(words[3]), Reason: kv["reason"], Resolution: kv["resolution"],
				Result: ticket.VisitResult(kv["result"]), Group: kv["group"], Assignee: kv["assignee"]}
			if _, err := d.Do(ctx, a, refs[words[1]], cmd); err != nil {
				if want := kv["error"]; want == "" || ticket.Code(err) != want {
					fail("%v", err)
				}
			} else if kv["error"] != "" {
				fail("succeeded, want %s", kv["error"])
			}
		case "expect":
			ready()
			tk, err := d.Get(ctx, sup, refs[words[1]])
			if err != nil {
				fail("%v", err)
			}
			show := func(v time.Time) string {
				if v.IsZero() {
					return "none"
				}
				return v.In(loc).Format("2006-01-02 15:04:05")
			}
			want := func(k string) string { // times may be written without seconds
				v := kv[k]
				if k != "due" && k != "first_due" || v == "none" {
					return v
				}
				if !strings.Contains(v, "_") {
					fail("write %s as DATE_TIME", k)
				}
				v = strings.ReplaceAll(v, "_", " ")
				if len(v) == 16 {
					v += ":00"
				}
				return v
			}
			fired := strings.Join(d.fired(t, tk.ID), ",")
			if fired == "" {
				fired = "none"
			}
			got := map[string]string{
				"status": string(tk.Status), "due": show(tk.SLA.ResolutionDue), "first_due": show(tk.SLA.FirstResponseDue),
				"fired": fired, "used": tk.SLA.Used.String(), "priority": string(tk.Priority), "group": tk.Group,
				"on_time": strconv.FormatBool(tk.SLA.OnTime), "breached": strconv.FormatBool(tk.SLA.Breached),
			}
			for k := range kv {
				g, ok := got[k]
				if !ok {
					fail("unknown expectation %s", k)
				}
				if w := want(k); g != w {
					t.Errorf("%s:%d: %s: got %s, want %s", file, n, k, g, w)
				}
			}
		default:
			fail("unknown command")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}
