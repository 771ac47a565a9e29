package ticket_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/notify"
)

// section is how the node configuration holds the desk's settings.
type section struct {
	ticket.Settings `yaml:",inline"`
	Notify          notify.Settings `yaml:"notify"`
}

func TestSettingsFromYAML(t *testing.T) {
	raw, err := os.ReadFile("testdata/tickets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := section{Settings: ticket.DefaultSettings()}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		t.Fatal(err)
	}
	if err := s.Notify.Validate(); err != nil {
		t.Fatal(err)
	}
	cals := map[string]ticket.Calendar{"gz-desk": deskCalendar(t)}
	cfg, err := s.Config(cals, s.Notify.Subscribers())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Location.String() != "Asia/Shanghai" || len(cfg.SLA.Policies) != 5 || cfg.SLA.Policies[2].Resolution != 4*time.Hour ||
		cfg.SLA.Escalation[2].MoveTo != "escalation-desk" || len(cfg.Webhooks) != 1 || cfg.Webhooks[0].Events[1] != ticket.EventClosed {
		t.Errorf("config: %+v", cfg)
	}
	if r := s.Notify.Router(); r.SMS == nil || r.Email == nil || r.Webhook == nil {
		t.Errorf("router: %+v", r)
	}
	if _, err := ticket.NewService(newDesk(t, baseConfig()).repo, newDesk(t, baseConfig()).clock, cfg); err != nil {
		t.Errorf("service from settings: %v", err)
	}
	if got := s.Directory.GroupsOf("zhang.wei"); !slices.Equal(got, []string{"fault-desk", "vip-desk"}) {
		t.Errorf("groups of zhang.wei: %v", got)
	}
	if got := s.Directory.GroupsOf("li.na"); !slices.Equal(got, []string{"complaint-desk", "fault-desk"}) {
		t.Errorf("groups of the lead: %v", got)
	}
	cc := s.Courier()
	if cc.Lease != time.Minute || cc.MaxAttempts != 10 {
		t.Errorf("courier: %+v", cc)
	}

	bad := []struct {
		edit func(*section)
		want string
	}{
		{func(s *section) { s.Calendar = "mars" }, "tickets.calendar"},
		{func(s *section) { s.TimeZone = "Mars/Olympus" }, "tickets.time_zone"},
		{func(s *section) { s.SLA.WarnAt = []float64{2} }, "tickets.sla.warn_at[0]"},
		{func(s *section) { s.Rules[0].Group = "" }, "tickets.rules[0].group"},
		{func(s *section) { s.Outbox.Lease = 0 }, "tickets.outbox"},
	}
	for _, b := range bad {
		c := s
		c.Rules = append([]ticket.Rule(nil), s.Rules...)
		b.edit(&c)
		if _, err := c.Config(cals, nil); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("got %v, want an error naming %s", err, b.want)
		}
	}
	n := s.Notify
	n.Webhooks = append(n.Webhooks[:0:0], n.Webhooks...)
	n.Webhooks[0].URL = "ftp://x"
	if err := n.Validate(); err == nil || !strings.Contains(err.Error(), "webhooks[0].url") {
		t.Errorf("bad webhook url: got %v", err)
	}
}
