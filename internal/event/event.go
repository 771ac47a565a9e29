package event

import (
	"time"

	"github.com/google/uuid"
)

// Type names what happened, as "<domain>.<fact>", e.g. "acd.contact_queued".
type Type string

// Event is one domain fact. Producers fill Type, At (from their injected
// clock), the references that apply and Data; the Bus assigns ID and Seq when
// they are empty.
type Event struct {
	ID        string    `json:"id"`
	Seq       uint64    `json:"seq"` // order of publication on this node
	Type      Type      `json:"type"`
	At        time.Time `json:"at"`
	ContactID string    `json:"contact_id,omitempty"`
	AgentID   string    `json:"agent_id,omitempty"`
	Queue     string    `json:"queue,omitempty"`
	Actor     string    `json:"actor,omitempty"` // who caused it: an agent id, "system", "customer"
	// Node is the id of the node that published the event (config
	// node_id); the bus stamps it.
	Node string `json:"node,omitempty"`
	// Data is the typed payload (a struct of the producing package). It is
	// encoded as JSON when the event is persisted.
	Data any `json:"data,omitempty"`
}

// NewID returns a unique, time-ordered id (UUIDv7, RFC 9562): ids sort by
// creation time across nodes, which keeps the event log's index compact.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
