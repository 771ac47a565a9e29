package acd

import "time"

// EventKind names a change.
type EventKind uint8

// Event kinds.
const (
	EventQueued             EventKind = iota + 1 // contact entered a queue (FirstEntry: the agent request)
	EventOffered                                 // agent reserved and offered the contact
	EventAccepted                                // agent accepted the offer
	EventRejected                                // agent rejected the offer
	EventOfferTimeout                            // agent let the offer time out
	EventOfferWithdrawn                          // the ACD took the offer back (abandon, logout, not ready)
	EventAnswered                                // agent and customer connected
	EventEnded                                   // a connected contact ended
	EventAbandoned                               // customer left before connecting
	EventLost                                    // the system gave up on the contact (Action says how)
	EventTransferred                             // contact left an agent or queue for another queue or agent
	EventStepReached                             // a routing step relaxed the contact's requirements
	EventCallbackRequested                       // contact left the line keeping its place
	EventConsultStarted                          // second agent joined a consultation
	EventConsultEnded                            // consultation ended without transfer
	EventWrapUpStarted                           // after-contact work began
	EventWrapUpEnded                             // after-contact work ended
	EventAgentStateChanged                       // agent's visible state or reason changed
	EventAgentSkillsChanged                      // agent's skills were replaced
	EventHoldStarted                             // agent put a connected contact on hold
	EventHoldEnded                               // the hold ended (Wait: its length)
)

var eventKindNames = []string{"", "queued", "offered", "accepted", "rejected", "offer_timeout",
	"offer_withdrawn", "answered", "ended", "abandoned", "lost", "transferred", "step_reached",
	"callback_requested", "consult_started", "consult_ended", "wrap_up_started", "wrap_up_ended",
	"agent_state_changed", "agent_skills_changed", "hold_started", "hold_ended"}

func (k EventKind) String() string { return enumName(eventKindNames, int(k)) }

// Event type names in the event log: the stored contract (docs/events.md).
const (
	TypeQueued             = "acd.queued"
	TypeOffered            = "acd.offered"
	TypeAccepted           = "acd.accepted"
	TypeRejected           = "acd.rejected"
	TypeOfferTimeout       = "acd.offer_timeout"
	TypeOfferWithdrawn     = "acd.offer_withdrawn"
	TypeAnswered           = "acd.answered"
	TypeEnded              = "acd.ended"
	TypeAbandoned          = "acd.abandoned"
	TypeLost               = "acd.lost"
	TypeTransferred        = "acd.transferred"
	TypeStepReached        = "acd.step_reached"
	TypeCallbackRequested  = "acd.callback_requested"
	TypeConsultStarted     = "acd.consult_started"
	TypeConsultEnded       = "acd.consult_ended"
	TypeWrapUpStarted      = "acd.wrap_up_started"
	TypeWrapUpEnded        = "acd.wrap_up_ended"
	TypeAgentStateChanged  = "acd.agent_state_changed"
	TypeAgentSkillsChanged = "acd.agent_skills_changed"
	TypeHoldStarted        = "acd.hold_started"
	TypeHoldEnded          = "acd.hold_ended"
)

// eventTypes names each kind in the event log, indexed by kind.
var eventTypes = []string{"", TypeQueued, TypeOffered, TypeAccepted, TypeRejected, TypeOfferTimeout,
	TypeOfferWithdrawn, TypeAnswered, TypeEnded, TypeAbandoned, TypeLost, TypeTransferred, TypeStepReached,
	TypeCallbackRequested, TypeConsultStarted, TypeConsultEnded, TypeWrapUpStarted, TypeWrapUpEnded,
	TypeAgentStateChanged, TypeAgentSkillsChanged, TypeHoldStarted, TypeHoldEnded}

// Type is the kind's name in the event log ("" for an unknown kind).
func (k EventKind) Type() string {
	if int(k) >= len(eventTypes) {
		return ""
	}
	return eventTypes[k]
}

// EventKinds lists every kind, in order.
func EventKinds() []EventKind {
	out := make([]EventKind, 0, len(eventKindNames)-1)
	for k := 1; k < len(eventKindNames); k++ {
		out = append(out, EventKind(k))
	}
	return out
}

// MarshalText implements encoding.TextMarshaler.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *EventKind) UnmarshalText(b []byte) error {
	return enumParse(eventKindNames, "event kind", b, (*uint8)(k))
}

// Who caused a change.
const (
	ActorSystem     = "system"
	ActorAgent      = "agent"
	ActorSupervisor = "supervisor"
	ActorCustomer   = "customer"
)

// Event is one change, numbered by Seq without gaps. The KPIs are computed
// from events alone (KPIS.md): an agent request is the queued event with
// FirstEntry set, attributed to RequestQueue; each request gets exactly one
// event with a non-zero Outcome; Wait runs from the contact's entry into the
// agent queue (a transfer starts a new wait, an overflow or offer timeout
// does not).
type Event struct {
	Seq     uint64    `json:"seq"`
	At      time.Time `json:"at"`
	Kind    EventKind `json:"kind"`
	Contact string    `json:"contact_id,omitempty"`
	Queue   string    `json:"queue,omitempty"`
	Channel Channel   `json:"channel,omitempty"`
	Agent   string    `json:"agent_id,omitempty"`
	Tier    string    `json:"tier,omitempty"`
	// Customer is the caller identity (ANI, account or chat token) given at
	// Enqueue, for the contact record (FCR and repeat-contact KPIs).
	Customer string        `json:"customer,omitempty"`
	Wait     time.Duration `json:"wait_ns,omitempty"`
	// Hold is the agent's total hold time on the contact, on the ended or
	// transferred event that closes the agent's handling: talk time is the
	// connected time (Wait on ended) less Hold (EF01).
	Hold time.Duration `json:"hold_ns,omitempty"`
	// RequestQueue is the queue the agent request first entered.
	RequestQueue string `json:"request_queue,omitempty"`
	// FirstEntry marks the queued event that is the agent request.
	FirstEntry bool    `json:"first_entry,omitempty"`
	Outcome    Outcome `json:"outcome,omitempty"`
	Priority   int     `json:"priority,omitempty"`
	Callback   bool    `json:"callback,omitempty"`
	// Target is the queue or agent a transfer, overflow or consult goes to.
	Target string `json:"target,omitempty"`
	// Action tells the channel what to do with a lost contact.
	Action Action `json:"action,omitempty"`
	// State and PrevState describe an agent_state_changed event.
	State     AgentState `json:"state,omitempty"`
	PrevState AgentState `json:"prev_state,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	Actor     string     `json:"actor,omitempty"`
	// By names the supervisor behind a supervisor action.
	By string `json:"by,omitempty"`
}
