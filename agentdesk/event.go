package agentdesk

// Event type names the desk publishes: the stored event log's contract
// (docs/events.md). Each has its typed payload below.
const (
	TypeTransferNote = "desk.transfer_note"
	TypeWrapUp       = "desk.wrap_up"
	TypeMarketing    = "desk.marketing"
)

// TransferNote: an agent transferred a contact with a note for the next
// agent (to a queue, or to one agent).
type TransferNote struct {
	Queue   string `json:"queue,omitempty"`
	ToAgent string `json:"to_agent,omitempty"`
	Note    string `json:"note,omitempty"`
}

// WrapUp: an agent ended the after-contact work with a disposition code
// and notes.
type WrapUp struct {
	Code  string `json:"code,omitempty"`
	Notes string `json:"notes,omitempty"`
}

// Marketing: an agent recorded the customer's answer to an offer.
type Marketing struct {
	Offer   string `json:"offer,omitempty"`
	Outcome string `json:"outcome,omitempty"`
}
