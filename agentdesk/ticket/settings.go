package ticket

import (
	"errors"
	"fmt"
	"time"
)

// Settings is the desk's part of the configuration file, meant to sit in
// the node's config as a `tickets:` section. Config builds the Service's
// Config from it.
type Settings struct {
	Calendar        string          `yaml:"calendar" doc:"Business calendar SLA targets are measured in (a name from the calendars section); empty: open around the clock."`
	TimeZone        string          `yaml:"time_zone" doc:"IANA zone of ticket-number days and of times in notification texts; empty: the calendar's."`
	ServiceCategory string          `yaml:"service_category" doc:"Complaint category meaning a complaint about the hotline's own service (KPI SQ06)."`
	VisitAfter      time.Duration   `yaml:"visit_after" doc:"Business time after resolving a fault or complaint when its return visit falls due."`
	SurveySMS       bool            `yaml:"survey_sms" doc:"Send a satisfaction survey SMS when a fault or complaint is resolved."`
	NumberBlock     int             `yaml:"number_block" doc:"Ticket numbers each node reserves at a time from the shared daily counter."`
	Rules           []Rule          `yaml:"rules" doc:"Automatic dispatch: first match of type/category/region/tier sends a new ticket to a group (or person)."`
	SLA             SLAConfig       `yaml:"sla" doc:"Policies (type x priority x tier: first_response, resolution), warn_at fractions, escalation chain."`
	Directory       StaticDirectory `yaml:"directory" doc:"Staff phone/e-mail/language for notifications, each group's lead and members."`
	Categories      []string        `yaml:"categories" doc:"Ticket categories the desk's form offers, besides those the rules name."`
	Templates       Templates       `yaml:"templates" doc:"Notification template overrides: language -> template name -> text/template source."`
	Timers          struct {
		Every time.Duration `yaml:"every" doc:"How often the SLA timer loop scans for due timers."`
		Batch int           `yaml:"batch" doc:"Tickets handled per scan before scanning again."`
	} `yaml:"timers"`
	Outbox struct {
		Every       time.Duration `yaml:"every" doc:"How often the courier looks for messages to send."`
		Batch       int           `yaml:"batch" doc:"Messages claimed per round."`
		Lease       time.Duration `yaml:"lease" doc:"How long a claimed message is held before another courier may retry it."`
		MaxAttempts int           `yaml:"max_attempts" doc:"Attempts before a message is given up (dead)."`
	} `yaml:"outbox"`
}

// DefaultSettings returns the settings used where nothing overrides them.
func DefaultSettings() Settings {
	var s Settings
	s.ServiceCategory = "hotline_service"
	s.VisitAfter = 24 * time.Hour
	s.NumberBlock = 20
	s.SLA.WarnAt = []float64{0.75}
	s.Timers.Every, s.Timers.Batch = 10*time.Second, 500
	s.Outbox.Every, s.Outbox.Batch, s.Outbox.Lease, s.Outbox.MaxAttempts = 2*time.Second, 50, time.Minute, 10
	return s
}

// Config validates the settings and builds the Service configuration.
// calendars holds the node's named business calendars; webhooks the
// subscribers (from notify.Settings.Subscribers).
func (s Settings) Config(calendars map[string]Calendar, webhooks []Webhook) (Config, error) {
	var c Config
	switch {
	case s.VisitAfter <= 0:
		return c, errors.New("tickets.visit_after: must be positive")
	case s.NumberBlock <= 0:
		return c, errors.New("tickets.number_block: must be positive")
	case s.Timers.Every <= 0 || s.Timers.Batch <= 0:
		return c, errors.New("tickets.timers: every and batch must be positive")
	case s.Outbox.Every <= 0 || s.Outbox.Batch <= 0 || s.Outbox.Lease <= 0 || s.Outbox.MaxAttempts <= 0:
		return c, errors.New("tickets.outbox: every, batch, lease and max_attempts must be positive")
	}
	c.Calendar = always{}
	if s.Calendar != "" {
		cal, ok := calendars[s.Calendar]
		if !ok {
			return c, fmt.Errorf("tickets.calendar: unknown calendar %q", s.Calendar)
		}
		c.Calendar = cal
		if l, ok := cal.(interface{ Location() *time.Location }); ok {
			c.Location = l.Location()
		}
	}
	if s.TimeZone != "" {
		loc, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			return c, fmt.Errorf("tickets.time_zone: %w", err)
		}
		c.Location = loc
	}
	if err := s.SLA.Validate(calendars); err != nil {
		return c, fmt.Errorf("tickets.%w", err)
	}
	if err := validateRules(s.Rules); err != nil {
		return c, fmt.Errorf("tickets.%w", err)
	}
	if _, err := parseTemplates(s.Templates); err != nil {
		return c, fmt.Errorf("tickets.%w", err)
	}
	c.SLA, c.Rules, c.Calendars, c.Webhooks, c.Templates = s.SLA, s.Rules, calendars, webhooks, s.Templates
	c.Directory, c.ServiceCategory, c.VisitAfter, c.SurveySMS = s.Directory, s.ServiceCategory, s.VisitAfter, s.SurveySMS
	return c, nil
}

// Courier returns the outbox courier settings.
func (s Settings) Courier() CourierConfig {
	return CourierConfig{Lease: s.Outbox.Lease, Batch: s.Outbox.Batch, MaxAttempts: s.Outbox.MaxAttempts}
}

// always is business time around the clock, for a desk without a calendar.
type always struct{}

func (always) Name() string                               { return "always" }
func (always) Add(t time.Time, d time.Duration) time.Time { return t.Add(d) }
func (always) Between(a, b time.Time) time.Duration       { return max(b.Sub(a), 0) }
