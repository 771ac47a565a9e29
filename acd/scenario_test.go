package acd

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The scenario language (acd/testdata/*.scen), one statement a line, '#'
// starts a comment:
//
//	config aging=30s offer_timeout=15s wrap_up=0s wrap_up_cap=60s reject=ready chat=3 voice_blocks_chat=false
//	tier gold=2 diamond=3
//	queue Q channel=voice skills=x:5,y:3 selection=longest_idle weight=1 max_wait=60s on_max_wait=overflow overflow_to=Q2 join_empty=true
//	step Q after=30s min=3 add=b:1 overflow=Q2
//	at 3 enqueue c1 Q tier=gold          # a command at t=3 s; "=> no_offer" expects that error
//	expect offered contact=c1 agent=A    # an event of the last command, in order
//	expect no offered                    # no such event among the last command's remaining events
//	check agent A state=ready reason=x   # Router queries
//	check queue Q waiting=1 longest=5s staffed=2 available=0 callbacks=0
//	check order Q c2 c1
//	check contact c1 state=offered agent=A stage=1
//	check gone c1
//
// After every command the Router's invariants and the event ledger (one
// request and one outcome per contact) are checked.

var errorNames = map[string]error{
	"no_offer": ErrNoOffer, "illegal": ErrIllegalTransition, "unknown_queue": ErrUnknownQueue,
	"unknown_agent": ErrUnknownAgent, "unknown_contact": ErrUnknownContact, "unknown_skill": ErrUnknownSkill,
	"unknown_tier": ErrUnknownTier, "duplicate": ErrDuplicateContact, "channel": ErrChannelMismatch,
	"unavailable": ErrAgentUnavailable, "no_agents": ErrNoAgents, "no_wrap_up": ErrNoWrapUp,
	"invalid": ErrInvalidArgument,
}

var epoch = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.scen")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".scen"), func(t *testing.T) {
			runScenario(t, f)
		})
	}
}

type scenario struct {
	t       *testing.T
	file    string
	line    int
	cfg     Config
	queues  []Queue
	r       *Router
	now     time.Time
	pending []Event
	ledger  *outcomeLedger
}

func runScenario(t *testing.T, file string) {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg := DefaultConfig()
	cfg.WrapUp = 0
	s := &scenario{t: t, file: file, cfg: cfg, now: epoch, ledger: newLedger()}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		s.line++
		text := sc.Text()
		if i := strings.Index(text, "#"); i >= 0 {
			text = text[:i]
		}
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		if err := s.statement(fields); err != nil {
			t.Fatalf("%s:%d: %s: %v", file, s.line, strings.TrimSpace(text), err)
		}
	}
	if s.r == nil {
		t.Fatalf("%s: no commands", file)
	}
}

func (s *scenario) statement(f []string) error {
	switch f[0] {
	case "config":
		return s.config(f[1:])
	case "tier":
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			p, err := strconv.Atoi(v)
			if err != nil {
				return err
			}
			s.cfg.TierPriority[k] = p
		}
		return nil
	case "queue":
		return s.queue(f[1:])
	case "step":
		return s.step(f[1:])
	case "at":
		return s.at(f[1:])
	case "expect":
		return s.expect(f[1:])
	case "check":
		return s.check(f[1:])
	}
	return fmt.Errorf("unknown statement %q", f[0])
}

func kvs(f []string) map[string]string {
	m := map[string]string{}
	for _, kv := range f {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func dur(v string) time.Duration {
	d, err := time.ParseDuration(v)
	if err != nil {
		panic(fmt.Sprintf("bad duration %q", v))
	}
	return d
}

func (s *scenario) config(f []string) error {
	for k, v := range kvs(f) {
		switch k {
		case "aging":
			s.cfg.Aging = dur(v)
		case "offer_timeout":
			s.cfg.OfferTimeout = dur(v)
		case "wrap_up":
			s.cfg.WrapUp = dur(v)
		case "wrap_up_cap":
			s.cfg.WrapUpCap = dur(v)
		case "reject":
			s.cfg.RejectToReady = v == "ready"
		case "chat":
			s.cfg.Capacity.Chat, _ = strconv.Atoi(v)
		case "voice_blocks_chat":
			s.cfg.Capacity.VoiceBlocksChat = v == "true"
		default:
			return fmt.Errorf("unknown config key %q", k)
		}
	}
	return nil
}

func requirements(v string) []Requirement {
	var out []Requirement
	for _, p := range strings.Split(v, ",") {
		k, n, _ := strings.Cut(p, ":")
		m, _ := strconv.Atoi(n)
		out = append(out, Requirement{Skill: k, Min: m})
	}
	return out
}

func (s *scenario) queue(f []string) error {
	q := Queue{ID: f[0], Channel: Voice}
	for k, v := range kvs(f[1:]) {
		var err error
		switch k {
		case "channel":
			err = q.Channel.UnmarshalText([]byte(v))
		case "skills":
			q.Skills = requirements(v)
		case "selection":
			err = q.Selection.UnmarshalText([]byte(v))
		case "weight":
			q.Weight, err = strconv.Atoi(v)
		case "max_wait":
			q.MaxWait = dur(v)
		case "on_max_wait":
			err = q.OnMaxWait.UnmarshalText([]byte(v))
		case "overflow_to":
			q.OverflowTo = v
		case "join_empty":
			q.JoinEmpty = v == "true"
		default:
			return fmt.Errorf("unknown queue key %q", k)
		}
		if err != nil {
			return err
		}
	}
	s.queues = append(s.queues, q)
	return nil
}

func (s *scenario) step(f []string) error {
	for i := range s.queues {
		if s.queues[i].ID != f[0] {
			continue
		}
		var st Step
		for k, v := range kvs(f[1:]) {
			switch k {
			case "after":
				st.After = dur(v)
			case "min":
				st.MinProficiency, _ = strconv.Atoi(v)
			case "add":
				st.AddSkills = requirements(v)
			case "overflow":
				st.OverflowTo = v
			default:
				return fmt.Errorf("unknown step key %q", k)
			}
		}
		s.queues[i].Steps = append(s.queues[i].Steps, st)
		return nil
	}
	return fmt.Errorf("step for unknown queue %q", f[0])
}

func (s *scenario) at(f []string) error {
	if s.r == nil {
		r, err := NewRouter(s.cfg, s.queues)
		if err != nil {
			return err
		}
		s.r = r
	}
	secs, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return err
	}
	s.now = epoch.Add(time.Duration(secs * float64(time.Second)))
	f = f[1:]
	var want error
	if n := len(f); n >= 2 && f[n-2] == "=>" {
		want = errorNames[f[n-1]]
		if want == nil {
			return fmt.Errorf("unknown error name %q", f[n-1])
		}
		f = f[:n-2]
	}
	// Timers due by now fire first, so that the command's own events can be
	// told apart: a refused command must emit none.
	s.r.Advance(s.now)
	evs := append([]Event(nil), s.r.Drain()...)
	got := s.command(f)
	own := s.r.Drain()
	evs = append(evs, own...)
	if err := s.ledger.add(evs); err != nil {
		return fmt.Errorf("event stream: %w", err)
	}
	s.pending = evs
	if err := checkInvariants(s.r); err != nil {
		return fmt.Errorf("invariant: %w", err)
	}
	switch {
	case want == nil && got != nil:
		return fmt.Errorf("got error %v, want none", got)
	case want != nil && !errors.Is(got, want):
		return fmt.Errorf("got error %v, want %v", got, want)
	case want != nil && len(own) > 0:
		return fmt.Errorf("refused command emitted %s", describe(own[0]))
	}
	return nil
}

func (s *scenario) command(f []string) error {
	r, now := s.r, s.now
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	switch f[0] {
	case "tick":
		r.Advance(now)
		return nil
	case "login":
		spec := AgentSpec{ID: f[1], Skills: map[string]int{}}
		if arg(2) != "" && !strings.Contains(arg(2), "=") {
			for _, req := range requirements(f[2]) {
				spec.Skills[req.Skill] = req.Min
			}
		}
		opts := kvs(f[2:])
		if v, ok := opts["chat"]; ok {
			c := r.cfg.Capacity
			c.Chat, _ = strconv.Atoi(v)
			spec.Capacity = &c
		}
		return r.Login(now, spec)
	case "logout":
		return r.Logout(now, f[1])
	case "ready":
		return r.SetReady(now, f[1])
	case "notready":
		return r.SetNotReady(now, f[1], arg(2))
	case "force":
		var st AgentState
		if err := st.UnmarshalText([]byte(f[2])); err != nil {
			return err
		}
		return r.ForceState(now, "sup", f[1], st, arg(3))
	case "forcelogout":
		return r.ForceLogout(now, "sup", f[1])
	case "skills":
		sk := map[string]int{}
		if arg(2) != "" {
			for _, req := range requirements(f[2]) {
				sk[req.Skill] = req.Min
			}
		}
		return r.SetSkills(now, "sup", f[1], sk)
	case "enqueue":
		opts := kvs(f[3:])
		spec := ContactSpec{ID: f[1], Queue: f[2], Tier: opts["tier"]}
		if v, ok := opts["channel"]; ok {
			if err := spec.Channel.UnmarshalText([]byte(v)); err != nil {
				return err
			}
		}
		return r.Enqueue(now, spec)
	case "accept":
		return r.Accept(now, f[1], f[2])
	case "reject":
		return r.Reject(now, f[1], f[2])
	case "connect":
		return r.Connected(now, f[1])
	case "end":
		return r.End(now, f[1])
	case "hold":
		return r.Hold(now, f[1])
	case "unhold":
		return r.Unhold(now, f[1])
	case "abandon":
		return r.Abandon(now, f[1])
	case "lose":
		return r.Lose(now, f[1], arg(2))
	case "callback":
		return r.RequestCallback(now, f[1])
	case "transfer":
		return r.TransferToQueue(now, f[1], f[2])
	case "transfer_agent":
		return r.TransferToAgent(now, f[1], f[2])
	case "consult":
		return r.Consult(now, f[1], f[2])
	case "complete":
		return r.CompleteConsult(now, f[1])
	case "cancel":
		return r.CancelConsult(now, f[1])
	case "move":
		return r.MoveContact(now, "sup", f[1], f[2])
	case "endwrap":
		return r.EndWrapUp(now, f[1], f[2])
	case "extendwrap":
		_, err := r.ExtendWrapUp(now, f[1], f[2], dur(f[3]))
		return err
	}
	return fmt.Errorf("unknown command %q", f[0])
}

func (s *scenario) expect(f []string) error {
	negate := f[0] == "no"
	if negate {
		f = f[1:]
	}
	var kind EventKind
	if err := kind.UnmarshalText([]byte(f[0])); err != nil {
		return err
	}
	want := kvs(f[1:])
	for i, e := range s.pending {
		if e.Kind != kind {
			continue
		}
		if ok, _ := s.matches(e, want); !ok {
			continue
		}
		if negate {
			return fmt.Errorf("unexpected event %s", describe(e))
		}
		s.pending = s.pending[i+1:]
		return nil
	}
	if negate {
		return nil
	}
	var seen []string
	for _, e := range s.pending {
		seen = append(seen, describe(e))
	}
	return fmt.Errorf("no %s event matching %v among:\n  %s", kind, want, strings.Join(seen, "\n  "))
}

func describe(e Event) string {
	return fmt.Sprintf("%s t=%v contact=%s agent=%s queue=%s reason=%s state=%s outcome=%s wait=%v hold=%v first=%v target=%s",
		e.Kind, e.At.Sub(epoch).Seconds(), e.Contact, e.Agent, e.Queue, e.Reason, e.State, e.Outcome, e.Wait, e.Hold, e.FirstEntry, e.Target)
}

func (s *scenario) matches(e Event, want map[string]string) (bool, error) {
	for k, v := range want {
		var got string
		switch k {
		case "contact":
			got = e.Contact
		case "agent":
			got = e.Agent
		case "queue":
			got = e.Queue
		case "reason":
			got = e.Reason
		case "state":
			got = e.State.String()
		case "prev":
			got = e.PrevState.String()
		case "outcome":
			got = e.Outcome.String()
		case "first":
			got = strconv.FormatBool(e.FirstEntry)
		case "wait":
			if e.Wait != dur(v) {
				return false, nil
			}
			continue
		case "hold":
			if e.Hold != dur(v) {
				return false, nil
			}
			continue
		case "target":
			got = e.Target
		case "action":
			got = e.Action.String()
		case "actor":
			got = e.Actor
		case "by":
			got = e.By
		case "callback":
			got = strconv.FormatBool(e.Callback)
		case "request_queue":
			got = e.RequestQueue
		case "priority":
			got = strconv.Itoa(e.Priority)
		case "at":
			secs, _ := strconv.ParseFloat(v, 64)
			if !e.At.Equal(epoch.Add(time.Duration(secs * float64(time.Second)))) {
				return false, nil
			}
			continue
		default:
			return false, fmt.Errorf("unknown event field %q", k)
		}
		if got != v {
			return false, nil
		}
	}
	return true, nil
}

func (s *scenario) check(f []string) error {
	r := s.r
	switch f[0] {
	case "agent":
		st, err := r.Agent(f[1])
		if err != nil {
			return err
		}
		for k, v := range kvs(f[2:]) {
			var got string
			switch k {
			case "state":
				got = st.State.String()
			case "reason":
				got = st.Reason
			case "offer":
				got = st.Offer
			case "contacts":
				got = strings.Join(st.Contacts, ",")
			case "wrapups":
				got = strings.Join(st.WrapUps, ",")
			case "held":
				got = strings.Join(st.Held, ",")
			case "hold_time":
				got, v = st.HoldTime.String(), dur(v).String()
			default:
				return fmt.Errorf("unknown agent field %q", k)
			}
			if got != v {
				return fmt.Errorf("agent %s %s: got %q, want %q", f[1], k, got, v)
			}
		}
	case "loggedout":
		if _, err := r.Agent(f[1]); !errors.Is(err, ErrUnknownAgent) {
			return fmt.Errorf("agent %s still logged in", f[1])
		}
	case "queue":
		st, err := r.QueueStats(f[1])
		if err != nil {
			return err
		}
		for k, v := range kvs(f[2:]) {
			var got string
			switch k {
			case "waiting":
				got = strconv.Itoa(st.Waiting)
			case "callbacks":
				got = strconv.Itoa(st.Callbacks)
			case "staffed":
				got = strconv.Itoa(st.Staffed)
			case "available":
				got = strconv.Itoa(st.Available)
			case "longest":
				got = st.LongestWait.String()
				v = dur(v).String()
			default:
				return fmt.Errorf("unknown queue field %q", k)
			}
			if got != v {
				return fmt.Errorf("queue %s %s: got %s, want %s", f[1], k, got, v)
			}
		}
	case "order":
		ids, err := r.Waiting(f[1])
		if err != nil {
			return err
		}
		if got, want := strings.Join(ids, " "), strings.Join(f[2:], " "); got != want {
			return fmt.Errorf("queue %s order: got %q, want %q", f[1], got, want)
		}
	case "contact":
		st, err := r.Contact(f[1])
		if err != nil {
			return err
		}
		for k, v := range kvs(f[2:]) {
			var got string
			switch k {
			case "state":
				got = st.State
			case "agent":
				got = st.Agent
			case "queue":
				got = st.Queue
			case "stage":
				got = strconv.Itoa(st.Stage)
			case "consult":
				got = st.Consult
			case "callback":
				got = strconv.FormatBool(st.Callback)
			case "held":
				got = strconv.FormatBool(st.Held)
			case "hold":
				got, v = st.Hold.String(), dur(v).String()
			default:
				return fmt.Errorf("unknown contact field %q", k)
			}
			if got != v {
				return fmt.Errorf("contact %s %s: got %q, want %q", f[1], k, got, v)
			}
		}
	case "gone":
		if _, err := r.Contact(f[1]); !errors.Is(err, ErrUnknownContact) {
			return fmt.Errorf("contact %s still live", f[1])
		}
	default:
		return fmt.Errorf("unknown check %q", f[0])
	}
	return nil
}
