package acd

import (
	"fmt"
	"time"
)

// Limits that make a value absurd rather than merely unusual.
const (
	MinProficiency = 1
	MaxProficiency = 10
	maxDuration    = 24 * time.Hour
	maxPriority    = 1000
	maxCapacity    = 16
)

// Config holds the center-wide rules. Queues are configured separately.
type Config struct {
	// TierPriority maps a service tier (diamond, gold, …) to a priority; a
	// higher number is served first. The empty tier has priority 0.
	TierPriority map[string]int
	// Aging is the wait worth one priority point; 0 disables aging, so a
	// higher priority always goes first.
	Aging time.Duration
	// OfferTimeout is how long an agent has to accept an offer.
	OfferTimeout time.Duration
	// WrapUp is the after-contact work time; 0 means none.
	WrapUp time.Duration
	// WrapUpCap bounds a wrap-up including the agent's extensions.
	WrapUpCap time.Duration
	// RejectToReady puts an agent who rejects an offer back to ready; by
	// default the agent goes to not_ready with reason "rejected".
	RejectToReady bool
	// Capacity is every agent's default; Login may override it per agent.
	Capacity Capacity
}

// Capacity is how much work an agent holds at once.
type Capacity struct {
	Voice int `json:"voice"`
	Chat  int `json:"chat"`
	// VoiceBlocksChat: while on a voice contact the agent is offered no chat.
	// Voice is never offered to an agent with a chat open.
	VoiceBlocksChat bool `json:"voice_blocks_chat"`
}

// DefaultConfig is a working center-wide configuration.
func DefaultConfig() Config {
	return Config{
		TierPriority: map[string]int{"": 0, "standard": 0, "silver": 1, "gold": 2, "diamond": 3},
		Aging:        30 * time.Second,
		OfferTimeout: 15 * time.Second,
		WrapUp:       30 * time.Second,
		WrapUpCap:    120 * time.Second,
		Capacity:     Capacity{Voice: 1, Chat: 3, VoiceBlocksChat: true},
	}
}

// Requirement is a skill at a minimum proficiency (1–10).
type Requirement struct {
	Skill string `json:"skill"`
	Min   int    `json:"min"`
}

// Step relaxes a queue's requirements once a contact has waited After in it:
// MinProficiency (when not 0) lowers the minimum of every required skill,
// AddSkills admits agents with any of these skills instead, OverflowTo moves
// the contact to another queue (keeping its entry time; not a new request).
type Step struct {
	After          time.Duration
	MinProficiency int
	AddSkills      []Requirement
	OverflowTo     string
}

// Queue is one agent queue.
type Queue struct {
	ID      string
	Channel Channel
	// Skills are all required (each at its minimum) at stage 0.
	Skills []Requirement
	// Weight is added to every contact's priority when an agent who serves
	// several queues chooses between them.
	Weight    int
	Selection Selection
	// SLThreshold and SLTarget are the queue's service-level goal, reported
	// in QueueStats.
	SLThreshold time.Duration
	SLTarget    float64
	Steps       []Step
	// MaxWait (0 = unlimited) and OnMaxWait: what happens to a contact that
	// waited that long in this queue. Overflow needs OverflowTo.
	MaxWait    time.Duration
	OnMaxWait  Action
	OverflowTo string
	// JoinEmpty keeps contacts waiting when no eligible agent is logged in.
	// Otherwise such contacts are lost with reason "no_agents", unless the
	// queue can overflow.
	JoinEmpty bool
	// WrapUp, when set, is the after-contact work time of contacts served
	// from this queue instead of Config.WrapUp (0: none). An agent's own
	// wrap-up time (AgentSpec.WrapUp) wins over it.
	WrapUp *time.Duration
	// Open, when set, says whether the queue takes new contacts at a time
	// (its opening calendar): Enqueue outside it fails with ErrQueueClosed.
	// Contacts already in the queue, and contacts moved or overflowing into
	// it, are not affected. It must be pure and fast (no I/O).
	Open func(time.Time) bool
}

// Validate checks the center-wide rules. The error is a *ConfigError.
func (c Config) Validate() error {
	for tier, p := range c.TierPriority {
		if p < -maxPriority || p > maxPriority {
			return &ConfigError{Field: fmt.Sprintf("tier_priority[%s]", tier), Reason: fmt.Sprintf("%d outside ±%d", p, maxPriority)}
		}
	}
	checks := []struct {
		name string
		d    time.Duration
		min  time.Duration
	}{
		{"aging", c.Aging, 0},
		{"offer_timeout", c.OfferTimeout, time.Second},
		{"wrap_up", c.WrapUp, 0},
		{"wrap_up_cap", c.WrapUpCap, 0},
	}
	for _, ch := range checks {
		if ch.d < ch.min || ch.d > maxDuration {
			return &ConfigError{Field: ch.name, Reason: fmt.Sprintf("%v outside [%v, %v]", ch.d, ch.min, maxDuration)}
		}
	}
	if c.WrapUpCap < c.WrapUp {
		return &ConfigError{Field: "wrap_up_cap", Reason: fmt.Sprintf("%v below wrap_up %v", c.WrapUpCap, c.WrapUp)}
	}
	return c.Capacity.validate("capacity")
}

func (c Capacity) validate(field string) error {
	if c.Voice < 0 || c.Voice > 1 {
		return &ConfigError{Field: field + ".voice", Reason: fmt.Sprintf("%d outside [0, 1]", c.Voice)}
	}
	if c.Chat < 0 || c.Chat > maxCapacity {
		return &ConfigError{Field: field + ".chat", Reason: fmt.Sprintf("%d outside [0, %d]", c.Chat, maxCapacity)}
	}
	return nil
}

func validateQueues(queues []Queue) error {
	ids := make(map[string]int, len(queues))
	for i, q := range queues {
		if q.ID == "" {
			return &ConfigError{Field: fmt.Sprintf("queues[%d].id", i), Reason: "empty"}
		}
		if _, dup := ids[q.ID]; dup {
			return &ConfigError{Field: fmt.Sprintf("queues[%d].id", i), Reason: fmt.Sprintf("duplicate %q", q.ID)}
		}
		ids[q.ID] = i
	}
	for _, q := range queues {
		if err := q.validate(fmt.Sprintf("queues[%s]", q.ID), ids); err != nil {
			return err
		}
	}
	return nil
}

func (q Queue) validate(f string, ids map[string]int) error {
	bad := func(field, format string, args ...any) error {
		return &ConfigError{Field: f + "." + field, Reason: fmt.Sprintf(format, args...)}
	}
	if q.Channel != Voice && q.Channel != Chat {
		return bad("channel", "must be voice or chat")
	}
	if len(q.Skills) == 0 {
		return bad("skills", "at least one skill is required")
	}
	if err := validateRequirements(q.Skills, f+".skills"); err != nil {
		return err
	}
	if q.Weight < -maxPriority || q.Weight > maxPriority {
		return bad("weight", "%d outside ±%d", q.Weight, maxPriority)
	}
	if q.Selection > LeastOccupied {
		return bad("selection", "unknown policy %d", q.Selection)
	}
	if q.SLThreshold < 0 || q.SLThreshold > maxDuration {
		return bad("sl_threshold", "%v outside [0, %v]", q.SLThreshold, maxDuration)
	}
	if q.SLTarget < 0 || q.SLTarget > 1 {
		return bad("sl_target", "%v outside [0, 1]", q.SLTarget)
	}
	if q.MaxWait < 0 || q.MaxWait > maxDuration {
		return bad("max_wait", "%v outside [0, %v]", q.MaxWait, maxDuration)
	}
	if q.OnMaxWait > Ticket {
		return bad("on_max_wait", "unknown action %d", q.OnMaxWait)
	}
	if q.WrapUp != nil && (*q.WrapUp < 0 || *q.WrapUp > maxDuration) {
		return bad("wrap_up", "%v outside [0, %v]", *q.WrapUp, maxDuration)
	}
	if err := checkTarget(q.ID, q.OverflowTo, ids); err != nil {
		return bad("overflow_to", "%v", err)
	}
	if q.OnMaxWait == Overflow && q.OverflowTo == "" {
		return bad("overflow_to", "required by on_max_wait overflow")
	}
	prevAfter, prevMin := time.Duration(0), MaxProficiency
	for i, s := range q.Steps {
		sf := fmt.Sprintf("steps[%d]", i)
		if s.After <= prevAfter || s.After > maxDuration {
			return bad(sf+".after", "%v must be after the previous step and at most %v", s.After, maxDuration)
		}
		prevAfter = s.After
		if s.MinProficiency != 0 {
			if s.MinProficiency < MinProficiency || s.MinProficiency > prevMin {
				return bad(sf+".min_proficiency", "%d must be in [1, %d] (steps only relax)", s.MinProficiency, prevMin)
			}
			prevMin = s.MinProficiency
		}
		if err := validateRequirements(s.AddSkills, f+"."+sf+".add_skills"); err != nil {
			return err
		}
		if err := checkTarget(q.ID, s.OverflowTo, ids); err != nil {
			return bad(sf+".overflow_to", "%v", err)
		}
		if s.OverflowTo != "" && i != len(q.Steps)-1 {
			return bad(sf+".overflow_to", "an overflow step must be the last step")
		}
		if s.OverflowTo == "" && s.MinProficiency == 0 && len(s.AddSkills) == 0 {
			return bad(sf, "step changes nothing")
		}
	}
	return nil
}

func checkTarget(self, target string, ids map[string]int) error {
	if target == "" {
		return nil
	}
	if target == self {
		return fmt.Errorf("queue overflows to itself")
	}
	if _, ok := ids[target]; !ok {
		return fmt.Errorf("%w %q", ErrUnknownQueue, target)
	}
	return nil
}

func validateRequirements(reqs []Requirement, f string) error {
	seen := map[string]bool{}
	for i, r := range reqs {
		if r.Skill == "" {
			return &ConfigError{Field: fmt.Sprintf("%s[%d].skill", f, i), Reason: "empty"}
		}
		if seen[r.Skill] {
			return &ConfigError{Field: fmt.Sprintf("%s[%d].skill", f, i), Reason: fmt.Sprintf("duplicate %q", r.Skill)}
		}
		seen[r.Skill] = true
		if r.Min < MinProficiency || r.Min > MaxProficiency {
			return &ConfigError{Field: fmt.Sprintf("%s[%d].min", f, i), Reason: fmt.Sprintf("%d outside [%d, %d]", r.Min, MinProficiency, MaxProficiency)}
		}
	}
	return nil
}
