// Package catalog is the event log's contract: every event type the
// domains publish (acd, ivr, desk, ticket, knowledge), its payload type, and a sample
// of it. The round-trip test writes every entry through the event log on
// both backends, and docs/events.md is generated from it, so a type added
// without an entry fails the tests (see catalog_test.go).
//
// The KPI engine and outside consumers read the stored log through Decode.
package catalog

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/knowledge"
	"github.com/hotline10000/hotline/metrics"
)

// Spec describes one event type.
type Spec struct {
	Type event.Type
	Doc  string
	// Sample is a payload of the type's payload struct with every field
	// set (the round trip and the docs read it).
	Sample any
}

// Payload is the Go type of the spec's payload.
func (s Spec) Payload() reflect.Type { return reflect.TypeOf(s.Sample) }

var sampleAt = time.Date(2026, 11, 22, 8, 30, 0, 123456000, time.UTC)

var sampleRatio = 0.85

func acdSpec(k acd.EventKind, doc string) Spec {
	e := acd.Event{
		Seq: 42, At: sampleAt, Kind: k, Contact: "c-1", Queue: "general-voice", Channel: acd.Voice,
		Agent: "a-1", Tier: "gold", Customer: "13800000000", Wait: 12 * time.Second, Hold: 3 * time.Second,
		RequestQueue: "general-voice", FirstEntry: true, Outcome: acd.Answered, Priority: 2, Callback: true,
		Target: "billing-voice", Action: acd.Ticket, State: acd.Busy, PrevState: acd.Reserved,
		Reason: "break", Actor: acd.ActorAgent, By: "s-1",
	}
	return Spec{Type: event.Type(k.Type()), Doc: doc, Sample: e}
}

func ivrHeader() ivr.Header {
	return ivr.Header{ContactID: "c-1", Time: sampleAt, Flow: "main", Channel: ivr.ChannelKind("voice")}
}

func ivrSpec(e ivr.Event, doc string) Spec {
	return Spec{Type: event.Type(e.EventType()), Doc: doc, Sample: e}
}

func ticketSpec(kind, doc string) Spec {
	return Spec{Type: event.Type(kind), Doc: doc, Sample: ticket.Event{
		Kind: kind, At: sampleAt, Ticket: 7, Number: "T100007", Contact: "c-1", Type: ticket.Complaint,
		Category: "service", Priority: ticket.Priority("high"), Group: "complaints", Status: ticket.Status("open"),
		Action: ticket.Action("claim"), Actor: "a-1", Clock: "resolution", Fraction: 0.75, Step: 1,
		Due: sampleAt.Add(time.Hour), OnTime: true, AboutService: true,
	}}
}

var all = []Spec{
	acdSpec(acd.EventQueued, "A contact entered a queue; the one with first_entry is the agent request (SL01's denominator), attributed to request_queue."),
	acdSpec(acd.EventOffered, "An agent was reserved and offered the contact."),
	acdSpec(acd.EventAccepted, "The agent accepted the offer."),
	acdSpec(acd.EventRejected, "The agent rejected the offer."),
	acdSpec(acd.EventOfferTimeout, "The agent let the offer time out."),
	acdSpec(acd.EventOfferWithdrawn, "The ACD took the offer back (abandon, logout, not ready)."),
	acdSpec(acd.EventAnswered, "Agent and customer connected; outcome answered on the first answer of a request."),
	acdSpec(acd.EventEnded, "A connected contact ended."),
	acdSpec(acd.EventAbandoned, "The customer left before connecting."),
	acdSpec(acd.EventLost, "The system gave up on the contact; action tells the channel what to do."),
	acdSpec(acd.EventTransferred, "The contact left an agent or queue for another (target)."),
	acdSpec(acd.EventStepReached, "A routing step relaxed the contact's requirements."),
	acdSpec(acd.EventCallbackRequested, "The contact left the line keeping its place."),
	acdSpec(acd.EventConsultStarted, "A second agent joined a consultation."),
	acdSpec(acd.EventConsultEnded, "A consultation ended without transfer."),
	acdSpec(acd.EventWrapUpStarted, "After-contact work began."),
	acdSpec(acd.EventWrapUpEnded, "After-contact work ended."),
	acdSpec(acd.EventAgentStateChanged, "An agent's visible state or reason changed (state, prev_state, reason)."),
	acdSpec(acd.EventAgentSkillsChanged, "An agent's skills were replaced."),
	acdSpec(acd.EventHoldStarted, "The agent put a connected contact on hold (EF01, EF03: hold is handle time)."),
	acdSpec(acd.EventHoldEnded, "A hold ended (wait_ns: its length; reason agent, ended, transfer or logout); ended and transferred events carry the agent's total hold_ns."),

	ivrSpec(ivr.Started{Header: ivrHeader(), ANI: "13800000000", Entry: "10000", Lang: "zh"}, "The system answered the contact and the IVR began (EF06's denominator)."),
	ivrSpec(ivr.NodeEntered{Header: ivrHeader(), Node: "menu", Kind: ivr.NodeKind("menu")}, "The runner entered a node."),
	ivrSpec(ivr.InputReceived{Header: ivrHeader(), Node: "menu", Value: "1", Masked: true, Valid: true, Timeout: true}, "A menu, collect or survey node took an input (value empty when masked)."),
	ivrSpec(ivr.SelfServiceCompleted{Header: ivrHeader(), Node: "balance", Op: "balance"}, "A self-service step succeeded."),
	ivrSpec(ivr.AgentRequested{Header: ivrHeader(), Node: "to-agent", Queue: "general-voice", Skills: []string{"billing"}, Priority: 2, Tier: "gold"}, "The run's first entry into an agent queue (SL01's agent request)."),
	ivrSpec(ivr.Requeued{Header: ivrHeader(), Node: "overflow", Queue: "billing-voice"}, "A later transfer in a run that already requested an agent."),
	ivrSpec(ivr.AgentConnected{Header: ivrHeader(), Queue: "general-voice", AgentID: "a-1"}, "The queue connected an agent and the channel was transferred to them."),
	ivrSpec(ivr.TicketCreated{Header: ivrHeader(), Node: "fault", Type: "fault", Ticket: "T100007"}, "A ticket node created a ticket."),
	ivrSpec(ivr.SurveyResult{Header: ivrHeader(), Node: "survey", Score: 1}, "The post-contact survey got a valid rating (1 satisfied, 2 neutral, 3 dissatisfied)."),
	ivrSpec(ivr.AbandonedInIVR{Header: ivrHeader(), Node: "menu"}, "The caller left before any agent request."),
	ivrSpec(ivr.Ended{Header: ivrHeader(), Node: "bye", Outcome: ivr.OutcomeSelfService, AgentRequested: true}, "The last event of every run, exactly once (EF06's numerator by outcome)."),

	{Type: agentdesk.TypeTransferNote, Doc: "An agent transferred a contact with a note for the next agent.",
		Sample: agentdesk.TransferNote{Queue: "billing-voice", ToAgent: "a-2", Note: "账单疑问"}},
	{Type: agentdesk.TypeWrapUp, Doc: "An agent ended the after-contact work with a disposition code.",
		Sample: agentdesk.WrapUp{Code: "resolved", Notes: "已解决"}},
	{Type: agentdesk.TypeMarketing, Doc: "An agent recorded the customer's answer to an offer.",
		Sample: agentdesk.Marketing{Offer: "5g-upgrade", Outcome: "accepted"}},

	{Type: metrics.TypeShift, Doc: "An agent's scheduled shift, imported (EF04's scheduled time); the same agent and start replaces it.",
		Sample: metrics.Shift{AgentID: "a-1", Start: sampleAt, End: sampleAt.Add(8 * time.Hour)}},
	{Type: metrics.TypeEvaluation, Doc: "A quality evaluation of a contact, imported (SQ04: passed when score ≥ pass_mark and no fatal error).",
		Sample: metrics.Evaluation{ID: "q-1", ContactID: "c-1", AgentID: "a-1", Form: "voice-2026", Score: 92, PassMark: 80, Fatal: true, EvaluatedAt: sampleAt}},
	{Type: metrics.TypeOutbound, Doc: "An outbound attempt and its result, imported (MK04, MK05).",
		Sample: metrics.OutboundAttempt{ID: "o-1", Campaign: "5g-upgrade", AgentID: "a-1", Customer: "13800000000", Result: metrics.RightParty, Success: true, At: sampleAt}},

	{Type: metrics.TypeDayComputed, Doc: "The batch KPIs of one day (at its midnight in the center's time zone), from the nightly job or `hotline kpi run --day`; the latest per day counts.",
		Sample: metrics.DayResult{Day: "2026-11-21", ComputedAt: sampleAt, KPIs: []metrics.DayValue{{ID: "SQ01", Value: &sampleRatio, Numerator: 17, Denominator: 20}}}},

	ticketSpec(ticket.EventCreated, "A ticket was created (SQ06 from complaints about the service)."),
	ticketSpec(ticket.EventChanged, "A lifecycle action (action says which); a resolve carries clock resolution and the deadline it was judged against in due (SQ05)."),
	ticketSpec(ticket.EventCommented, "A comment was added."),
	ticketSpec(ticket.EventUrged, "The customer urged the ticket."),
	ticketSpec(ticket.EventWarning, "An SLA clock passed its warning fraction."),
	ticketSpec(ticket.EventBreached, "An SLA clock passed its deadline."),
	ticketSpec(ticket.EventEscalated, "An escalation step fired."),
	ticketSpec(ticket.EventClosed, "The ticket was closed."),

	kbSpec(knowledge.EventArticleSaved, "A knowledge base article was created, edited or imported (a new version)."),
	kbSpec(knowledge.EventArticleStatus, "An article moved along the editorial path (previous says from where)."),
	kbSpec(knowledge.EventArticleRestored, "An old version of an article was made current again, as a draft."),
}

func kbSpec(t event.Type, doc string) Spec {
	return Spec{Type: t, Doc: doc, Sample: knowledge.ArticleEvent{ID: "roaming-international", Version: 3,
		Title: "国际漫游开通与资费", Lang: "zh", Status: knowledge.Published, Previous: knowledge.Review,
		Audience: knowledge.Public, Editor: "li.na"}}
}

// All returns every event type, grouped by domain.
func All() []Spec { return slices.Clone(all) }

// Lookup returns the spec of t.
func Lookup(t event.Type) (Spec, bool) {
	for _, s := range all {
		if s.Type == t {
			return s, true
		}
	}
	return Spec{}, false
}

// Decode reads a stored payload into a value of t's payload type.
func Decode(t event.Type, data json.RawMessage) (any, error) {
	s, ok := Lookup(t)
	if !ok {
		return nil, fmt.Errorf("decode event: unknown type %q", t)
	}
	p := reflect.New(s.Payload())
	if err := json.Unmarshal(data, p.Interface()); err != nil {
		return nil, fmt.Errorf("decode event %s: %w", t, err)
	}
	return p.Elem().Interface(), nil
}
