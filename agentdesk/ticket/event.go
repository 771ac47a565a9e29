package ticket

import "time"

// Event kinds (the event type names in the event log), published after the change committed. They feed the KPIs
// (SQ05 from the resolve EventChanged and EventBreached on complaints, SQ06 from EventCreated with
// AboutService) and the webhooks.
const (
	EventCreated   = "ticket.created"
	EventChanged   = "ticket.changed" // any lifecycle action; Action says which
	EventCommented = "ticket.commented"
	EventUrged     = "ticket.urged"
	EventWarning   = "ticket.sla_warning"
	EventBreached  = "ticket.sla_breached"
	EventEscalated = "ticket.escalated"
	EventClosed    = "ticket.closed"
)

// Event is one thing that happened to a ticket.
type Event struct {
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
	Ticket int64     `json:"ticket"`
	Number string    `json:"number"`
	// Contact is the contact the ticket came from, when there is one.
	Contact  string    `json:"contact_id,omitempty"`
	Type     Type      `json:"type"`
	Category string    `json:"category"`
	Priority Priority  `json:"priority"`
	Group    string    `json:"group,omitempty"`
	Status   Status    `json:"status"`
	Action   Action    `json:"action,omitempty"`
	Actor    string    `json:"actor,omitempty"`
	Clock    string    `json:"clock,omitempty"`    // warnings and breaches: "first_response" or "resolution"
	Fraction float64   `json:"fraction,omitempty"` // warnings
	Step     int       `json:"step,omitempty"`     // escalations, from 1
	Due      time.Time `json:"due,omitzero"`       // the deadline a warning/breach is about; on a resolve, the resolution deadline it met or missed
	// OnTime is set on EventClosed: resolved within the resolution target
	// (SQ05 numerator for complaints).
	OnTime bool `json:"on_time"`
	// AboutService marks complaints about the hotline's own service (SQ06).
	AboutService bool `json:"about_service"`
}

func eventOf(kind string, t *Ticket, at time.Time, serviceCategory string) Event {
	return Event{
		Kind: kind, At: at, Ticket: t.ID, Number: t.Number, Contact: t.Contact, Type: t.Type, Category: t.Category,
		Priority: t.Priority, Group: t.Group, Status: t.Status,
		OnTime:       t.SLA.OnTime,
		AboutService: t.Type == Complaint && t.Category == serviceCategory,
	}
}
