package metrics

import (
	"fmt"
	"time"
)

// Inputs that no feature of Hotline produces yet. Each has its event type
// in the event log (internal/event/catalog, docs/events.md) and is
// accepted through the import API (api.go), so its KPI is real the day
// the feature that produces it lands.
const (
	// TypeShift is one scheduled shift of an agent (EF04's denominator).
	TypeShift = "kpi.shift_scheduled"
	// TypeEvaluation is one quality evaluation of a contact (SQ04).
	TypeEvaluation = "kpi.evaluation"
	// TypeOutbound is one outbound attempt and its result (MK04, MK05).
	TypeOutbound = "kpi.outbound_attempt"
)

// Shift is an agent's scheduled working time [Start, End). A shift with the
// same agent and start replaces the earlier one; End equal to Start
// cancels it.
type Shift struct {
	AgentID string    `json:"agent_id"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
}

// Validate names the field at fault.
func (s Shift) Validate() error {
	switch {
	case s.AgentID == "":
		return fmt.Errorf("agent_id: required")
	case s.Start.IsZero():
		return fmt.Errorf("start: required")
	case s.End.Before(s.Start):
		return fmt.Errorf("end: before start")
	case s.End.Sub(s.Start) > 24*time.Hour:
		return fmt.Errorf("end: a shift is at most 24 h")
	}
	return nil
}

// Evaluation is a supervisor's quality score of one contact against a form:
// it passes when Score ≥ PassMark and no fatal error was found.
type Evaluation struct {
	ID          string    `json:"id"`
	ContactID   string    `json:"contact_id"`
	AgentID     string    `json:"agent_id"`
	Form        string    `json:"form,omitempty"`
	Score       float64   `json:"score"`
	PassMark    float64   `json:"pass_mark"`
	Fatal       bool      `json:"fatal,omitempty"`
	EvaluatedAt time.Time `json:"evaluated_at"`
}

// Passed applies SQ04's rule.
func (e Evaluation) Passed() bool { return e.Score >= e.PassMark && !e.Fatal }

// Validate names the field at fault.
func (e Evaluation) Validate() error {
	switch {
	case e.ID == "":
		return fmt.Errorf("id: required")
	case e.ContactID == "":
		return fmt.Errorf("contact_id: required")
	case e.AgentID == "":
		return fmt.Errorf("agent_id: required")
	case e.EvaluatedAt.IsZero():
		return fmt.Errorf("evaluated_at: required")
	case e.Score < 0 || e.PassMark < 0:
		return fmt.Errorf("score: negative")
	}
	return nil
}

// OutboundResult is how an outbound attempt ended.
type OutboundResult string

// Outbound results.
const (
	NoAnswer   OutboundResult = "no_answer"
	Busy       OutboundResult = "busy"
	Invalid    OutboundResult = "invalid"
	Machine    OutboundResult = "machine"
	WrongParty OutboundResult = "wrong_party"
	RightParty OutboundResult = "right_party"
)

// OutboundAttempt is one dialling of a campaign's customer. Success (a
// sale) is only possible with the right party.
type OutboundAttempt struct {
	ID       string         `json:"id"`
	Campaign string         `json:"campaign"`
	AgentID  string         `json:"agent_id,omitempty"`
	Customer string         `json:"customer,omitempty"`
	Result   OutboundResult `json:"result"`
	Success  bool           `json:"success,omitempty"`
	At       time.Time      `json:"at"`
}

// Validate names the field at fault.
func (o OutboundAttempt) Validate() error {
	switch o.Result {
	case NoAnswer, Busy, Invalid, Machine, WrongParty, RightParty:
	default:
		return fmt.Errorf("result: one of no_answer, busy, invalid, machine, wrong_party, right_party")
	}
	switch {
	case o.ID == "":
		return fmt.Errorf("id: required")
	case o.Campaign == "":
		return fmt.Errorf("campaign: required")
	case o.At.IsZero():
		return fmt.Errorf("at: required")
	case o.Success && o.Result != RightParty:
		return fmt.Errorf("success: only with result right_party")
	}
	return nil
}
