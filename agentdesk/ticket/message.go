package ticket

import (
	"context"
	"slices"
	"time"
)

// Medium is how an outbox message travels.
type Medium string

// The media.
const (
	BySMS     Medium = "sms"
	ByEmail   Medium = "email"
	ByWebhook Medium = "webhook"
)

// Delivery states of an outbox message.
const (
	Queued = "queued" // waiting for (another) attempt
	Sent   = "sent"   // delivered; Outcome holds the gateway's receipt
	Dead   = "dead"   // given up; Outcome holds the last error
)

// Message is one notification in the outbox. It is written in the same
// transaction as the change it tells about and delivered later by a Courier.
// Key is unique: enqueueing the same key twice keeps the first message.
type Message struct {
	ID        int64     `json:"id"`
	Key       string    `json:"key"`
	Ticket    int64     `json:"ticket"`
	Medium    Medium    `json:"medium"`
	To        string    `json:"to"` // phone number, e-mail address or webhook subscriber name
	Subject   string    `json:"subject,omitempty"`
	Body      string    `json:"body"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	NextTry   time.Time `json:"next_try"` // due time of the next attempt; a claim pushes it past the lease
	Outcome   string    `json:"outcome,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	SentAt    time.Time `json:"sent_at,omitzero"`
}

// Notifier delivers one message. It returns the gateway's receipt (a message
// id) on success. Errors wrapping ErrUndeliverable are permanent (no retry).
// Adapters pass the message Key to the far end as an idempotency key, so a
// retry after a crash between sending and recording is recognised there.
type Notifier interface {
	Notify(ctx context.Context, m Message) (receipt string, err error)
}

// Address is how to reach a member of staff.
type Address struct {
	Phone    string `yaml:"phone" json:"phone,omitempty"`
	Email    string `yaml:"email" json:"email,omitempty"`
	Language string `yaml:"language" json:"language,omitempty"`
}

// Directory finds staff addresses and group leads for notifications.
type Directory interface {
	Staff(id string) (Address, bool)
	Lead(group string) (id string, ok bool)
}

// StaticDirectory is a Directory from configuration.
type StaticDirectory struct {
	People  map[string]Address  `yaml:"people"`
	Leads   map[string]string   `yaml:"leads"`   // group → lead's id
	Members map[string][]string `yaml:"members"` // group → ids of the agents who claim from its pool
}

// GroupsOf lists the groups id belongs to (as a member or as the lead), in
// name order: the Actor.Groups of that agent.
func (d StaticDirectory) GroupsOf(id string) []string {
	var out []string
	for g, ms := range d.Members {
		if slices.Contains(ms, id) {
			out = append(out, g)
		}
	}
	for g, lead := range d.Leads {
		if lead == id && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// Staff implements Directory.
func (d StaticDirectory) Staff(id string) (Address, bool) { a, ok := d.People[id]; return a, ok }

// Lead implements Directory.
func (d StaticDirectory) Lead(group string) (string, bool) { id, ok := d.Leads[group]; return id, ok }

// Webhook is a subscriber to ticket events. URL and secret live in the
// delivery adapter's configuration, keyed by Name.
type Webhook struct {
	Name   string   `yaml:"name" json:"name"`
	Events []string `yaml:"events" json:"events"` // event kinds; empty = all
}
