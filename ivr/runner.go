package ivr

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync/atomic"
	"time"
)

// Config holds what a Runner talks to. Clock is required; a nil Sink drops
// events; a nil Backend, Queuer or Tickets makes the nodes that need them
// take their error branch.
type Config struct {
	Clock   Clock
	Sink    Sink
	Backend Backend
	Queuer  Queuer
	Tickets TicketCreator
	// Verifier sends and checks chat customers' one-time codes; nil makes
	// send_code and check_code take their error branch.
	Verifier Verifier
	// PINGuard limits service-PIN attempts per account; nil checks PINs
	// without a limit across contacts (flows still count their own).
	PINGuard PINGuard
	// Answers finds public knowledge-base articles for the answer node;
	// nil sends it to its else branch.
	Answers Answers
	// Notices returns the texts of the outage notices for a contact, asked
	// once as the main flow starts (administration's announcements with an
	// IVR notice). Voice plays the recorded notice.outage prompt, chat
	// shows the texts. Nil: none. It must not block (no I/O).
	Notices  func(ctx context.Context, c Contact) []string
	Logger   *slog.Logger
	MaxSteps int // nodes one run may execute; default 10000
}

// Runner executes flows from its current Library. It is safe for
// concurrent use: each Run is independent and runs on its caller's
// goroutine.
type Runner struct {
	lib atomic.Pointer[Library]
	cfg Config
}

// NewRunner returns a runner serving lib.
func NewRunner(lib *Library, cfg Config) *Runner {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxSteps <= 0 {
		cfg.MaxSteps = 10000
	}
	r := &Runner{cfg: cfg}
	r.lib.Store(lib)
	return r
}

// Reload makes lib serve every run started from now on. Runs in progress
// finish on the library they started with.
func (r *Runner) Reload(lib *Library) { r.lib.Store(lib) }

// ReloadDir loads the flow directory dir of fsys and, only when it is
// valid, makes it serve new runs — what a reload signal or admin endpoint
// calls. On error (a *LoadError listing the problems) the current library
// keeps serving.
func (r *Runner) ReloadDir(fsys fs.FS, dir string) (*Library, error) {
	lib, err := LoadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	r.Reload(lib)
	return lib, nil
}

// Library returns the library new runs use.
func (r *Runner) Library() *Library { return r.lib.Load() }

// Contact is the customer a run serves.
type Contact struct {
	ID    string
	ANI   string // calling number, or the chat customer's identity
	Entry string // DNIS or chat widget id: selects the flow
	Flow  string // run this flow instead of the entry's
	Lang  string // starting language; default DefaultLang
	// Start runs the flow from this node instead of its start: the post-
	// contact survey entry for a contact the agent hands back, say.
	Start string
	Vars  map[string]any // initial variables
	// Verified is how the channel identified the customer; empty: ani on
	// voice (the network's calling number), none on chat (anyone can type
	// a number).
	Verified Verification
}

// Result is how a run ended.
type Result struct {
	Outcome        Outcome
	AgentRequested bool
	LastNode       string
	// Vars are the final variables without masked ones.
	Vars map[string]any
}

var (
	errEnd  = errors.New("flow ended the contact")
	errIdle = errors.New("chat idle")
)

// keywordJump is returned by input helpers when chat text matched one of
// the flow's keywords.
type keywordJump struct {
	node  string
	depth int   // subflow depth of the flow that owns the keyword
	flow  *Flow // that flow, when it is not the current one
}

func (k keywordJump) Error() string { return "keyword to " + k.node }

// Run executes the contact's flow on ch until the contact ends, and always
// emits Started first and Ended last. The error is nil unless the run
// failed (context cancelled, channel error, step limit); a caller hanging
// up is a normal end.
func (r *Runner) Run(ctx context.Context, c Contact, ch Channel) (Result, error) {
	lib := r.lib.Load()
	f, ok := lib.FlowFor(c.Entry)
	if c.Flow != "" {
		f, ok = lib.Flow(c.Flow)
	}
	if !ok {
		return Result{}, fmt.Errorf("run %s: entry %q flow %q: %w", c.ID, c.Entry, c.Flow, ErrNoFlow)
	}
	start := f.Start
	if c.Start != "" {
		if _, ok := f.Nodes[c.Start]; !ok {
			return Result{}, fmt.Errorf("run %s: flow %s has no node %q: %w", c.ID, f.Name, c.Start, ErrNoFlow)
		}
		start = c.Start
	}
	lang := c.Lang
	if !lib.prompts.HasLanguage(lang) {
		lang = DefaultLang
	}
	ru := &run{r: r, lib: lib, ch: ch, kind: ch.Kind(), c: c, flow: f, lang: lang,
		vars: make(map[string]any, 16+len(c.Vars)), log: r.cfg.Logger.With("contact_id", c.ID)}
	for k, v := range c.Vars {
		ru.vars[k] = v
	}
	ru.vars["contact_id"], ru.vars["ani"], ru.vars["entry"] = c.ID, c.ANI, c.Entry
	ru.vars["channel"], ru.vars["lang"] = string(ru.kind), lang
	ru.verified = c.Verified
	if ru.verified == "" {
		ru.verified = VerifiedANI
		if ru.kind == Chat {
			ru.verified = VerifiedNone
		}
	}
	ru.vars["verified_by"] = string(ru.verified)
	ru.emit(Started{Header: ru.head(), ANI: c.ANI, Entry: c.Entry, Lang: lang})
	var (
		outcome Outcome
		err     error
	)
	if f.Name == "main" && c.Start == "" && ru.notice(ctx) {
		outcome = ru.callerLeft()
	} else {
		outcome, err = ru.loop(ctx, start)
	}
	last := ""
	if ru.node != nil {
		last = ru.node.Name
	}
	ru.emit(Ended{Header: ru.head(), Node: last, Outcome: outcome, AgentRequested: ru.agentRequested})
	return Result{Outcome: outcome, AgentRequested: ru.agentRequested, LastNode: last, Vars: ru.visibleVars()}, err
}

// notice plays the outage notices meant for the contact before the main
// flow's first node; it reports whether the customer left meanwhile.
func (ru *run) notice(ctx context.Context) (left bool) {
	if ru.r.cfg.Notices == nil {
		return false
	}
	texts := ru.r.cfg.Notices(ctx, ru.c)
	if len(texts) == 0 {
		return false
	}
	u := Utterance{Lang: ru.lang, Prompts: ru.lib.prompts}
	if ru.kind == Voice {
		// No speech synthesis: the recorded general notice, once.
		u.Items = []Item{{Prompt: noticePrompt}}
	} else {
		for _, t := range texts {
			u.Items = append(u.Items, Item{Prompt: noticePrompt, Text: t})
		}
	}
	ru.log.Info("ivr outage notice", "notices", len(texts))
	if _, err := ru.ch.Play(ctx, u); err != nil {
		if errors.Is(err, ErrHangup) {
			return true
		}
		ru.log.Warn("ivr outage notice not played", "err", err)
	}
	return false
}

// noticePrompt is the recorded outage notice voice callers hear.
const noticePrompt = "notice.outage"

type frame struct {
	flow *Flow
	next string
}

// run is the state of one contact's pass through the IVR; only its own
// goroutine touches it.
type run struct {
	r      *Runner
	lib    *Library
	ch     Channel
	kind   ChannelKind
	c      Contact
	flow   *Flow
	node   *Node
	lang   string
	vars   map[string]any
	masked map[string]bool
	stack  []frame
	// verified and verifiedAccount: the identity the customer proved
	// (verify.go); not variables, so no flow step can forge them.
	verified        Verification
	verifiedAccount string
	verifiedPhone   string
	log             *slog.Logger

	agentRequested bool
	selfService    bool
	// path is the menu choices the customer made, as their buttons read
	// (answer.go): the agent's knowledge pane suggests articles from it.
	path []string
	// queueFailed: a transfer could not put the contact in any queue. A
	// caller who asked for an agent and got none is not self-served.
	queueFailed bool
	tickets     int // ticket requests so far, for idempotency keys
}

func (ru *run) now() time.Time { return ru.r.cfg.Clock.Now() }

func (ru *run) loop(ctx context.Context, name string) (Outcome, error) {
	for steps := 0; ; steps++ {
		if steps >= ru.r.cfg.MaxSteps {
			ru.hangup(ctx)
			return ru.failed(), fmt.Errorf("run %s: %w", ru.c.ID, ErrStepLimit)
		}
		if err := ctx.Err(); err != nil {
			return ru.failed(), err
		}
		n := ru.flow.Nodes[name]
		ru.node = n
		ru.emit(NodeEntered{Header: ru.head(), Node: n.Name, Kind: n.Kind})
		next, err := ru.exec(ctx, n)
		var kj keywordJump
		switch {
		case errors.As(err, &kj):
			next = kj.node
			if kj.flow != nil {
				ru.flow, ru.stack = kj.flow, ru.stack[:kj.depth]
			}
		case errors.Is(err, errEnd):
			ru.hangup(ctx)
			return ru.flowEnded(), nil
		case errors.Is(err, ErrHangup), errors.Is(err, errIdle):
			if errors.Is(err, errIdle) {
				ru.hangup(ctx)
			}
			return ru.callerLeft(), nil
		case err != nil:
			ru.log.Warn("ivr run failed", "node", n.Name, "err", err)
			ru.hangup(ctx)
			return ru.failed(), fmt.Errorf("run %s node %s: %w", ru.c.ID, n.Name, err)
		}
		for next == "" {
			if len(ru.stack) == 0 {
				ru.hangup(ctx)
				return ru.flowEnded(), nil
			}
			top := ru.stack[len(ru.stack)-1]
			ru.stack = ru.stack[:len(ru.stack)-1]
			ru.flow, next = top.flow, top.next
		}
		name = next
	}
}

func (ru *run) hangup(ctx context.Context) {
	if err := ru.ch.Hangup(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, ErrHangup) {
		ru.log.Debug("ivr hangup", "err", err)
	}
}

func (ru *run) failed() Outcome {
	if ru.agentRequested {
		return OutcomeAgent
	}
	return OutcomeFailed
}

func (ru *run) flowEnded() Outcome {
	switch {
	case ru.agentRequested:
		return OutcomeAgent
	case ru.queueFailed:
		return OutcomeFailed
	}
	return OutcomeSelfService
}

func (ru *run) callerLeft() Outcome {
	switch {
	case ru.agentRequested:
		return OutcomeAgent
	case ru.queueFailed:
		return OutcomeFailed
	case ru.selfService:
		return OutcomeSelfService
	}
	node := ""
	if ru.node != nil {
		node = ru.node.Name
	}
	ru.emit(AbandonedInIVR{Header: ru.head(), Node: node})
	return OutcomeAbandoned
}

func (ru *run) head() Header {
	return Header{ContactID: ru.c.ID, Time: ru.now(), Flow: ru.flow.Name, Channel: ru.kind}
}

func (ru *run) emit(e Event) {
	if ru.r.cfg.Sink != nil {
		ru.r.cfg.Sink.Emit(e)
	}
}

func (ru *run) setVar(name string, v any, masked bool) {
	ru.vars[name] = v
	if masked {
		if ru.masked == nil {
			ru.masked = map[string]bool{}
		}
		ru.masked[name] = true
	} else if ru.masked[name] {
		delete(ru.masked, name)
	}
}

func (ru *run) visibleVars() map[string]any {
	out := make(map[string]any, len(ru.vars))
	for k, v := range ru.vars {
		if !ru.masked[k] {
			out[k] = v
		}
	}
	return out
}

// str renders a variable for prompts, tickets and the agent's context.
func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}
