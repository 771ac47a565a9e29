package ivr

import (
	"regexp"
	"sort"
	"time"

	"github.com/expr-lang/expr/vm"
)

// NodeKind is the kind of a flow node.
type NodeKind string

// Node kinds. docs/flows.md describes each one's fields.
const (
	KindPlay     NodeKind = "play"
	KindMenu     NodeKind = "menu"
	KindCollect  NodeKind = "collect"
	KindBranch   NodeKind = "branch"
	KindLookup   NodeKind = "lookup"
	KindTransfer NodeKind = "transfer"
	KindTicket   NodeKind = "ticket"
	KindSurvey   NodeKind = "survey"
	KindSubflow  NodeKind = "subflow"
	KindGoto     NodeKind = "goto"
	KindSet      NodeKind = "set"
	KindLanguage NodeKind = "language"
	KindHangup   NodeKind = "hangup"
	KindReturn   NodeKind = "return"
	KindAnswer   NodeKind = "answer"
	KindRecord   NodeKind = "record"
)

// Library is a validated set of flows with their prompts and calendars. It
// is immutable once loaded; reload by loading a new one.
type Library struct {
	flows     map[string]*Flow
	entries   map[string]string // entry point (DNIS, chat widget) → flow
	prompts   *Catalog
	calendars map[string]Calendar
}

// Flow returns the flow named name.
func (l *Library) Flow(name string) (*Flow, bool) {
	f, ok := l.flows[name]
	return f, ok
}

// FlowFor returns the flow serving entry (a DNIS or chat widget id, as
// listed in flows' entries:), else the flow named "main".
func (l *Library) FlowFor(entry string) (*Flow, bool) {
	if name, ok := l.entries[entry]; ok {
		return l.flows[name], true
	}
	f, ok := l.flows["main"]
	return f, ok
}

// Flows lists the flow names, sorted.
func (l *Library) Flows() []string {
	names := make([]string, 0, len(l.flows))
	for n := range l.flows {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Prompts is the library's prompt catalog.
func (l *Library) Prompts() *Catalog { return l.prompts }

// Flow is one named graph of nodes.
type Flow struct {
	Name     string
	File     string
	Start    string
	Entries  []string
	Keywords map[string]string // chat text (lower case) → node, at any input
	ChatIdle time.Duration     // chat input wait before the run ends as idle
	Nodes    map[string]*Node
}

// Node is one step of a flow. Which fields matter depends on Kind.
type Node struct {
	Name string
	Kind NodeKind
	File string
	Line int

	Prompt []Segment
	Next   string
	Error  string

	// menu, collect, survey
	Options   map[string]string // menu: key → node
	Buttons   map[string]string // key → prompt id (chat label)
	Words     map[string][]string
	Timeout   time.Duration
	Retries   int
	Invalid   []Segment
	NoInput   []Segment
	Exhausted string
	BargeIn   bool
	Repeat    string

	// collect
	Var        string
	Min, Max   int
	Terminator string
	InterDigit time.Duration
	Pattern    *regexp.Regexp
	Masked     bool
	// Text: the collect takes free text (chat only; min and max count
	// characters). On voice the node sets its variable to "" and goes on.
	Text         bool
	patternText  string
	branchCases  []branchCase
	setValues    []setValue
	priorityExpr *vm.Program

	// branch
	Else string

	// lookup
	Op       string
	In       map[string]string // parameter → variable
	NotFound string
	// Unverified: where an account-data lookup goes when the customer has
	// not proved the account (default: error).
	Unverified string

	// transfer
	Queue    string
	Skills   []string
	Comfort  []Segment
	Announce time.Duration
	After    string
	Callback string
	Message  string
	Overflow string
	// QueueKeys are the keys a queued voice caller may press: key →
	// ActionCallback (leave the line, keep the place, be called back) or
	// ActionMessage (leave the queue for the message target).
	QueueKeys map[string]string
	// Hint is played after each position announcement on voice: the keys
	// on offer.
	Hint []Segment

	// ticket
	TicketType string
	Summary    string
	// Subject is the ticket subject as prompts, written in the contact's
	// language (chat wording); Summary is the fallback.
	Subject []Segment
	Fields  map[string]string // ticket field → variable

	// subflow
	Flow string
	// language
	Lang string
	// goto
	To string
	// answer: the variable holding the customer's question
	Question string
	// record: the longest voice message taken
	Limit time.Duration
}

// Segment is one element of a prompt list: a prompt id, or a say piece
// reading a variable.
type Segment struct {
	Prompt string
	Say    SayKind
	Var    string
}

type branchCase struct {
	src  string
	prog *vm.Program
	then string
	line int
}

type setValue struct {
	name    string
	literal any
	prog    *vm.Program // when the value is an =expression
	line    int
}
