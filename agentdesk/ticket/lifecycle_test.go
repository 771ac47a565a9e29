package ticket

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// TestStepEveryPair applies every action to a ticket in every status: the
// legal pairs must land on the listed status, every other pair must fail with
// a TransitionError naming the action and the status.
func TestStepEveryPair(t *testing.T) {
	type key struct {
		a Action
		s Status
	}
	// want lists the legal pairs for a ticket needing a return visit (fault),
	// which holds an assignee.
	want := map[key]Status{
		{Pool, New}:     Pooled,
		{Claim, Pooled}: Assigned,
		{Dispatch, New}: Assigned, {Dispatch, Pooled}: Assigned, {Dispatch, Assigned}: Assigned, {Dispatch, InProgress}: Assigned,
		{Release, Assigned}: Pooled, {Release, InProgress}: Pooled,
		{Start, Assigned}:   InProgress,
		{Pend, InProgress}:  Pending,
		{Resume, Pending}:   InProgress,
		{Resolve, Assigned}: Resolved, {Resolve, InProgress}: Resolved,
		{BeginVisit, Resolved}: Visiting,
		{Close, Visiting}:      Closed,
		{Reopen, Resolved}:     Assigned, {Reopen, Visiting}: Assigned, {Reopen, Closed}: Assigned,
		{Merge, New}: Merged, {Merge, Pooled}: Merged, {Merge, Assigned}: Merged, {Merge, InProgress}: Merged, {Merge, Pending}: Merged,
		{Cancel, New}: Cancelled, {Cancel, Pooled}: Cancelled, {Cancel, Assigned}: Cancelled, {Cancel, InProgress}: Cancelled, {Cancel, Pending}: Cancelled,
	}
	cmds := map[Action]Command{
		Pool:     {Action: Pool, Group: "g2"},
		Dispatch: {Action: Dispatch, Group: "g2", Assignee: "a2"},
		Pend:     {Action: Pend, Reason: WaitCustomer},
		Resolve:  {Action: Resolve, Resolution: "fixed"},
		Close:    {Action: Close, Result: Satisfied},
		Merge:    {Action: Merge, Into: 99},
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, a := range Actions {
		for _, s := range Statuses {
			cmd, ok := cmds[a]
			if !ok {
				cmd = Command{Action: a}
			}
			if err := cmd.validate(); err != nil {
				t.Fatalf("%s: invalid test command: %v", a, err)
			}
			tk := &Ticket{ID: 1, Type: Fault, Status: s, Group: "g", Assignee: "a", Visit: &Visit{Due: now}}
			err := step(tk, cmd, Actor{ID: "a"}, now)
			to, legal := want[key{a, s}]
			switch {
			case legal && err != nil:
				t.Errorf("%s from %s: got %v, want %s", a, s, err, to)
			case legal && tk.Status != to:
				t.Errorf("%s from %s: got %s, want %s", a, s, tk.Status, to)
			case !legal:
				var te *TransitionError
				if !errors.As(err, &te) || te.Action != a || te.From != s {
					t.Errorf("%s from %s: got %v, want TransitionError", a, s, err)
				}
			}
		}
	}
}

// TestStepRules covers the parameter rules of individual actions.
func TestStepRules(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		ticket Ticket
		cmd    Command
		want   Status
		field  string // the FieldError's field when the step must fail
		trans  bool   // a TransitionError is expected
	}{
		{name: "close inquiry without visit", ticket: Ticket{Type: Inquiry, Status: Resolved}, cmd: Command{Action: Close}, want: Closed},
		{name: "visit on inquiry", ticket: Ticket{Type: Inquiry, Status: Resolved}, cmd: Command{Action: BeginVisit}, trans: true},
		{name: "close fault before visit", ticket: Ticket{Type: Fault, Status: Resolved, Visit: &Visit{}}, cmd: Command{Action: Close, Result: Satisfied}, trans: true},
		{name: "close fault without result", ticket: Ticket{Type: Fault, Status: Visiting, Visit: &Visit{}}, cmd: Command{Action: Close}, field: "result"},
		{name: "close fault unsatisfied", ticket: Ticket{Type: Complaint, Status: Visiting, Visit: &Visit{}}, cmd: Command{Action: Close, Result: Unsatisfied}, field: "result"},
		{name: "close unreachable", ticket: Ticket{Type: Complaint, Status: Visiting, Visit: &Visit{}}, cmd: Command{Action: Close, Result: Unreachable}, want: Closed},
		{name: "reopen unassigned goes to pool", ticket: Ticket{Type: Inquiry, Status: Closed, Group: "g"}, cmd: Command{Action: Reopen}, want: Pooled},
		{name: "dispatch to group clears assignee", ticket: Ticket{Status: Assigned, Group: "g", Assignee: "a"}, cmd: Command{Action: Dispatch, Group: "g2"}, want: Pooled},
		{name: "dispatch without any group", ticket: Ticket{Status: New}, cmd: Command{Action: Dispatch, Assignee: "a"}, field: "group"},
		{name: "merge into itself", ticket: Ticket{ID: 7, Status: Pooled}, cmd: Command{Action: Merge, Into: 7}, field: "into"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := tt.ticket
			err := step(&tk, tt.cmd, Actor{ID: "v"}, now)
			var fe *FieldError
			var te *TransitionError
			switch {
			case tt.field != "":
				if !errors.As(err, &fe) || fe.Field != tt.field {
					t.Fatalf("got %v, want a FieldError on %s", err, tt.field)
				}
			case tt.trans:
				if !errors.As(err, &te) {
					t.Fatalf("got %v, want a TransitionError", err)
				}
			case err != nil:
				t.Fatalf("got %v, want %s", err, tt.want)
			case tk.Status != tt.want:
				t.Fatalf("got %s, want %s", tk.Status, tt.want)
			}
		})
	}
}

func TestCommandValidate(t *testing.T) {
	tests := []struct {
		cmd   Command
		field string
	}{
		{Command{Action: "explode"}, "action"},
		{Command{Action: Pool}, "group"},
		{Command{Action: Dispatch}, "group"},
		{Command{Action: Pend, Reason: "lunch"}, "reason"},
		{Command{Action: Resolve}, "resolution"},
		{Command{Action: Merge}, "into"},
		{Command{Action: Close, Result: "meh"}, "result"},
		{Command{Action: Claim, Version: -1}, "version"},
		{Command{Action: Dispatch, Group: "g<script>"}, "group"},
		{Command{Action: Cancel, Reason: "bad\x00"}, "reason"},
	}
	for _, tt := range tests {
		var fe *FieldError
		if err := tt.cmd.validate(); !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%+v: got %v, want a FieldError on %s", tt.cmd, err, tt.field)
		}
	}
}

func TestPermissions(t *testing.T) {
	tk := &Ticket{Group: "g", Assignee: "a1"}
	tests := []struct {
		actor  Actor
		action Action
		want   bool
	}{
		{Actor{ID: "a2", Role: AgentRole, Groups: []string{"g"}}, Claim, true},
		{Actor{ID: "a3", Role: AgentRole, Groups: []string{"other"}}, Claim, false},
		{Actor{ID: "a1", Role: AgentRole}, Resolve, true},
		{Actor{ID: "a2", Role: AgentRole, Groups: []string{"g"}}, Resolve, false},
		{Actor{ID: "a1", Role: AgentRole, Groups: []string{"g"}}, Dispatch, false},
		{Actor{ID: "a1", Role: AgentRole, Groups: []string{"g"}}, Merge, false},
		{Actor{ID: "l", Role: LeadRole, Groups: []string{"g"}}, Dispatch, true},
		{Actor{ID: "l", Role: LeadRole, Groups: []string{"x"}}, Dispatch, false},
		{Actor{ID: "s", Role: SupervisorRole}, Cancel, true},
		{Actor{ID: "eoms", Role: SystemRole}, Resolve, true},
		{Actor{ID: "eoms", Role: SystemRole}, Dispatch, false},
		{Actor{ID: "eoms", Role: SystemRole}, Merge, false},
		{Actor{ID: "nobody"}, Claim, false},
	}
	for _, tt := range tests {
		if got := tt.actor.may(tt.action, tk); got != tt.want {
			t.Errorf("%+v may %s: got %v, want %v", tt.actor, tt.action, got, tt.want)
		}
	}
}

func TestNumber(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	// 20:30 UTC on the 22nd is already the 23rd in Beijing.
	day := numberDay(time.Date(2026, 11, 22, 20, 30, 0, 0, time.UTC), loc)
	if got, want := formatNumber(day, 42), "20261123000042"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got := formatNumber(day, 1234567); got != "202611231234567" || !ValidNumber(got) {
		t.Errorf("a seventh sequence digit: got %s (valid %v)", got, ValidNumber(got))
	}
	for s, want := range map[string]bool{
		"20261123000042": true, "2026112300004": false, "20261323000042": false,
		"2026112300004x": false, "": false, "202611230000420000000": false,
	} {
		if got := ValidNumber(s); got != want {
			t.Errorf("ValidNumber(%q): got %v, want %v", s, got, want)
		}
	}
}

func FuzzValidNumber(f *testing.F) {
	for _, s := range []string{"20261123000042", "", "9999999999999999", "20260230000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidNumber(s) {
			return
		}
		if _, err := time.Parse("20060102", s[:8]); err != nil {
			t.Fatalf("%q accepted with a bad date", s)
		}
	})
}

func TestSLAJSONInSeconds(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	in := SLA{Policy: "p", FirstResponse: 90 * time.Minute, Resolution: 8 * time.Hour, Used: 1500 * time.Millisecond,
		Since: at, ResolutionDue: at.Add(time.Hour), Fired: []string{"warn_75"}, OnTime: true}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"policy":"p","resolution_due":"2026-11-23T10:00:00Z","since":"2026-11-23T09:00:00Z","first_response_breached":false,` +
		`"resolution_breached":false,"on_time":true,"fired":["warn_75"],"first_response_target":5400,"resolution_target":28800,"used":1.5}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var out SLA
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.FirstResponse != in.FirstResponse || out.Resolution != in.Resolution || out.Used != in.Used ||
		!out.ResolutionDue.Equal(in.ResolutionDue) || out.Fired[0] != "warn_75" || !out.OnTime {
		t.Errorf("round trip: got %+v", out)
	}
}
