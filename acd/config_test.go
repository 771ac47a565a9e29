package acd

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	base := func() Config { return DefaultConfig() }
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"default is valid", func(*Config) {}, ""},
		{"negative aging", func(c *Config) { c.Aging = -time.Second }, "aging"},
		{"absurd aging", func(c *Config) { c.Aging = 48 * time.Hour }, "aging"},
		{"zero offer timeout", func(c *Config) { c.OfferTimeout = 0 }, "offer_timeout"},
		{"negative wrap-up", func(c *Config) { c.WrapUp = -1 }, "wrap_up"},
		{"cap below wrap-up", func(c *Config) { c.WrapUpCap = c.WrapUp - time.Second }, "wrap_up_cap"},
		{"tier priority absurd", func(c *Config) { c.TierPriority["gold"] = 5000 }, "tier_priority[gold]"},
		{"two voice lines", func(c *Config) { c.Capacity.Voice = 2 }, "capacity.voice"},
		{"negative chats", func(c *Config) { c.Capacity.Chat = -1 }, "capacity.chat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.edit(&c)
			checkConfigErr(t, c.Validate(), tt.field)
			if _, err := NewRouter(c, nil); (err == nil) != (tt.field == "") {
				t.Errorf("NewRouter: got %v, want error %v", err, tt.field != "")
			}
		})
	}
}

func checkConfigErr(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		return
	}
	var ce *ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("got %v, want *ConfigError", err)
	}
	if ce.Field != field {
		t.Fatalf("got field %q, want %q (%v)", ce.Field, field, err)
	}
}

func TestQueueValidate(t *testing.T) {
	ok := func() []Queue {
		return []Queue{
			{ID: "A", Channel: Voice, Skills: []Requirement{{Skill: "x", Min: 5}}},
			{ID: "B", Channel: Chat, Skills: []Requirement{{Skill: "y", Min: 1}}},
		}
	}
	tests := []struct {
		name  string
		edit  func(q []Queue)
		field string
	}{
		{"valid", func([]Queue) {}, ""},
		{"empty id", func(q []Queue) { q[0].ID = "" }, "queues[0].id"},
		{"duplicate id", func(q []Queue) { q[1].ID = "A" }, "queues[1].id"},
		{"no channel", func(q []Queue) { q[0].Channel = 0 }, "queues[A].channel"},
		{"no skills", func(q []Queue) { q[0].Skills = nil }, "queues[A].skills"},
		{"proficiency 11", func(q []Queue) { q[0].Skills[0].Min = 11 }, "queues[A].skills[0].min"},
		{"proficiency 0", func(q []Queue) { q[0].Skills[0].Min = 0 }, "queues[A].skills[0].min"},
		{"duplicate skill", func(q []Queue) { q[0].Skills = append(q[0].Skills, Requirement{Skill: "x", Min: 1}) }, "queues[A].skills[1].skill"},
		{"negative max wait", func(q []Queue) { q[0].MaxWait = -time.Second }, "queues[A].max_wait"},
		{"overflow without target", func(q []Queue) { q[0].MaxWait, q[0].OnMaxWait = time.Minute, Overflow }, "queues[A].overflow_to"},
		{"overflow to unknown", func(q []Queue) { q[0].OverflowTo = "Z" }, "queues[A].overflow_to"},
		{"overflow to itself", func(q []Queue) { q[0].OverflowTo = "A" }, "queues[A].overflow_to"},
		{"sl target above 1", func(q []Queue) { q[0].SLTarget = 1.5 }, "queues[A].sl_target"},
		{"unknown selection", func(q []Queue) { q[0].Selection = 99 }, "queues[A].selection"},
		{"steps out of order", func(q []Queue) {
			q[0].Steps = []Step{{After: time.Minute, MinProficiency: 3}, {After: 30 * time.Second, MinProficiency: 2}}
		}, "queues[A].steps[1].after"},
		{"step tightens", func(q []Queue) {
			q[0].Steps = []Step{{After: time.Minute, MinProficiency: 3}, {After: 2 * time.Minute, MinProficiency: 4}}
		}, "queues[A].steps[1].min_proficiency"},
		{"empty step", func(q []Queue) { q[0].Steps = []Step{{After: time.Minute}} }, "queues[A].steps[0]"},
		{"overflow step not last", func(q []Queue) {
			q[0].Steps = []Step{{After: time.Minute, OverflowTo: "B"}, {After: 2 * time.Minute, MinProficiency: 1}}
		}, "queues[A].steps[0].overflow_to"},
		{"negative step", func(q []Queue) { q[0].Steps = []Step{{After: -time.Second, MinProficiency: 1}} }, "queues[A].steps[0].after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := ok()
			tt.edit(q)
			_, err := NewRouter(DefaultConfig(), q)
			checkConfigErr(t, err, tt.field)
			if err != nil && !strings.HasPrefix(err.Error(), "acd config ") {
				t.Errorf("got message %q", err)
			}
		})
	}
}
