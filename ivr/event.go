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
}

// Header is common to every event.
type Header struct {
	ContactID string
	Time      time.Time // from the runner's Clock
	Flow      string    // flow running when the event happened
	Channel   ChannelKind
}

// Head returns the header.
func (h Header) Head() Header { return h }

// Started: the system answered the contact and the IVR began. It is the
// denominator of EF06 ("contacts answered by the system").
type Started struct {
	Header
	ANI   string
	Entry string
	Lang  string
}

// NodeEntered: the runner entered a node.
type NodeEntered struct {
	Header
	Node string
	Kind NodeKind
}

// InputReceived: a menu, collect or survey node accepted or rejected an
// input. Value is empty when Masked: masked input never leaves the runner.
type InputReceived struct {
	Header
	Node   string
	Value  string
	Masked bool
	Valid  bool
	// Timeout is set instead of Value when the caller gave no input in time.
	Timeout bool
}

// SelfServiceCompleted: a self-service step succeeded (lookup op balance,
// points or reset_password, or a ticket created).
type SelfServiceCompleted struct {
	Header
	Node string
	Op   string
}

// AgentRequested: the contact entered an agent queue for the first time in
// this run — the "agent request" of SL01. Emitted once per run: a second
// transfer (overflow, re-queue) is not a new request.
type AgentRequested struct {
	Header
	Node     string
	Queue    string
	Skills   []string
	Priority int
	Tier     string
}

// Requeued: a later transfer in a run that already requested an agent.
type Requeued struct {
	Header
	Node  string
	Queue string
}

// AgentConnected: the queue connected an agent and the channel was
// transferred to them.
type AgentConnected struct {
	Header
	Queue string
	Agent string
}

// TicketCreated: a ticket node created a ticket.
type TicketCreated struct {
	Header
	Node   string
	Type   string
	Ticket string
}

// SurveyResult: the post-contact survey got a valid rating.
type SurveyResult struct {
	Header
	Node  string
	Score int // 1 satisfied, 2 neutral, 3 dissatisfied
}

// AbandonedInIVR: the caller left before any agent request.
type AbandonedInIVR struct {
	Header
	Node string
}

// Ended is the last event of every run, exactly once.
type Ended struct {
	Header
	Node           string // last node entered
	Outcome        Outcome
	AgentRequested bool
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
