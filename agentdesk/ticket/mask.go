package ticket

import (
	"strings"

	"github.com/hotline10000/hotline/internal/mask"
)

// Customers' numbers by role: supervisors, leads and outside systems see
// them whole; an agent sees the phone of the tickets assigned to them (they
// call those customers back) and masked on every other ticket; ID numbers
// written in a ticket's text are masked for agents always, as on the desk.
// The CSV export masks both unless the caller may export them in clear
// (ExportOptions.Clear).

// seesPhone reports whether a sees t's customer phone whole.
func (a Actor) seesPhone(t *Ticket) bool {
	return a.Role != AgentRole || (a.ID != "" && t.Assignee == a.ID)
}

// maskedFor returns t as a may see it: t itself, or a masked copy (the
// stored ticket is never changed).
func maskedFor(a Actor, t *Ticket) *Ticket {
	if t == nil || a.Role != AgentRole {
		return t
	}
	c := *t
	if !a.seesPhone(t) {
		c.Customer.Phone = mask.Phone(c.Customer.Phone)
	}
	c.Subject, c.Body = mask.IDsInText(c.Subject), mask.IDsInText(c.Body)
	c.Resolution = mask.IDsInText(c.Resolution)
	if c.Visit != nil {
		v := *c.Visit
		v.Note = mask.IDsInText(v.Note)
		c.Visit = &v
	}
	return &c
}

func maskedAllFor(a Actor, ts []*Ticket) []*Ticket {
	if a.Role != AgentRole {
		return ts
	}
	out := make([]*Ticket, len(ts))
	for i, t := range ts {
		out[i] = maskedFor(a, t)
	}
	return out
}

// maskDetail masks a detail for a: the ticket, the notes' and history's
// text, and the phone numbers the outbox wrote to.
func maskDetail(a Actor, d *Detail) {
	if a.Role != AgentRole {
		return
	}
	phone := a.seesPhone(d.Ticket)
	d.Ticket = maskedFor(a, d.Ticket)
	for i := range d.Notes {
		d.Notes[i].Body = mask.IDsInText(d.Notes[i].Body)
	}
	for i := range d.History {
		d.History[i].Note = mask.IDsInText(d.History[i].Note)
	}
	for i := range d.Messages {
		m := &d.Messages[i]
		if !phone && isPhone(m.To) {
			m.To = mask.Phone(m.To)
		}
		m.Body = mask.IDsInText(m.Body)
	}
}

// isPhone: digits with an optional leading + (an SMS or voice recipient).
func isPhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	return s != "" && strings.Trim(s, "0123456789") == ""
}
