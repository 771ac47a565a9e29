package acd

import "fmt"

// Channel is the medium of a contact. Its capacity rules differ: an agent
// holds one voice contact, or several chats.
type Channel uint8

// Channels.
const (
	Voice Channel = iota + 1
	Chat
)

var channelNames = []string{Voice: "voice", Chat: "chat"}

func (c Channel) String() string { return enumName(channelNames, int(c)) }

// MarshalText implements encoding.TextMarshaler.
func (c Channel) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Channel) UnmarshalText(b []byte) error {
	return enumParse(channelNames, "channel", b, (*uint8)(c))
}

// Selection is the policy that picks one agent among the eligible ready ones.
type Selection uint8

// Selection policies. The zero value is BestProficiency.
const (
	// BestProficiency: highest proficiency in the queue's skills, then longest idle.
	BestProficiency Selection = iota
	// LongestIdle: the agent that became available first.
	LongestIdle
	// FewestContacts: fewest contacts handled since login, then longest idle.
	FewestContacts
	// RoundRobin: the agent whose last offer is oldest.
	RoundRobin
	// LeastOccupied: least handle time (talk + wrap-up) since login, then longest idle.
	LeastOccupied
)

var selectionNames = []string{"best_proficiency", "longest_idle", "fewest_contacts", "round_robin", "least_occupied"}

func (s Selection) String() string { return enumName(selectionNames, int(s)) }

// MarshalText implements encoding.TextMarshaler.
func (s Selection) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Selection) UnmarshalText(b []byte) error {
	return enumParse(selectionNames, "selection", b, (*uint8)(s))
}

// Action is what happens to a contact that reaches its queue's maximum wait.
// Overflow and Callback keep the contact in the ACD; the others end it with a
// lost event that tells the channel what to play or create.
type Action uint8

// Maximum-wait actions. The zero value is Hangup.
const (
	Hangup Action = iota
	Overflow
	OfferCallback
	Voicemail
	Ticket
)

var actionNames = []string{"hangup", "overflow", "callback", "voicemail", "ticket"}

func (a Action) String() string { return enumName(actionNames, int(a)) }

// MarshalText implements encoding.TextMarshaler.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Action) UnmarshalText(b []byte) error {
	return enumParse(actionNames, "action", b, (*uint8)(a))
}

// AgentState is the state an agent is seen in; it is derived from the
// agent's wish (ready or not) and its work (offer, contacts, wrap-ups).
type AgentState uint8

// Agent states.
const (
	LoggedOut AgentState = iota
	NotReady
	Ready
	Reserved
	Busy
	WrapUp
)

var agentStateNames = []string{"logged_out", "not_ready", "ready", "reserved", "busy", "wrap_up"}

func (s AgentState) String() string { return enumName(agentStateNames, int(s)) }

// MarshalText implements encoding.TextMarshaler.
func (s AgentState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *AgentState) UnmarshalText(b []byte) error {
	return enumParse(agentStateNames, "agent state", b, (*uint8)(s))
}

// Outcome is the one result of an agent request (KPIS.md counting rule 2).
type Outcome uint8

// Outcomes. NoOutcome marks events that do not settle the request.
const (
	NoOutcome Outcome = iota
	Answered
	Abandoned
	SystemLost
)

var outcomeNames = []string{"", "answered", "abandoned", "system_lost"}

func (o Outcome) String() string { return enumName(outcomeNames, int(o)) }

// MarshalText implements encoding.TextMarshaler.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *Outcome) UnmarshalText(b []byte) error {
	return enumParse(outcomeNames, "outcome", b, (*uint8)(o))
}

func enumName(names []string, i int) string {
	if i >= 0 && i < len(names) && (names[i] != "" || i == 0) {
		return names[i]
	}
	return fmt.Sprintf("unknown(%d)", i)
}

func enumParse(names []string, what string, b []byte, dst *uint8) error {
	s := string(b)
	for i, n := range names {
		if n == s && (n != "" || i == 0) {
			*dst = uint8(i)
			return nil
		}
	}
	return fmt.Errorf("%w: %s %q", ErrInvalidArgument, what, s)
}
