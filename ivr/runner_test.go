package ivr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted is a minimal Channel for runner tests: inputs are popped in
// order; "T" is a timeout, "H" a hang-up, "Q:..." a queue event kind.
type scripted struct {
	kind    ChannelKind
	inputs  []string
	played  []string
	clock   *manualClock
	gate    chan struct{} // when set, Receive waits on it first
	waiting chan struct{} // closed when Receive first waits on gate
	hungUp  bool
}

type manualClock struct{ t time.Time }

func (c *manualClock) Now() time.Time                       { return c.t }
func (c *manualClock) After(time.Duration) <-chan time.Time { return nil }

func (s *scripted) Kind() ChannelKind { return s.kind }
func (s *scripted) Play(ctx context.Context, u Utterance) (Input, error) {
	s.played = append(s.played, u.Lang+":"+u.String())
	return Input{}, nil
}
func (s *scripted) Receive(ctx context.Context, deadline time.Time, q <-chan QueueEvent) (Input, error) {
	if s.gate != nil {
		if s.waiting != nil {
			close(s.waiting)
			s.waiting = nil
		}
		select {
		case <-s.gate:
		case <-ctx.Done():
			return Input{}, ctx.Err()
		}
	}
	if len(s.inputs) == 0 {
		<-ctx.Done()
		return Input{}, ctx.Err()
	}
	in := s.inputs[0]
	s.inputs = s.inputs[1:]
	switch {
	case in == "T":
		if s.clock != nil {
			s.clock.t = deadline
		}
		return Input{}, ErrTimeout
	case in == "H":
		return Input{}, ErrHangup
	case strings.HasPrefix(in, "text:"):
		return Input{Kind: InputText, Text: in[5:]}, nil
	}
	return Input{Kind: InputDigits, Digits: in}, nil
}
func (s *scripted) Transfer(ctx context.Context, agent string) error { return nil }
func (s *scripted) Hangup(ctx context.Context) error                 { s.hungUp = true; return nil }

type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) Emit(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) names() string {
	var b []string
	for _, e := range r.events {
		s := fmt.Sprintf("%T", e)
		s = strings.TrimPrefix(s, "ivr.")
		switch e := e.(type) {
		case NodeEntered:
			s += "(" + e.Node + ")"
		case InputReceived:
			s += fmt.Sprintf("(%q masked=%v valid=%v timeout=%v)", e.Value, e.Masked, e.Valid, e.Timeout)
		case Ended:
			s += "(" + string(e.Outcome) + ")"
		}
		b = append(b, s)
	}
	return strings.Join(b, " ")
}

const pinFlow = `flow: main
start: pin
nodes:
  pin:
    kind: collect
    prompt: password.enter
    var: pin
    min: 6
    max: 6
    masked: true
    retries: 2
    no_input: menu.no_input
    exhausted: bye
    next: bye
  bye:
    kind: hangup
    prompt: goodbye
`

func loadLib(t testing.TB, files map[string]string) *Library {
	t.Helper()
	lib, err := LoadDir(mapFS(files), ".")
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func TestRunEventsAndMasking(t *testing.T) {
	lib := loadLib(t, map[string]string{"main.yaml": pinFlow})
	rec := &recorder{}
	clock := &manualClock{t: time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)}
	r := NewRunner(lib, Config{Clock: clock, Sink: rec})
	ch := &scripted{kind: Voice, inputs: []string{"T", "123456"}, clock: clock}
	res, err := r.Run(context.Background(), Contact{ID: "c1", ANI: "139"}, ch)
	if err != nil {
		t.Fatal(err)
	}
	want := `Started NodeEntered(pin) InputReceived("" masked=true valid=false timeout=true) InputReceived("" masked=true valid=true timeout=false) NodeEntered(bye) Ended(self_service)`
	if got := rec.names(); got != want {
		t.Errorf("events:\ngot  %s\nwant %s", got, want)
	}
	if _, ok := res.Vars["pin"]; ok {
		t.Error("masked variable pin is in Result.Vars")
	}
	for _, e := range rec.events {
		if strings.Contains(fmt.Sprintf("%+v", e), "123456") {
			t.Errorf("event %T shows the masked input", e)
		}
		if h := e.Head(); h.ContactID != "c1" || h.Channel != Voice || h.Flow != "main" {
			t.Errorf("header: got %+v", h)
		}
	}
	if got, want := rec.events[len(rec.events)-1].Head().Time, clock.t; !got.Equal(want) {
		t.Errorf("Ended time: got %v, want the clock's %v", got, want)
	}
	if !ch.hungUp {
		t.Error("the IVR did not hang up after the hangup node")
	}
}

func TestRunOutcomes(t *testing.T) {
	lib := loadLib(t, map[string]string{"main.yaml": pinFlow})
	for _, tc := range []struct {
		name    string
		inputs  []string
		cancel  bool
		want    Outcome
		wantErr bool
	}{
		{"caller hangs up", []string{"H"}, false, OutcomeAbandoned, false},
		{"retries exhausted end in the flow", []string{"T", "T"}, false, OutcomeSelfService, false},
		{"platform cancels", nil, true, OutcomeFailed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			r := NewRunner(lib, Config{Clock: &manualClock{}, Sink: rec})
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancel {
				cancel()
			}
			defer cancel()
			res, err := r.Run(ctx, Contact{ID: "c"}, &scripted{kind: Voice, inputs: tc.inputs})
			if res.Outcome != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("got %s, %v; want %s, error=%v", res.Outcome, err, tc.want, tc.wantErr)
			}
			if n := strings.Count(rec.names(), "Ended("); n != 1 {
				t.Errorf("Ended events: got %d, want 1", n)
			}
			if tc.want == OutcomeAbandoned && !strings.Contains(rec.names(), "AbandonedInIVR") {
				t.Error("no AbandonedInIVR event")
			}
		})
	}
}

func TestStepLimit(t *testing.T) {
	// A transfer counts as waiting for input, but without a queue it
	// fails at once: the loop spins and the step limit stops it.
	lib := loadLib(t, map[string]string{
		"main.yaml": "flow: main\nstart: a\nnodes:\n  a:\n    kind: transfer\n    queue: q\n    error: b\n  b:\n    kind: play\n    prompt: welcome\n    next: a\n",
	})
	r := NewRunner(lib, Config{Clock: &manualClock{}, MaxSteps: 50})
	res, err := r.Run(context.Background(), Contact{ID: "c"}, &scripted{kind: Voice})
	if !errors.Is(err, ErrStepLimit) || res.Outcome != OutcomeFailed {
		t.Errorf("got %s, %v; want failed, ErrStepLimit", res.Outcome, err)
	}
}

func TestRunUnknownFlow(t *testing.T) {
	lib := loadLib(t, map[string]string{"x.yaml": strings.Replace(pinFlow, "flow: main", "flow: x", 1)})
	r := NewRunner(lib, Config{})
	if _, err := r.Run(context.Background(), Contact{ID: "c", Entry: "999"}, &scripted{kind: Voice}); !errors.Is(err, ErrNoFlow) {
		t.Errorf("got %v, want ErrNoFlow", err)
	}
}

// TestReloadKeepsRunsInProgress: a run started before Reload finishes on
// the old library; runs started after use the new one.
func TestReloadKeepsRunsInProgress(t *testing.T) {
	menu := func(prompt string) string {
		return "flow: main\nstart: m\nnodes:\n  m:\n    kind: menu\n    prompt: " + prompt +
			"\n    options: {\"1\": bye}\n    exhausted: bye\n  bye:\n    kind: hangup\n    prompt: " + prompt + "\n"
	}
	oldLib := loadLib(t, map[string]string{"main.yaml": menu("welcome")})
	newLib := loadLib(t, map[string]string{"main.yaml": menu("goodbye")})
	r := NewRunner(oldLib, Config{Clock: &manualClock{}})

	gate := make(chan struct{})
	waiting := make(chan struct{})
	oldCh := &scripted{kind: Voice, inputs: []string{"1"}, gate: gate, waiting: waiting}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(context.Background(), Contact{ID: "old"}, oldCh)
	}()
	<-waiting
	r.Reload(newLib)
	newCh := &scripted{kind: Voice, inputs: []string{"1"}}
	if _, err := r.Run(context.Background(), Contact{ID: "new"}, newCh); err != nil {
		t.Fatal(err)
	}
	close(gate)
	<-done
	if got, want := strings.Join(oldCh.played, ","), "zh:welcome,zh:welcome"; got != want {
		t.Errorf("run in progress: got %s, want %s", got, want)
	}
	if got, want := strings.Join(newCh.played, ","), "zh:goodbye,zh:goodbye"; got != want {
		t.Errorf("new run: got %s, want %s", got, want)
	}
}

func TestKeywordLeavesSubflow(t *testing.T) {
	lib := loadLib(t, map[string]string{
		"main.yaml": "flow: main\nstart: a\nkeywords: {人工: human}\nnodes:\n  a:\n    kind: subflow\n    flow: sub\n    next: bye\n  human:\n    kind: hangup\n    prompt: opt.agent\n  bye:\n    kind: hangup\n    prompt: goodbye\n",
		"sub.yaml":  "flow: sub\nstart: ask\nnodes:\n  ask:\n    kind: collect\n    prompt: account.enter\n    var: acct\n    exhausted: done\n    next: done\n  done:\n    kind: return\n",
	})
	r := NewRunner(lib, Config{Clock: &manualClock{}})
	ch := &scripted{kind: Chat, inputs: []string{"text: 人工 "}}
	res, err := r.Run(context.Background(), Contact{ID: "c"}, ch)
	if err != nil {
		t.Fatal(err)
	}
	if res.LastNode != "human" || ch.played[len(ch.played)-1] != "zh:opt.agent" {
		t.Errorf("got last node %s, played %v; want the keyword's node", res.LastNode, ch.played)
	}
}

func TestReloadDirKeepsTheOldLibraryOnError(t *testing.T) {
	good := loadLib(t, map[string]string{"main.yaml": pinFlow})
	r := NewRunner(good, Config{})
	if _, err := r.ReloadDir(mapFS(map[string]string{"main.yaml": "flow: main\n"}), "."); !errors.Is(err, ErrInvalidFlow) {
		t.Fatalf("got %v, want ErrInvalidFlow", err)
	}
	if r.Library() != good {
		t.Error("an invalid directory replaced the library")
	}
	lib, err := r.ReloadDir(mapFS(map[string]string{"main.yaml": okFlow}), ".")
	if err != nil || r.Library() != lib {
		t.Errorf("valid reload: got %v, library swapped=%v", err, r.Library() == lib)
	}
}

type ticketLog struct{ reqs []TicketRequest }

func (l *ticketLog) CreateTicket(ctx context.Context, r TicketRequest) (string, error) {
	l.reqs = append(l.reqs, r)
	return fmt.Sprint("2026112300000", len(l.reqs)), nil
}

func TestTicketRequests(t *testing.T) {
	lib := loadLib(t, map[string]string{"main.yaml": `flow: main
start: phone
nodes:
  phone:
    kind: collect
    prompt: fault.phone
    var: phone
    exhausted: bye
    next: t
  t:
    kind: ticket
    type: fault
    summary: from the IVR
    fields: {contact_phone: phone}
    prompt: [ticket.created, {digits: ticket_no}]
    next: again
    error: bye
  again:
    kind: menu
    prompt: main.menu
    options: {"1": t}
    exhausted: bye
  bye:
    kind: hangup
`})
	tl := &ticketLog{}
	ch := &scripted{kind: Voice, inputs: []string{"13800138000#", "1", "H"}}
	r := NewRunner(lib, Config{Clock: &manualClock{}, Tickets: tl})
	res, err := r.Run(context.Background(), Contact{ID: "c9", ANI: "139"}, ch)
	if err != nil || res.Outcome != OutcomeSelfService {
		t.Fatalf("got %s, %v", res.Outcome, err)
	}
	if len(tl.reqs) != 2 {
		t.Fatalf("got %d ticket requests, want 2", len(tl.reqs))
	}
	first := tl.reqs[0]
	if first.Key != "c9/t/1" || tl.reqs[1].Key != "c9/t/2" || first.Type != "fault" || first.ANI != "139" ||
		first.Fields["contact_phone"] != "13800138000" || first.Summary != "from the IVR" {
		t.Errorf("got %+v and key %q", first, tl.reqs[1].Key)
	}
	if got := ch.played[1]; got != "zh:ticket.created digits(20261123000001)" {
		t.Errorf("read back: got %q", got)
	}
}
