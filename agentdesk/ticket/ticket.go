package ticket

import (
	"slices"
	"time"
)

// Type is what the ticket is about.
type Type string

// The ticket types.
const (
	Fault          Type = "fault"
	Complaint      Type = "complaint"
	Inquiry        Type = "inquiry"
	ServiceRequest Type = "service_request"
	Callback       Type = "callback"
	ReturnVisit    Type = "return_visit"
)

// Types lists every ticket type.
var Types = []Type{Fault, Complaint, Inquiry, ServiceRequest, Callback, ReturnVisit}

// Valid reports whether t is a known type.
func (t Type) Valid() bool { return slices.Contains(Types, t) }

// NeedsVisit reports whether resolving a ticket of this type schedules a
// return visit before it may close.
func (t Type) NeedsVisit() bool { return t == Fault || t == Complaint }

// Priority orders tickets; higher is more urgent.
type Priority string

// The priorities, lowest first.
const (
	Low    Priority = "low"
	Normal Priority = "normal"
	High   Priority = "high"
	Urgent Priority = "urgent"
)

// Priorities lists every priority, lowest first.
var Priorities = []Priority{Low, Normal, High, Urgent}

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool { return slices.Contains(Priorities, p) }

// Rank is the position of p in Priorities (0 for low), -1 when unknown.
func (p Priority) Rank() int { return slices.Index(Priorities, p) }

// Raise returns the next higher priority; urgent stays urgent.
func (p Priority) Raise() Priority {
	if r := p.Rank(); r >= 0 && r < len(Priorities)-1 {
		return Priorities[r+1]
	}
	return p
}

// Tier is the customer's service tier, set by the IVR or CRM lookup.
type Tier string

// The service tiers.
const (
	Standard Tier = "standard"
	Silver   Tier = "silver"
	Gold     Tier = "gold"
	Diamond  Tier = "diamond"
)

// Tiers lists every tier.
var Tiers = []Tier{Standard, Silver, Gold, Diamond}

// Valid reports whether t is a known tier.
func (t Tier) Valid() bool { return slices.Contains(Tiers, t) }

// Channel is where the contact that created the ticket came from.
type Channel string

// The origin channels.
const (
	Phone  Channel = "phone"
	Chat   Channel = "chat"
	Web    Channel = "web"
	SMS    Channel = "sms"
	Email  Channel = "email"
	System Channel = "system" // an outside operations system over the API
)

// Channels lists every origin channel.
var Channels = []Channel{Phone, Chat, Web, SMS, Email, System}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return slices.Contains(Channels, c) }

// Customer identifies who the ticket is for.
type Customer struct {
	ID       string `json:"id,omitempty"`       // CRM identity (account or subscriber id)
	Name     string `json:"name,omitempty"`     //
	Phone    string `json:"phone"`              // contact number, digits with optional leading +
	Email    string `json:"email,omitempty"`    //
	Tier     Tier   `json:"tier"`               //
	Language string `json:"language,omitempty"` // "zh" (default) or "en" for notifications
}

// Ticket is one unit of work on the desk. Version guards every update
// (optimistic locking): a write with a stale version fails with ErrConflict.
type Ticket struct {
	ID       int64    `json:"id"`
	Number   string   `json:"number"`
	Type     Type     `json:"type"`
	Category string   `json:"category"`
	Priority Priority `json:"priority"`
	Customer Customer `json:"customer"`
	Channel  Channel  `json:"channel"`
	Contact  string   `json:"contact,omitempty"` // id of the contact it came from
	Region   string   `json:"region,omitempty"`
	Subject  string   `json:"subject"`
	Body     string   `json:"description"`
	Group    string   `json:"group,omitempty"`
	Assignee string   `json:"assignee,omitempty"`
	Status   Status   `json:"status"`
	Pending  string   `json:"pending_reason,omitempty"` // customer or third_party while pending
	Tags     []string `json:"tags,omitempty"`
	Watchers []string `json:"watchers,omitempty"` // staff told of every lifecycle change

	SLA   SLA    `json:"sla"`
	Visit *Visit `json:"return_visit,omitempty"`

	Resolution string `json:"resolution,omitempty"`
	MergedInto int64  `json:"merged_into,omitempty"`
	Urges      int    `json:"urges"`

	IdempotencyKey string    `json:"-"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	ClosedAt       time.Time `json:"closed_at,omitzero"`
	Version        int64     `json:"version"`
}

// Clone returns a deep copy, so a transition can compute before/after.
func (t *Ticket) Clone() *Ticket {
	c := *t
	c.Tags = slices.Clone(t.Tags)
	c.Watchers = slices.Clone(t.Watchers)
	c.SLA.Fired = slices.Clone(t.SLA.Fired)
	if t.Visit != nil {
		v := *t.Visit
		c.Visit = &v
	}
	return &c
}

// Open reports whether the ticket still needs work (not closed, merged or
// cancelled).
func (t *Ticket) Open() bool { return !t.Status.Terminal() }

// VisitDue is the due time of the return visit still to be made, zero when
// none is waiting (the outbound work list).
func (t *Ticket) VisitDue() time.Time {
	if t.Visit != nil && t.Visit.Result == "" && (t.Status == Resolved || t.Status == Visiting) {
		return t.Visit.Due
	}
	return time.Time{}
}

// Visit is the return visit scheduled when a fault or complaint is resolved.
type Visit struct {
	Due    time.Time   `json:"due"`
	Result VisitResult `json:"result,omitempty"`
	Note   string      `json:"note,omitempty"`
	By     string      `json:"by,omitempty"`
	At     time.Time   `json:"at,omitzero"`
}

// VisitResult is what the customer said on the return visit.
type VisitResult string

// The return-visit results.
const (
	Satisfied   VisitResult = "satisfied"
	Unsatisfied VisitResult = "unsatisfied"
	Unreachable VisitResult = "unreachable"
)

// Valid reports whether r is a known result.
func (r VisitResult) Valid() bool { return r == Satisfied || r == Unsatisfied || r == Unreachable }
