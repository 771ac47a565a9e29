package ticket

import (
	"slices"
	"strings"
)

// Draft is what it takes to open a ticket.
type Draft struct {
	Type        Type     `json:"type"`
	Category    string   `json:"category"`
	Priority    Priority `json:"priority"`
	Customer    Customer `json:"customer"`
	Channel     Channel  `json:"channel"`
	Contact     string   `json:"contact"`
	Region      string   `json:"region"`
	Subject     string   `json:"subject"`
	Description string   `json:"description"`
	Group       string   `json:"group"`    // skip the dispatch rules: straight into this pool
	Assignee    string   `json:"assignee"` // with Group: straight to this agent
	Tags        []string `json:"tags"`
}

// Validate checks every field, filling defaults (normal priority, standard
// tier, phone channel); errors name the JSON field.
func (d *Draft) Validate() error {
	if d.Priority == "" {
		d.Priority = Normal
	}
	if d.Customer.Tier == "" {
		d.Customer.Tier = Standard
	}
	if d.Channel == "" {
		d.Channel = Phone
	}
	c := &d.Customer
	switch {
	case !d.Type.Valid():
		return fieldErr("type", "unknown type %q", d.Type)
	case d.Category == "":
		return fieldErr("category", "required")
	case !d.Priority.Valid():
		return fieldErr("priority", "unknown priority %q", d.Priority)
	case !c.Tier.Valid():
		return fieldErr("customer.tier", "unknown tier %q", c.Tier)
	case !d.Channel.Valid():
		return fieldErr("channel", "unknown channel %q", d.Channel)
	case c.Language != "" && !slices.Contains(Languages, c.Language):
		return fieldErr("customer.language", "unknown language %q", c.Language)
	case d.Assignee != "" && d.Group == "":
		return fieldErr("group", "required with assignee")
	case len(d.Tags) > maxTags:
		return fieldErr("tags", "more than %d tags", maxTags)
	}
	checks := []error{
		checkName("category", d.Category),
		checkName("region", d.Region),
		checkName("group", d.Group),
		checkName("assignee", d.Assignee),
		checkName("contact", d.Contact),
		checkName("customer.id", c.ID),
		checkText("customer.name", c.Name, 0, maxName),
		checkPhone("customer.phone", c.Phone),
		checkEmail("customer.email", c.Email),
		checkText("subject", d.Subject, 1, maxSubject),
		checkText("description", d.Description, 0, maxBody),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	for _, tag := range d.Tags {
		if tag == "" || len(tag) > maxTag || checkName("tags", tag) != nil {
			return fieldErr("tags", "tag %q must be 1 to %d letters, digits or ._-:@", tag, maxTag)
		}
	}
	return nil
}

// same reports whether t was created from a draft equal to d, for
// idempotent replays.
func (d *Draft) same(t *Ticket) bool {
	return t.Type == d.Type && t.Category == d.Category && t.Subject == d.Subject &&
		t.Body == d.Description && samePhone(t.Customer.Phone, d.Customer.Phone)
}

func (d *Draft) ticket() *Ticket {
	return &Ticket{
		Type: d.Type, Category: d.Category, Priority: d.Priority, Customer: d.Customer,
		Channel: d.Channel, Contact: d.Contact, Region: d.Region, Subject: d.Subject,
		Body: d.Description, Tags: slices.Clone(d.Tags),
	}
}

// samePhone compares two numbers ignoring a leading + and the 86 country
// code.
func samePhone(a, b string) bool { return normPhone(a) == normPhone(b) }

func normPhone(s string) string {
	s = strings.TrimPrefix(s, "+")
	s = strings.TrimPrefix(s, "00")
	if len(s) == 13 && strings.HasPrefix(s, "86") {
		s = s[2:]
	}
	return s
}
