package ivr

import "time"

// Sink receives every event of every run, in order per contact. Emit is
// called on the run's goroutine and must not block for long: bridge to a bus.
type Sink interface {
	Emit(Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// Emit calls f(e).
func (f SinkFunc) Emit(e Event) { f(e) }

// Event is one of the structs below; switch on the concrete type.
type Event interface {
	Head() Header
	// EventType is the event's name in the event log (one of the Type*
	// constants).
	EventType() string
}

// Event type names: the stored event log's contract (docs/events.md).
const (
	TypeStarted              = "ivr.started"
	TypeNodeEntered          = "ivr.node_entered"
	TypeInputReceived        = "ivr.input_received"
	TypeSelfServiceCompleted = "ivr.self_service_completed"
	TypeAgentRequested       = "ivr.agent_requested"
	TypeRequeued             = "ivr.requeued"
	TypeAgentConnected       = "ivr.agent_connected"
	TypeTicketCreated        = "ivr.ticket_created"
	TypeSurveyResult         = "ivr.survey_result"
	TypeAbandonedInIVR       = "ivr.abandoned_in_ivr"
	TypeEnded                = "ivr.ended"
)

// EventType implements Event.
func (Started) EventType() string { return TypeStarted }

// EventType implements Event.
func (NodeEntered) EventType() string { return TypeNodeEntered }

// EventType implements Event.
func (InputReceived) EventType() string { return TypeInputReceived }

// EventType implements Event.
func (SelfServiceCompleted) EventType() string { return TypeSelfServiceCompleted }

// EventType implements Event.
func (AgentRequested) EventType() string { return TypeAgentRequested }

// EventType implements Event.
func (Requeued) EventType() string { return TypeRequeued }

// EventType implements Event.
func (AgentConnected) EventType() string { return TypeAgentConnected }

// EventType implements Event.
func (TicketCreated) EventType() string { return TypeTicketCreated }

// EventType implements Event.
func (SurveyResult) EventType() string { return TypeSurveyResult }

// EventType implements Event.
func (AbandonedInIVR) EventType() string { return TypeAbandonedInIVR }

// EventType implements Event.
func (Ended) EventType() string { return TypeEnded }

// Header is common to every event.
type Header struct {
	ContactID string      `json:"contact_id"`
	Time      time.Time   `json:"time"`           // from the runner's Clock
	Flow      string      `json:"flow,omitempty"` // flow running when the event happened
	Channel   ChannelKind `json:"channel,omitempty"`
}

// Head returns the header.
func (h Header) Head() Header { return h }

// Started: the system answered the contact and the IVR began. It is the
// denominator of EF06 ("contacts answered by the system").
type Started struct {
	Header
	ANI   string `json:"ani,omitempty"`
	Entry string `json:"entry,omitempty"`
	Lang  string `json:"lang,omitempty"`
}

// NodeEntered: the runner entered a node.
type NodeEntered struct {
	Header
	Node string   `json:"node,omitempty"`
	Kind NodeKind `json:"kind,omitempty"`
}

// InputReceived: a menu, collect or survey node accepted or rejected an
// input. Value is empty when Masked: masked input never leaves the runner.
type InputReceived struct {
	Header
	Node   string `json:"node,omitempty"`
	Value  string `json:"value,omitempty"`
	Masked bool   `json:"masked,omitempty"`
	Valid  bool   `json:"valid,omitempty"`
	// Timeout is set instead of Value when the caller gave no input in time.
	Timeout bool `json:"timeout,omitempty"`
}

// SelfServiceCompleted: a self-service step succeeded (lookup op balance,
// points or reset_password, or a ticket created).
type SelfServiceCompleted struct {
	Header
	Node string `json:"node,omitempty"`
	Op   string `json:"op,omitempty"`
}

// AgentRequested: the contact entered an agent queue for the first time in
// this run — the "agent request" of SL01. Emitted once per run: a second
// transfer (overflow, re-queue) is not a new request.
type AgentRequested struct {
	Header
	Node     string   `json:"node,omitempty"`
	Queue    string   `json:"queue,omitempty"`
	Skills   []string `json:"skills,omitempty"`
	Priority int      `json:"priority,omitempty"`
	Tier     string   `json:"tier,omitempty"`
}

// Requeued: a later transfer in a run that already requested an agent.
type Requeued struct {
	Header
	Node  string `json:"node,omitempty"`
	Queue string `json:"queue,omitempty"`
}

// AgentConnected: the queue connected an agent and the channel was
// transferred to them.
type AgentConnected struct {
	Header
	Queue   string `json:"queue,omitempty"`
	AgentID string `json:"agent_id,omitempty"` // the agent's stable id, never the display name
}

// TicketCreated: a ticket node created a ticket.
type TicketCreated struct {
	Header
	Node   string `json:"node,omitempty"`
	Type   string `json:"type,omitempty"`
	Ticket string `json:"ticket,omitempty"`
}

// SurveyResult: the post-contact survey got a valid rating.
type SurveyResult struct {
	Header
	Node  string `json:"node,omitempty"`
	Score int    `json:"score,omitempty"` // 1 satisfied, 2 neutral, 3 dissatisfied
}

// AbandonedInIVR: the caller left before any agent request.
type AbandonedInIVR struct {
	Header
	Node string `json:"node,omitempty"`
}

// Ended is the last event of every run, exactly once.
type Ended struct {
	Header
	Node           string  `json:"node,omitempty"` // last node entered
	Outcome        Outcome `json:"outcome,omitempty"`
	AgentRequested bool    `json:"agent_requested,omitempty"`
}

// Outcome classifies how a run ended.
type Outcome string

// Outcomes. EF06's numerator is Ended with AgentRequested false and Outcome
// OutcomeSelfService or OutcomeAbandoned; see docs/flows.md.
const (
	// OutcomeAgent: the run made an agent request (whatever happened next;
	// the ACD reports answered/abandoned/lost).
	OutcomeAgent Outcome = "agent"
	// OutcomeSelfService: no agent request, and the flow ended the contact
	// itself or a self-service step completed before the caller left.
	OutcomeSelfService Outcome = "self_service"
	// OutcomeAbandoned: no agent request and no self-service completed; the
	// caller left (chat: went idle).
	OutcomeAbandoned Outcome = "abandoned"
	// OutcomeFailed: no agent request; the platform stopped the run (context
	// cancelled, channel error, step limit), or a transfer could not put the
	// contact in any queue (the caller asked for an agent and got none).
	OutcomeFailed Outcome = "failed"
)
