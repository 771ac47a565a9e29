package ticket_test

import (
	"slices"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
	"github.com/hotline10000/hotline/internal/calendar"
)

// desk hours in Guangzhou: a lunch break, closed nights and weekends, the
// National Day week off and a Saturday worked in exchange.
func deskCalendar(t *testing.T) *calendar.Calendar {
	t.Helper()
	day := []string{"08:30-12:00", "13:30-17:30"}
	c, err := calendar.New(calendar.Spec{
		Name: "gz-desk", TimeZone: "Asia/Shanghai",
		Weekly:   map[string][]string{"mon": day, "tue": day, "wed": day, "thu": day, "fri": day},
		Holidays: []string{"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"},
		Workdays: []calendar.Workday{{Date: "2026-10-10", Like: "fri"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSLAInBusinessTime(t *testing.T) {
	cal := deskCalendar(t)
	loc := cal.Location()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name       string
		created    string
		resolution time.Duration
		warn, due  string
	}{
		{"across lunch", "2026-11-23 11:00", 2 * time.Hour, "2026-11-23 14:00", "2026-11-23 14:30"},
		{"over a weekend", "2026-11-27 17:00", 4 * time.Hour, "2026-11-30 11:00", "2026-11-30 12:00"},
		{"over the holiday week", "2026-09-30 17:00", 2 * time.Hour, "2026-10-08 09:30", "2026-10-08 10:00"},
		{"onto a make-up Saturday", "2026-10-09 17:00", 2 * time.Hour, "2026-10-10 09:30", "2026-10-10 10:00"},
		{"raised at night", "2026-11-23 20:00", time.Hour, "2026-11-24 09:15", "2026-11-24 09:30"},
		{"a whole business day", "2026-11-23 08:30", 7*time.Hour + 30*time.Minute, "2026-11-23 15:37:30", "2026-11-23 17:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig()
			cfg.Calendar, cfg.Location = cal, loc
			cfg.SLA = ticket.SLAConfig{
				Policies: []ticket.Policy{{Name: "p", Resolution: tt.resolution}},
				WarnAt:   []float64{0.75},
			}
			d := newDesk(t, cfg)
			d.clock = tickettest.NewClock(at(tt.created))
			d.start(t)
			tk, _, err := d.Create(ctx, alice, fault("13900000001"), "")
			if err != nil {
				t.Fatal(err)
			}
			warn, due := at(tt.warn[:16]), at(tt.due)
			if len(tt.warn) > 16 {
				warn = warn.Add(30 * time.Second)
			}
			if !tk.SLA.ResolutionDue.Equal(due) {
				t.Fatalf("due: got %v, want %v", tk.SLA.ResolutionDue.In(loc), due)
			}
			// Nothing fires a second early; each fires at its instant, once.
			for _, step := range []struct {
				at   time.Time
				want []string
			}{
				{warn.Add(-time.Second), nil},
				{warn, []string{"warn_75"}},
				{due.Add(-time.Second), []string{"warn_75"}},
				{due, []string{"warn_75", "breach"}},
				{due.Add(72 * time.Hour), []string{"warn_75", "breach"}},
			} {
				d.clock.Set(step.at)
				if _, err := d.FireDue(ctx, 10); err != nil {
					t.Fatal(err)
				}
				if got := d.fired(t, tk.ID); !slices.Equal(got, step.want) {
					t.Fatalf("at %v: fired %v, want %v", step.at.In(loc), got, step.want)
				}
			}
		})
	}
}

func TestPendingPauseInBusinessTime(t *testing.T) {
	cal := deskCalendar(t)
	loc := cal.Location()
	cfg := baseConfig()
	cfg.Calendar, cfg.Location = cal, loc
	cfg.SLA = ticket.SLAConfig{Policies: []ticket.Policy{{Name: "p", FirstResponse: 30 * time.Minute, Resolution: 8 * time.Hour}}}
	d := newDesk(t, cfg)
	d.clock = tickettest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, loc)) // Monday
	d.start(t)
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	if want := time.Date(2026, 11, 24, 9, 30, 0, 0, loc); !tk.SLA.ResolutionDue.Equal(want) {
		t.Fatalf("due: got %v, want %v", tk.SLA.ResolutionDue.In(loc), want)
	}
	if want := time.Date(2026, 11, 23, 9, 30, 0, 0, loc); !tk.SLA.FirstResponseDue.Equal(want) {
		t.Errorf("first response due: got %v, want %v", tk.SLA.FirstResponseDue.In(loc), want)
	}
	d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Claim})
	d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Start})
	d.clock.Set(time.Date(2026, 11, 23, 10, 0, 0, 0, loc)) // 1h used
	d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Pend, Reason: ticket.WaitCustomer})
	d.clock.Set(time.Date(2026, 11, 24, 9, 0, 0, 0, loc))
	if _, err := d.FireDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	x := d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Resume})
	// 7h left from Tuesday 09:00: 3h to noon, 4h after lunch.
	if want := time.Date(2026, 11, 24, 17, 30, 0, 0, loc); !x.SLA.ResolutionDue.Equal(want) || x.SLA.Used != time.Hour {
		t.Errorf("due after resume: got %v (used %v), want %v", x.SLA.ResolutionDue.In(loc), x.SLA.Used, want)
	}
	if got := d.fired(t, tk.ID); len(got) != 0 {
		t.Errorf("fired while pending: %v", got)
	}
	// Resolved on Wednesday morning after the deadline: not on time.
	d.clock.Set(time.Date(2026, 11, 25, 9, 0, 0, 0, loc))
	x = d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Resolve, Resolution: "ok"})
	if x.SLA.OnTime || x.SLA.Used != 8*time.Hour+30*time.Minute {
		t.Errorf("resolved: on time %v, used %v; want late after 8h30m", x.SLA.OnTime, x.SLA.Used)
	}
	// The resolve event carries the deadline it missed (SQ05 counts the
	// complaint in the day it was due), not the time of the resolve.
	d.mu.Lock()
	last := d.events[len(d.events)-1]
	d.mu.Unlock()
	if want := time.Date(2026, 11, 24, 17, 30, 0, 0, loc); last.Action != ticket.Resolve || last.Clock != "resolution" || !last.Due.Equal(want) || last.OnTime {
		t.Errorf("resolve event: %s %s due %v on time %v; want resolve, resolution, due %v, late", last.Action, last.Clock, last.Due.In(loc), last.OnTime, want)
	}
}

// A holiday added to the desk's calendar (through administration) moves the
// deadlines of open tickets at once: Replan counts what is left in the
// calendar as it is now, and the timers follow.
func TestReplanAfterAHolidayIsAdded(t *testing.T) {
	spec := func(holidays ...string) calendar.Spec {
		day := []string{"08:30-12:00", "13:30-17:30"}
		return calendar.Spec{Name: "gz-desk", TimeZone: "Asia/Shanghai", Holidays: holidays,
			Weekly: map[string][]string{"mon": day, "tue": day, "wed": day, "thu": day, "fri": day}}
	}
	set := calendar.NewSet()
	install := func(s calendar.Spec) {
		c, err := calendar.New(s)
		if err != nil {
			t.Fatal(err)
		}
		set.Replace(map[string]*calendar.Calendar{"gz-desk": c})
	}
	install(spec())
	live := set.Live("gz-desk", nil)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	cfg := baseConfig()
	cfg.Calendar, cfg.Location = live, loc
	cfg.SLA = ticket.SLAConfig{Policies: []ticket.Policy{{Name: "p", FirstResponse: 8 * time.Hour, Resolution: 16 * time.Hour}}}
	d := newDesk(t, cfg)
	d.clock = tickettest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, loc)) // Monday
	d.start(t)
	tk, _, err := d.Create(ctx, alice, fault("13900000001"), "")
	if err != nil {
		t.Fatal(err)
	}
	// 16 business hours from Monday 09:00 (7h, then 7h30 a day): Wednesday
	// 10:00; the first response (8h) Tuesday 09:30.
	if want := time.Date(2026, 11, 25, 10, 0, 0, 0, loc); !tk.SLA.ResolutionDue.Equal(want) {
		t.Fatalf("due: got %v, want %v", tk.SLA.ResolutionDue.In(loc), want)
	}
	resolved, _, err := d.Create(ctx, alice, fault("13900000002"), "")
	if err != nil {
		t.Fatal(err)
	}
	d.do(t, alice, resolved.ID, ticket.Command{Action: ticket.Claim})
	d.do(t, alice, resolved.ID, ticket.Command{Action: ticket.Start})
	d.do(t, alice, resolved.ID, ticket.Command{Action: ticket.Resolve, Resolution: "ok"})

	d.clock.Set(time.Date(2026, 11, 23, 10, 0, 0, 0, loc))
	install(spec("2026-11-24")) // Tuesday off
	n, err := d.Replan(ctx, "gz-desk")
	if err != nil || n != 1 {
		t.Fatalf("replan: %d changed, %v; want 1 (the resolved ticket has no running clock)", n, err)
	}
	got := d.detail(t, tk.ID).Ticket
	if want := time.Date(2026, 11, 26, 10, 0, 0, 0, loc); !got.SLA.ResolutionDue.Equal(want) {
		t.Fatalf("due after the holiday: got %v, want %v", got.SLA.ResolutionDue.In(loc), want)
	}
	if want := time.Date(2026, 11, 25, 9, 30, 0, 0, loc); !got.SLA.FirstResponseDue.Equal(want) {
		t.Fatalf("first response due after the holiday: got %v, want %v", got.SLA.FirstResponseDue.In(loc), want)
	}
	// The timers moved too: nothing breaches on the old Tuesday deadline.
	d.clock.Set(time.Date(2026, 11, 24, 10, 0, 0, 0, loc))
	if _, err := d.FireDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if f := d.fired(t, tk.ID); len(f) != 0 {
		t.Fatalf("fired on the holiday: %v", f)
	}
	// Another calendar's change leaves the ticket alone.
	if n, err := d.Replan(ctx, "other"); err != nil || n != 0 {
		t.Fatalf("replan of another calendar: %d, %v", n, err)
	}
}
