package ticket

import (
	"slices"
	"time"
)

// NoteKind says who may see an annotation.
type NoteKind string

// The annotation kinds.
const (
	Internal NoteKind = "internal" // staff only
	Reply    NoteKind = "reply"    // customer-visible; also sent to the customer by SMS
	Urging   NoteKind = "urge"     // 催单: a chase, counted on the ticket and sent to the assignee
)

// NoteKinds lists every kind.
var NoteKinds = []NoteKind{Internal, Reply, Urging}

// Valid reports whether k is a known kind.
func (k NoteKind) Valid() bool { return slices.Contains(NoteKinds, k) }

// Annotation is a note on a ticket.
type Annotation struct {
	ID     int64     `json:"id"`
	Ticket int64     `json:"ticket"`
	Kind   NoteKind  `json:"kind"`
	Author string    `json:"author"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
}
