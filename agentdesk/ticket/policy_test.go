package ticket_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// SetPolicy changes the dispatch rules, SLA targets and templates of a
// running desk for the next tickets; a bad policy changes nothing and
// names the field.
func TestSetPolicy(t *testing.T) {
	d := newDesk(t, baseConfig())
	sla := ticket.SLAConfig{Policies: []ticket.Policy{{Name: "faults", Type: ticket.Fault, FirstResponse: time.Hour, Resolution: 8 * time.Hour}}}
	rules := []ticket.Rule{{Name: "all faults to the broadband desk", Type: ticket.Fault, Group: "broadband-desk"}}
	tmpl := ticket.Templates{"zh": {"created": "【10000号】工单{{.Number}}已受理（新模板）"}}
	for _, bad := range []struct {
		rules []ticket.Rule
		sla   ticket.SLAConfig
		tmpl  ticket.Templates
		field string
	}{
		{[]ticket.Rule{{Name: "", Group: "g"}}, sla, nil, "rules[0].name"},
		{rules, ticket.SLAConfig{WarnAt: []float64{1.5}}, nil, "sla.warn_at[0]"},
		{rules, sla, ticket.Templates{"zh": {"created": "{{.Nope}}"}}, "templates.zh.created"},
		{rules, sla, ticket.Templates{"zh": {"hello": "x"}}, "templates.zh.hello"},
		{rules, sla, ticket.Templates{"fr": {"created": "x"}}, "templates.fr"},
		{rules, sla, ticket.Templates{"zh": {"created": "{{"}}, "templates.zh.created"},
	} {
		err := d.SetPolicy(bad.rules, bad.sla, bad.tmpl)
		if err == nil || !strings.HasPrefix(err.Error(), bad.field+":") {
			t.Errorf("want an error naming %s, got %v", bad.field, err)
		}
	}
	a, _, err := d.Create(ctx, alice, fault("13900000001"), "")
	if err != nil || a.Group != "fault-desk" {
		t.Fatalf("before: %+v %v", a, err)
	}
	if err := d.SetPolicy(rules, sla, tmpl); err != nil {
		t.Fatal(err)
	}
	b, _, err := d.Create(ctx, alice, fault("13900000002"), "")
	if err != nil {
		t.Fatal(err)
	}
	if b.Group != "broadband-desk" || b.SLA.Resolution != 8*time.Hour || !b.SLA.ResolutionDue.Equal(t0.Add(8*time.Hour)) {
		t.Fatalf("after: group %s SLA %+v", b.Group, b.SLA)
	}
	if det := d.detail(t, b.ID); !strings.Contains(det.Messages[0].Body, "已受理（新模板）") {
		t.Fatalf("customer SMS: %q", det.Messages[0].Body)
	}
}
