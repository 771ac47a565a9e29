package ticket_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
)

var (
	ctx   = context.Background()
	t0    = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // a Monday
	sup   = ticket.Actor{ID: "sup", Role: ticket.SupervisorRole}
	lead  = ticket.Actor{ID: "lead1", Role: ticket.LeadRole, Groups: []string{"fault-desk"}}
	alice = ticket.Actor{ID: "alice", Role: ticket.AgentRole, Groups: []string{"fault-desk"}}
	bob   = ticket.Actor{ID: "bob", Role: ticket.AgentRole, Groups: []string{"fault-desk"}}
	carol = ticket.Actor{ID: "carol", Role: ticket.AgentRole, Groups: []string{"billing"}}
)

// desk is a service on an in-memory repository and a manual clock.
type desk struct {
	*ticket.Service
	repo   *tickettest.Memory
	clock  *tickettest.Clock
	mu     sync.Mutex
	events []ticket.Event
	cfg    ticket.Config
}

func baseConfig() ticket.Config {
	return ticket.Config{
		Calendar: tickettest.Always{},
		Rules: []ticket.Rule{
			{Name: "vip faults", Type: ticket.Fault, Tier: ticket.Diamond, Group: "vip-desk", Assignee: "vera"},
			{Name: "faults", Type: ticket.Fault, Group: "fault-desk"},
			{Name: "complaints", Type: ticket.Complaint, Group: "complaint-desk"},
		},
		Directory: ticket.StaticDirectory{
			People: map[string]ticket.Address{
				"alice": {Phone: "13800000001", Language: "zh"}, "bob": {Phone: "13800000002"},
				"vera":  {Phone: "13800000009", Email: "vera@example.cn", Language: "en"},
				"lead1": {Phone: "13800000100"}, "lead2": {Phone: "13800000200"},
			},
			Leads: map[string]string{"fault-desk": "lead1", "escalation": "lead2", "complaint-desk": "lead1"},
		},
		Webhooks: []ticket.Webhook{{Name: "eoms", Events: []string{ticket.EventCreated, ticket.EventClosed}}},
		Logger:   slog.New(slog.DiscardHandler),
	}
}

func newDesk(t *testing.T, cfg ticket.Config) *desk {
	t.Helper()
	d := &desk{repo: tickettest.NewMemory(), clock: tickettest.NewClock(t0), cfg: cfg}
	d.start(t)
	return d
}

// start (re)builds the service on the same repository, as a restart does.
func (d *desk) start(t *testing.T) {
	t.Helper()
	cfg := d.cfg
	cfg.Publish = func(e ticket.Event) { d.mu.Lock(); d.events = append(d.events, e); d.mu.Unlock() }
	s, err := ticket.NewService(d.repo, d.clock, cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.Service = s
}

func (d *desk) kinds(id int64) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, e := range d.events {
		if e.Ticket == id {
			k := e.Kind
			if e.Action != "" {
				k += ":" + string(e.Action)
			}
			out = append(out, k)
		}
	}
	return out
}

func (d *desk) detail(t *testing.T, id int64) *ticket.Detail {
	t.Helper()
	det, err := d.Detail(ctx, sup, id)
	if err != nil {
		t.Fatal(err)
	}
	return det
}

func (d *desk) do(t *testing.T, who ticket.Actor, id int64, cmd ticket.Command) *ticket.Ticket {
	t.Helper()
	tk, err := d.Do(ctx, who, id, cmd)
	if err != nil {
		t.Fatalf("%s: %v", cmd.Action, err)
	}
	return tk
}

func fault(phone string) ticket.Draft {
	return ticket.Draft{Type: ticket.Fault, Category: "broadband", Subject: "宽带无法上网",
		Description: "光猫LOS灯红", Customer: ticket.Customer{Phone: phone, Name: "张三"}, Channel: ticket.Phone, Region: "gz"}
}

func TestCreateRoutesNumbersAndNotifies(t *testing.T) {
	d := newDesk(t, baseConfig())
	a, replay, err := d.Create(ctx, alice, fault("13900000001"), "")
	if err != nil || replay {
		t.Fatalf("got %v replay %v", err, replay)
	}
	if a.Number != "20261123000001" || a.Status != ticket.Pooled || a.Group != "fault-desk" || a.Version != 1 {
		t.Errorf("got %s %s %s v%d, want 20261123000001 pooled fault-desk v1", a.Number, a.Status, a.Group, a.Version)
	}
	vip := fault("13900000002")
	vip.Customer.Tier = ticket.Diamond
	b, _, err := d.Create(ctx, alice, vip, "")
	if err != nil {
		t.Fatal(err)
	}
	if b.Number != "20261123000002" || b.Status != ticket.Assigned || b.Group != "vip-desk" || b.Assignee != "vera" {
		t.Errorf("vip: got %s %s %s %s", b.Number, b.Status, b.Group, b.Assignee)
	}
	det := d.detail(t, b.ID)
	var to []string
	for _, m := range det.Messages {
		to = append(to, string(m.Medium)+":"+m.To)
	}
	want := []string{"sms:13900000002", "sms:13800000009", "email:vera@example.cn", "webhook:eoms"}
	if !slices.Equal(to, want) {
		t.Errorf("messages: got %v, want %v", to, want)
	}
	if !strings.Contains(det.Messages[0].Body, "您的故障工单已受理，单号20261123000002") {
		t.Errorf("customer SMS: got %q", det.Messages[0].Body)
	}
	if !strings.Contains(det.Messages[1].Body, "dispatched to you") {
		t.Errorf("English staff SMS: got %q", det.Messages[1].Body)
	}
	if len(det.History) != 2 || det.History[0].Action != "create" || det.History[1].Action != "dispatch" ||
		det.History[1].Note != "rule vip faults" || det.History[1].Actor != "alice" {
		t.Errorf("history: got %+v", det.History)
	}
	if got := d.kinds(b.ID); !slices.Equal(got, []string{ticket.EventCreated}) {
		t.Errorf("events: got %v", got)
	}
	// A new day restarts the sequence.
	d.clock.Advance(24 * time.Hour)
	c, _, _ := d.Create(ctx, alice, fault("13900000003"), "")
	if c.Number != "20261124000001" {
		t.Errorf("next day: got %s, want 20261124000001", c.Number)
	}
}

func TestCreateIdempotent(t *testing.T) {
	d := newDesk(t, baseConfig())
	sys := ticket.Actor{ID: "eoms", Role: ticket.SystemRole}
	a, replay, err := d.Create(ctx, sys, fault("13900000001"), "EOMS-77")
	if err != nil || replay {
		t.Fatal(err, replay)
	}
	b, replay, err := d.Create(ctx, sys, fault("+8613900000001"), "EOMS-77")
	if err != nil || !replay || b.ID != a.ID {
		t.Fatalf("replay: got %v %v id %d, want the first ticket %d", err, replay, b.ID, a.ID)
	}
	other := fault("13900000001")
	other.Subject = "something else"
	if _, _, err := d.Create(ctx, sys, other, "EOMS-77"); !errors.Is(err, ticket.ErrIdempotencyUsed) {
		t.Errorf("reused key: got %v, want ErrIdempotencyUsed", err)
	}
	if n := d.repo.Len(); n != 1 {
		t.Errorf("got %d tickets, want 1", n)
	}
	// Keys belong to their caller: another system's EOMS-77 is its own.
	crm := ticket.Actor{ID: "crm", Role: ticket.SystemRole}
	if c, replay, err := d.Create(ctx, crm, other, "EOMS-77"); err != nil || replay || c.ID == a.ID {
		t.Errorf("other caller, same key: got %v replay %v", err, replay)
	}
	// Concurrent retries of one request create one ticket.
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	for i := range ids {
		wg.Go(func() {
			tk, _, err := d.Create(ctx, sys, fault("13900000009"), "EOMS-78")
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = tk.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent retries: got ids %v, want one", ids)
		}
	}
}

func TestCreateRejects(t *testing.T) {
	d := newDesk(t, baseConfig())
	tests := []struct {
		name  string
		edit  func(*ticket.Draft)
		field string
	}{
		{"unknown type", func(d *ticket.Draft) { d.Type = "rant" }, "type"},
		{"unknown priority", func(d *ticket.Draft) { d.Priority = "asap" }, "priority"},
		{"unknown tier", func(d *ticket.Draft) { d.Customer.Tier = "titanium" }, "customer.tier"},
		{"unknown channel", func(d *ticket.Draft) { d.Channel = "pigeon" }, "channel"},
		{"no subject", func(d *ticket.Draft) { d.Subject = "" }, "subject"},
		{"long subject", func(d *ticket.Draft) { d.Subject = strings.Repeat("长", 201) }, "subject"},
		{"bad utf8", func(d *ticket.Draft) { d.Description = "\xff\xfe" }, "description"},
		{"control", func(d *ticket.Draft) { d.Subject = "a\x1bb" }, "subject"},
		{"phone letters", func(d *ticket.Draft) { d.Customer.Phone = "139abc" }, "customer.phone"},
		{"email", func(d *ticket.Draft) { d.Customer.Email = "<x>@y" }, "customer.email"},
		{"category", func(d *ticket.Draft) { d.Category = "a b" }, "category"},
		{"assignee without group", func(d *ticket.Draft) { d.Assignee = "bob" }, "group"},
		{"bad tag", func(d *ticket.Draft) { d.Tags = []string{"ok", ""} }, "tags"},
		{"language", func(d *ticket.Draft) { d.Customer.Language = "fr" }, "customer.language"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr := fault("13900000001")
			tt.edit(&dr)
			_, _, err := d.Create(ctx, alice, dr, "")
			var fe *ticket.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("got %v, want a FieldError on %s", err, tt.field)
			}
		})
	}
	if d.repo.Len() != 0 {
		t.Errorf("got %d tickets stored, want none", d.repo.Len())
	}
	// HTML is text, stored as given.
	dr := fault("13900000001")
	dr.Subject = `<script>alert("x")</script>`
	tk, _, err := d.Create(ctx, alice, dr, "")
	if err != nil || tk.Subject != dr.Subject {
		t.Errorf("html subject: got %v %q", err, tk.Subject)
	}
}

func TestFaultLifecycleToClose(t *testing.T) {
	cfg := baseConfig()
	cfg.SurveySMS = true
	cfg.SLA = ticket.SLAConfig{Policies: []ticket.Policy{{Name: "fault", Type: ticket.Fault, FirstResponse: time.Hour, Resolution: 8 * time.Hour}}}
	d := newDesk(t, cfg)
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	id := tk.ID
	if _, err := d.Do(ctx, carol, id, ticket.Command{Action: ticket.Claim}); !errors.Is(err, ticket.ErrForbidden) {
		t.Errorf("claim from another group: got %v, want ErrForbidden", err)
	}
	d.clock.Advance(10 * time.Minute)
	d.do(t, alice, id, ticket.Command{Action: ticket.Claim})
	if _, err := d.Do(ctx, bob, id, ticket.Command{Action: ticket.Claim}); !errors.Is(err, ticket.ErrAlreadyClaimed) {
		t.Errorf("second claim: got %v, want ErrAlreadyClaimed", err)
	}
	if _, err := d.Do(ctx, bob, id, ticket.Command{Action: ticket.Start}); !errors.Is(err, ticket.ErrForbidden) {
		t.Errorf("start by non-assignee: got %v, want ErrForbidden", err)
	}
	d.clock.Advance(20 * time.Minute)
	tk = d.do(t, alice, id, ticket.Command{Action: ticket.Start, Version: 2})
	if !tk.SLA.FirstResponseAt.Equal(t0.Add(30 * time.Minute)) {
		t.Errorf("first response at %v, want +30m", tk.SLA.FirstResponseAt)
	}
	d.clock.Advance(30 * time.Minute) // 1h used
	d.do(t, alice, id, ticket.Command{Action: ticket.Pend, Reason: ticket.WaitThirdParty})
	d.clock.Advance(48 * time.Hour) // paused
	tk = d.do(t, alice, id, ticket.Command{Action: ticket.Resume})
	if want := t0.Add(49*time.Hour + 7*time.Hour); !tk.SLA.ResolutionDue.Equal(want) {
		t.Errorf("due after pause: got %v, want %v", tk.SLA.ResolutionDue, want)
	}
	d.clock.Advance(2 * time.Hour)
	tk = d.do(t, alice, id, ticket.Command{Action: ticket.Resolve, Resolution: "更换光猫"})
	if !tk.SLA.OnTime || tk.SLA.Used != 3*time.Hour || tk.Visit == nil || !tk.Visit.Due.Equal(d.clock.Now().Add(24*time.Hour)) {
		t.Errorf("resolved: on time %v used %v visit %+v", tk.SLA.OnTime, tk.SLA.Used, tk.Visit)
	}
	if _, err := d.Do(ctx, alice, id, ticket.Command{Action: ticket.Close}); err == nil {
		t.Error("close before the return visit succeeded")
	}
	d.do(t, bob, id, ticket.Command{Action: ticket.BeginVisit})
	tk = d.do(t, bob, id, ticket.Command{Action: ticket.Close, Result: ticket.Satisfied, Note: "客户满意"})
	if tk.Status != ticket.Closed || tk.Visit.Result != ticket.Satisfied || tk.Visit.By != "bob" || tk.ClosedAt.IsZero() {
		t.Errorf("closed: got %s %+v", tk.Status, tk.Visit)
	}
	want := []string{"ticket.created", "ticket.changed:claim", "ticket.changed:start", "ticket.changed:pend",
		"ticket.changed:resume", "ticket.changed:resolve", "ticket.changed:visit", "ticket.changed:close", "ticket.closed"}
	if got := d.kinds(id); !slices.Equal(got, want) {
		t.Errorf("events: got %v, want %v", got, want)
	}
	det := d.detail(t, id)
	var actions []string
	for _, h := range det.History {
		actions = append(actions, h.Action)
	}
	if want := []string{"create", "pool", "claim", "start", "pend", "resume", "resolve", "visit", "close"}; !slices.Equal(actions, want) {
		t.Errorf("history: got %v, want %v", actions, want)
	}
	claim := det.History[2]
	if claim.Actor != "alice" || !slices.Contains(claim.Changes, ticket.Change{Field: "status", Before: "pooled", After: "assigned"}) ||
		!slices.Contains(claim.Changes, ticket.Change{Field: "assignee", Before: "", After: "alice"}) {
		t.Errorf("claim entry: got %+v", claim)
	}
	var bodies []string
	for _, m := range det.Messages {
		if m.To == "13900000001" {
			bodies = append(bodies, m.Body)
		}
	}
	if len(bodies) != 3 || !strings.Contains(bodies[1], "回复1满意") || !strings.Contains(bodies[2], "已处理完毕：更换光猫") {
		t.Errorf("customer messages: got %q", bodies)
	}
	d.mu.Lock()
	last := d.events[len(d.events)-1]
	d.mu.Unlock()
	if !last.OnTime {
		t.Errorf("closed event: got OnTime false")
	}
}

func TestReopenAfterUnsatisfiedVisit(t *testing.T) {
	cfg := baseConfig()
	cfg.SLA = ticket.SLAConfig{Policies: []ticket.Policy{{Name: "c", Resolution: 4 * time.Hour}}}
	d := newDesk(t, cfg)
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Claim})
	d.clock.Advance(time.Hour)
	d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Resolve, Resolution: "reset"})
	d.clock.Advance(10 * time.Hour) // the clock is stopped while resolved
	d.do(t, bob, tk.ID, ticket.Command{Action: ticket.BeginVisit})
	tk = d.do(t, bob, tk.ID, ticket.Command{Action: ticket.Reopen, Note: "still down"})
	if tk.Status != ticket.Assigned || tk.Assignee != "alice" || tk.Visit.Result != ticket.Unsatisfied || tk.Resolution != "" {
		t.Errorf("reopened: got %s %s %+v %q", tk.Status, tk.Assignee, tk.Visit, tk.Resolution)
	}
	if want := d.clock.Now().Add(3 * time.Hour); !tk.SLA.ResolutionDue.Equal(want) || !tk.SLA.ResolvedAt.IsZero() {
		t.Errorf("due after reopen: got %v, want %v", tk.SLA.ResolutionDue, want)
	}
}

func TestVersionConflict(t *testing.T) {
	d := newDesk(t, baseConfig())
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	d.do(t, lead, tk.ID, ticket.Command{Action: ticket.Dispatch, Assignee: "bob", Version: 1})
	_, err := d.Do(ctx, lead, tk.ID, ticket.Command{Action: ticket.Dispatch, Assignee: "alice", Version: 1})
	if !errors.Is(err, ticket.ErrConflict) || ticket.Code(err) != "version_conflict" {
		t.Errorf("stale version: got %v, want ErrConflict", err)
	}
	got, _ := d.Get(ctx, sup, tk.ID)
	if got.Assignee != "bob" || got.Version != 2 {
		t.Errorf("after conflict: got %s v%d, want bob v2", got.Assignee, got.Version)
	}
}

func TestMerge(t *testing.T) {
	d := newDesk(t, baseConfig())
	orig, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	dup, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	if _, err := d.Urge(ctx, alice, dup.ID, "客户再次来电"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Do(ctx, alice, dup.ID, ticket.Command{Action: ticket.Merge, Into: orig.ID}); !errors.Is(err, ticket.ErrForbidden) {
		t.Errorf("agent merge: got %v, want ErrForbidden", err)
	}
	if _, err := d.Do(ctx, lead, dup.ID, ticket.Command{Action: ticket.Merge, Into: 999}); ticket.Code(err) != "invalid_field" {
		t.Errorf("merge into missing: got %v, want invalid_field", err)
	}
	got := d.do(t, lead, dup.ID, ticket.Command{Action: ticket.Merge, Into: orig.ID})
	if got.Status != ticket.Merged || got.MergedInto != orig.ID {
		t.Errorf("dup: got %s into %d", got.Status, got.MergedInto)
	}
	o := d.detail(t, orig.ID)
	if o.Ticket.Urges != 1 || o.Ticket.Version != 2 || o.History[len(o.History)-1].Note != "merged duplicate "+dup.Number {
		t.Errorf("original: got urges %d v%d history %+v", o.Ticket.Urges, o.Ticket.Version, o.History)
	}
	third, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	if _, err := d.Do(ctx, lead, third.ID, ticket.Command{Action: ticket.Merge, Into: dup.ID}); ticket.Code(err) != "invalid_field" {
		t.Errorf("merge into a merged ticket: got %v, want invalid_field", err)
	}
}

func TestUrgeAndComments(t *testing.T) {
	cfg := baseConfig()
	cfg.SLA = ticket.SLAConfig{Policies: []ticket.Policy{{Name: "all", FirstResponse: time.Hour, Resolution: 8 * time.Hour}}}
	d := newDesk(t, cfg)
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	if _, err := d.Urge(ctx, alice, tk.ID, ""); err != nil { // unassigned: the lead hears it
		t.Fatal(err)
	}
	d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Claim})
	d.clock.Advance(5 * time.Minute)
	if _, err := d.Comment(ctx, alice, tk.ID, ticket.Internal, "查线路"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Urge(ctx, bob, tk.ID, "第二次催单"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Comment(ctx, alice, tk.ID, ticket.Reply, "师傅下午上门<b>"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Comment(ctx, alice, tk.ID, "shout", "x"); ticket.Code(err) != "invalid_field" {
		t.Errorf("unknown kind: got %v", err)
	}
	det := d.detail(t, tk.ID)
	if det.Ticket.Urges != 2 || !det.Ticket.SLA.FirstResponseAt.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("got urges %d, first response %v", det.Ticket.Urges, det.Ticket.SLA.FirstResponseAt)
	}
	var got []string
	for _, m := range det.Messages {
		got = append(got, m.To+" "+m.Body)
	}
	want := []string{
		"13900000001 【10000号】您好，您的故障工单已受理，单号20261123000001，我们将尽快处理。查询进度请拨打10000或登录网上营业厅。",
		"13800000100 催单：工单20261123000001已被催办1次，请尽快处理：宽带无法上网",
		"13800000001 催单：工单20261123000001已被催办2次，请尽快处理：宽带无法上网",
		"13900000001 【10000号】关于工单20261123000001：师傅下午上门<b>",
	}
	got = slices.DeleteFunc(got, func(s string) bool { return strings.HasPrefix(s, "eoms") })
	if !slices.Equal(got, want) {
		t.Errorf("messages:\ngot  %q\nwant %q", got, want)
	}
	if len(det.Notes) != 4 || det.Notes[1].Kind != ticket.Internal || det.Notes[2].Kind != ticket.Urging {
		t.Errorf("notes: got %+v", det.Notes)
	}
}

func TestCustomerStatus(t *testing.T) {
	d := newDesk(t, baseConfig())
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	d.Comment(ctx, alice, tk.ID, ticket.Internal, "客户脾气大")
	d.Comment(ctx, alice, tk.ID, ticket.Reply, "已派师傅")
	v, err := d.CustomerStatus(ctx, tk.Number, "+8613900000001")
	if err != nil {
		t.Fatal(err)
	}
	if v.Number != tk.Number || v.Status != ticket.Pooled || len(v.Replies) != 1 || v.Replies[0].Body != "已派师傅" {
		t.Errorf("got %+v", v)
	}
	if _, err := d.CustomerStatus(ctx, tk.Number, "13900000002"); !errors.Is(err, ticket.ErrNotFound) {
		t.Errorf("someone else's phone: got %v, want ErrNotFound", err)
	}
	if _, err := d.CustomerStatus(ctx, "20261123999999", "13900000001"); !errors.Is(err, ticket.ErrNotFound) {
		t.Errorf("unknown number: got %v, want ErrNotFound", err)
	}
	if _, err := d.CustomerStatus(ctx, "12345", "13900000001"); ticket.Code(err) != "invalid_field" {
		t.Errorf("malformed number: got %v, want invalid_field", err)
	}
}

func TestPoolByUrgency(t *testing.T) {
	cfg := baseConfig()
	cfg.SLA = ticket.SLAConfig{Policies: []ticket.Policy{
		{Name: "normal", Type: ticket.Fault, Resolution: 8 * time.Hour},
		{Name: "urgent", Type: ticket.Fault, Priority: ticket.Urgent, Resolution: 2 * time.Hour},
		{Name: "low", Type: ticket.Fault, Priority: ticket.Low},
	}}
	d := newDesk(t, cfg)
	var numbers []string
	for i, p := range []ticket.Priority{ticket.Normal, ticket.Low, ticket.Urgent, ticket.Normal} {
		dr := fault("13900000001")
		dr.Priority = p
		tk, _, err := d.Create(ctx, alice, dr, "")
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, tk.Number)
		d.clock.Advance(time.Duration(i+1) * time.Minute)
	}
	pool, err := d.Pool(ctx, alice, "fault-desk", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range pool {
		got = append(got, tk.Number)
	}
	// urgent (2h), the first normal (8h from 0m), the second normal (8h from +6m), low (no deadline).
	want := []string{numbers[2], numbers[0], numbers[3], numbers[1]}
	if !slices.Equal(got, want) {
		t.Errorf("pool: got %v, want %v", got, want)
	}
	if _, err := d.Pool(ctx, carol, "fault-desk", 10, 0); !errors.Is(err, ticket.ErrForbidden) {
		t.Errorf("other group's pool: got %v, want ErrForbidden", err)
	}
}

func TestExportCSV(t *testing.T) {
	d := newDesk(t, baseConfig())
	dr := fault("+8613900000001")
	dr.Subject = "=HYPERLINK(\"http://x\"),\"引号\""
	d.Create(ctx, alice, dr, "")
	var buf bytes.Buffer
	if err := d.Export(ctx, alice, ticket.Filter{}, &buf, ticket.ExportOptions{}); !errors.Is(err, ticket.ErrForbidden) {
		t.Errorf("agent export: got %v, want ErrForbidden", err)
	}
	if err := d.Export(ctx, lead, ticket.Filter{}, &buf, ticket.ExportOptions{Clear: true}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("no UTF-8 BOM: % x", b[:3])
	}
	rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][0] != "number" || rows[1][0] != "20261123000001" {
		t.Fatalf("rows: got %q", rows)
	}
	if rows[1][11] != "'=HYPERLINK(\"http://x\"),\"引号\"" || rows[1][8] != "'+8613900000001" {
		t.Errorf("cells: got subject %q phone %q", rows[1][11], rows[1][8])
	}
	if !bytes.Contains(b, []byte("\r\n")) {
		t.Error("want CRLF line ends")
	}
}

func TestWatchers(t *testing.T) {
	cfg := baseConfig()
	cfg.Webhooks = nil
	d := newDesk(t, cfg)
	tk, _, _ := d.Create(ctx, alice, fault("13900000001"), "")
	if _, err := d.Watch(ctx, bob, tk.ID, true); err != nil {
		t.Fatal(err)
	}
	if x, _ := d.Watch(ctx, bob, tk.ID, true); len(x.Watchers) != 1 || x.Version != 2 {
		t.Errorf("watching twice: got %v v%d", x.Watchers, x.Version)
	}
	d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Claim})
	d.do(t, alice, tk.ID, ticket.Command{Action: ticket.Start})
	d.do(t, lead, tk.ID, ticket.Command{Action: ticket.Dispatch, Assignee: "bob"}) // in_progress → assigned
	d.Comment(ctx, alice, tk.ID, ticket.Internal, "no status change, no message")
	x, err := d.Watch(ctx, bob, tk.ID, false)
	if err != nil || len(x.Watchers) != 0 {
		t.Fatalf("unwatch: %v %v", x.Watchers, err)
	}
	d.do(t, bob, tk.ID, ticket.Command{Action: ticket.Start})
	var got []string
	for _, m := range d.detail(t, tk.ID).Messages {
		if m.To == "13800000002" {
			got = append(got, m.Body)
		}
	}
	want := []string{
		"您关注的工单20261123000001状态变为“已派单”：宽带无法上网",
		"您关注的工单20261123000001状态变为“处理中”：宽带无法上网",
		"工单20261123000001（故障，普通）已派发给您：宽带无法上网",
		"您关注的工单20261123000001状态变为“已派单”：宽带无法上网",
	}
	if !slices.Equal(got, want) {
		t.Errorf("bob's messages:\ngot  %q\nwant %q", got, want)
	}
	// docs/tickets.md: systems may do everything but dispatch and merge;
	// watching was refused to them.
	w, err := d.Watch(ctx, ticket.Actor{ID: "api:eoms", Role: ticket.SystemRole}, tk.ID, true)
	if err != nil || !slices.Contains(w.Watchers, "api:eoms") {
		t.Errorf("system watching: got %v", err)
	}
	if _, err := d.Watch(ctx, ticket.Actor{ID: "x"}, tk.ID, true); !errors.Is(err, ticket.ErrForbidden) {
		t.Errorf("no role watching: got %v", err)
	}
}

func TestExportPages(t *testing.T) {
	cfg := baseConfig()
	cfg.Webhooks = nil
	d := newDesk(t, cfg)
	const n = 2*ticket.MaxPage + 3
	for i := range n {
		if _, _, err := d.Create(ctx, sup, fault(fmt.Sprintf("1390000%04d", i)), ""); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := d.Export(ctx, sup, ticket.Filter{}, &buf, ticket.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 || rows[1][0] != "20261123000001" || rows[n][0] != fmt.Sprintf("20261123%06d", n) {
		t.Errorf("got %d rows, first %s, last %s", len(rows), rows[1][0], rows[len(rows)-1][0])
	}
}
