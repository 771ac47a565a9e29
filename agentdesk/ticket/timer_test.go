package ticket_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

func slaConfig() ticket.Config {
	cfg := baseConfig()
	cfg.SLA = ticket.SLAConfig{
		Policies: []ticket.Policy{{Name: "fault", Type: ticket.Fault, FirstResponse: time.Hour, Resolution: 4 * time.Hour}},
		WarnAt:   []float64{0.75, 0.9},
		Escalation: []ticket.EscalationStep{
			{NotifyLead: true},
			{After: time.Hour, RaisePriority: true},
			{After: 2 * time.Hour, MoveTo: "escalation", NotifyLead: true},
		},
	}
	return cfg
}

// fired lists the SLA history actions of a ticket.
func (d *desk) fired(t *testing.T, id int64) []string {
	var out []string
	for _, h := range d.detail(t, id).History {
		if strings.HasPrefix(h.Action, "sla:") {
			out = append(out, strings.TrimPrefix(h.Action, "sla:"))
		}
	}
	return out
}

// tick advances the clock by step n times, firing due timers after each.
func (d *desk) tick(t *testing.T, step time.Duration, n int) {
	t.Helper()
	for range n {
		d.clock.Advance(step)
		if _, err := d.FireDue(ctx, 100); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTimersFireOnceInOrder(t *testing.T) {
	d := newDesk(t, slaConfig())
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	d.tick(t, time.Minute, 8*60) // 8 hours minute by minute
	want := []string{"first_warn_75", "first_warn_90", "first_breach", "warn_75", "warn_90", "breach", "escalate_1", "escalate_2", "escalate_3"}
	if got := d.fired(t, tk.ID); !slices.Equal(got, want) {
		t.Fatalf("fired: got %v, want %v", got, want)
	}
	det := d.detail(t, tk.ID)
	at := map[string]time.Time{}
	for _, h := range det.History {
		at[h.Action] = h.At
	}
	for key, off := range map[string]time.Duration{"sla:first_warn_75": 45 * time.Minute, "sla:first_breach": time.Hour,
		"sla:warn_75": 3 * time.Hour, "sla:breach": 4 * time.Hour, "sla:escalate_2": 5 * time.Hour, "sla:escalate_3": 6 * time.Hour} {
		if !at[key].Equal(t0.Add(off)) {
			t.Errorf("%s at %v, want +%v", key, at[key].Sub(t0), off)
		}
	}
	x := det.Ticket
	if !x.SLA.Breached || !x.SLA.FirstBreached || x.Priority != ticket.High || x.Group != "escalation" || x.Status != ticket.Pooled {
		t.Errorf("after escalation: breached %v/%v priority %s group %s status %s", x.SLA.Breached, x.SLA.FirstBreached, x.Priority, x.Group, x.Status)
	}
	if !x.SLA.NextDue.IsZero() {
		t.Errorf("next due: got %v, want none", x.SLA.NextDue)
	}
	var leadMsgs []string
	for _, m := range det.Messages {
		if m.To == "13800000100" || m.To == "13800000200" {
			leadMsgs = append(leadMsgs, m.To+" "+m.Body)
		}
	}
	if len(leadMsgs) != 8 || !strings.Contains(leadMsgs[2], "超时：工单20261123000001（fault-desk）已超过首次响应时限，截止时间2026-11-23 10:00") {
		t.Errorf("lead messages: got %q", leadMsgs)
	}
	var kinds []string
	d.mu.Lock()
	for _, e := range d.events {
		if e.Kind != ticket.EventCreated {
			kinds = append(kinds, fmt.Sprintf("%s/%s/%d", e.Kind, e.Clock, e.Step))
		}
	}
	d.mu.Unlock()
	want = []string{"ticket.sla_warning/first_response/0", "ticket.sla_warning/first_response/0", "ticket.sla_breached/first_response/0",
		"ticket.sla_warning/resolution/0", "ticket.sla_warning/resolution/0", "ticket.sla_breached/resolution/0",
		"ticket.escalated/resolution/1", "ticket.escalated/resolution/2", "ticket.escalated/resolution/3"}
	if !slices.Equal(kinds, want) {
		t.Errorf("events: got %v, want %v", kinds, want)
	}
}

func TestTimersSurviveRestart(t *testing.T) {
	d := newDesk(t, slaConfig())
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	d.tick(t, 50*time.Minute, 1) // first_warn_75 at 45m
	// The node dies; 3h10m later another starts on the same store.
	d.start(t)
	d.clock.Advance(3*time.Hour + 10*time.Minute) // now 4h: everything up to breach is due
	for range 3 {
		if _, err := d.FireDue(ctx, 100); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"first_warn_75", "first_warn_90", "first_breach", "warn_75", "warn_90", "breach", "escalate_1"}
	if got := d.fired(t, tk.ID); !slices.Equal(got, want) {
		t.Errorf("fired: got %v, want %v", got, want)
	}
	// Two nodes scanning at once still fire each timer once.
	d.clock.Advance(time.Hour)
	other, err := ticket.NewService(d.repo, d.clock, slaConfig())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	for _, s := range []*ticket.Service{d.Service, other} {
		go func() { _, err := s.FireDue(ctx, 100); done <- err }()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got := d.fired(t, tk.ID); len(got) != 8 || got[7] != "escalate_2" {
		t.Errorf("after two scanners: got %v, want escalate_2 once", got)
	}
}

func TestPendingPausesTimers(t *testing.T) {
	d := newDesk(t, slaConfig())
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Claim})
	d.tick(t, 30*time.Minute, 1)
	d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Start})
	d.tick(t, 30*time.Minute, 1) // 1h used
	x := d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Pend, Reason: ticket.WaitCustomer})
	if !x.SLA.NextDue.IsZero() || !x.SLA.ResolutionDue.IsZero() {
		t.Errorf("pending: next due %v, resolution due %v, want none", x.SLA.NextDue, x.SLA.ResolutionDue)
	}
	d.tick(t, time.Hour, 48)
	if got := d.fired(t, tk.ID); len(got) != 0 {
		t.Fatalf("fired while pending: %v", got)
	}
	x = d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Resume})
	if want := d.clock.Now().Add(3 * time.Hour); !x.SLA.ResolutionDue.Equal(want) {
		t.Errorf("due after resume: got %v, want %v", x.SLA.ResolutionDue, want)
	}
	d.tick(t, time.Minute, 150) // 2h30m: 3h30m used → warn_75 (3h) only
	if got := d.fired(t, tk.ID); !slices.Equal(got, []string{"warn_75"}) {
		t.Errorf("fired after resume: got %v, want [warn_75]", got)
	}
	d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Resolve, Resolution: "ok"})
	d.tick(t, time.Hour, 10)
	if got := d.fired(t, tk.ID); !slices.Equal(got, []string{"warn_75"}) {
		t.Errorf("fired after resolve: got %v", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  ticket.SLAConfig
		want string
	}{
		{ticket.SLAConfig{Policies: []ticket.Policy{{Type: ticket.Fault}}}, "sla.policies[0].name"},
		{ticket.SLAConfig{Policies: []ticket.Policy{{Name: "x", Type: "rant"}}}, "sla.policies[0].type"},
		{ticket.SLAConfig{Policies: []ticket.Policy{{Name: "x", Tier: "titanium"}}}, "sla.policies[0].tier"},
		{ticket.SLAConfig{Policies: []ticket.Policy{{Name: "x", Calendar: "mars"}}}, "sla.policies[0].calendar"},
		{ticket.SLAConfig{Policies: []ticket.Policy{{Name: "x"}, {Name: "y"}}}, "sla.policies[1]: same selector"},
		{ticket.SLAConfig{Policies: []ticket.Policy{{Name: "x", FirstResponse: 2 * time.Hour, Resolution: time.Hour}}}, "first_response"},
		{ticket.SLAConfig{WarnAt: []float64{1.5}}, "sla.warn_at[0]"},
		{ticket.SLAConfig{Escalation: []ticket.EscalationStep{{After: time.Hour}, {}}}, "sla.escalation[1].after"},
	}
	for _, tt := range tests {
		cfg := baseConfig()
		cfg.SLA = tt.cfg
		d := newDesk(t, baseConfig())
		if _, err := ticket.NewService(d.repo, d.clock, cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: got %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

func TestOneBadTicketDoesNotStallTimers(t *testing.T) {
	d := newDesk(t, slaConfig())
	bad, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	d.clock.Advance(time.Second)
	good, _, _ := d.Create(ctx, alice, fault("13900000002"), "")
	d.repo.FailLock = map[int64]error{bad.ID: errors.New("damaged row")}
	d.clock.Advance(50 * time.Minute)
	n, err := d.FireDue(ctx, 10)
	if n != 2 || err == nil || !strings.Contains(err.Error(), "damaged row") {
		t.Errorf("got %d, %v; want both looked at and the damage reported", n, err)
	}
	if got := d.fired(t, good.ID); !slices.Equal(got, []string{"first_warn_75"}) {
		t.Errorf("good ticket: fired %v", got)
	}
}
