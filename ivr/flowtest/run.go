package flowtest

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/hotline10000/hotline/ivr"
)

// TestsDir is where RunDir looks for test files inside a flow directory.
const TestsDir = "tests"

// RunDir loads the flows in dir of fsys, runs every test file in
// dir/tests/*.txt against them and writes one line per test to w (and
// the reasons of each failure). err is set when the flows or a test file
// cannot be loaded; a failing test only counts in failed.
func RunDir(fsys fs.FS, dir string, w io.Writer) (passed, failed int, err error) {
	lib, err := ivr.LoadDir(fsys, dir)
	if err != nil {
		return 0, 0, err
	}
	files, err := fs.Glob(fsys, path.Join(dir, TestsDir, "*.txt"))
	if err != nil {
		return 0, 0, err
	}
	if len(files) == 0 {
		return 0, 0, fmt.Errorf("flow test: no %s/*.txt files in %s", TestsDir, dir)
	}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return passed, failed, err
		}
		cases, err := Parse(f, string(data))
		if err != nil {
			return passed, failed, err
		}
		for _, c := range cases {
			if probs := Run(lib, c); len(probs) > 0 {
				failed++
				fmt.Fprintf(w, "FAIL %s:%d %s\n", c.File, c.Line, c.Name)
				for _, p := range probs {
					fmt.Fprintf(w, "    %s\n", p)
				}
			} else {
				passed++
				fmt.Fprintf(w, "ok   %s:%d %s\n", c.File, c.Line, c.Name)
			}
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
	return passed, failed, nil
}

// Run runs one case against lib and returns what went wrong.
func Run(lib *ivr.Library, c *Case) []string {
	failures, _ := run(lib, c)
	return failures
}

// run also returns the events the run emitted.
func run(lib *ivr.Library, c *Case) ([]string, []ivr.Event) {
	s := newSim(c)
	cfg := ivr.Config{Clock: s, Sink: s, Backend: s, Queuer: s, Tickets: s, Verifier: s, Answers: s}
	if c.pinMax > 0 {
		cfg.PINGuard = (*simGuard)(s)
	}
	r := ivr.NewRunner(lib, cfg)
	res, err := r.Run(context.Background(), ivr.Contact{ID: "flowtest", ANI: c.ANI, Entry: c.Entry, Flow: c.Flow, Lang: c.Lang, Start: c.Start,
		Verified: c.verified, Vars: c.vars}, s)
	if err != nil && !s.failed() {
		s.failf(c.Line, "run failed: %v", err)
	}
	if !s.failed() {
		if st, ok := s.peek(); ok {
			s.failf(st.line, "the run ended before `%c %s`", st.dir, st.text())
		}
	}
	if s.failed() {
		return s.failures, s.events
	}
	for _, ch := range s.c.checks {
		if msg := s.check(ch, res); msg != "" {
			s.failures = append(s.failures, fmt.Sprintf("%s:%d: %s", c.File, ch.line, msg))
		}
	}
	return s.failures, s.events
}

func eventName(e ivr.Event) string {
	switch e.(type) {
	case ivr.Started:
		return "started"
	case ivr.NodeEntered:
		return "node"
	case ivr.InputReceived:
		return "input"
	case ivr.SelfServiceCompleted:
		return "self_service"
	case ivr.AgentRequested:
		return "agent_requested"
	case ivr.Requeued:
		return "requeued"
	case ivr.AgentConnected:
		return "agent_connected"
	case ivr.TicketCreated:
		return "ticket"
	case ivr.SurveyResult:
		return "survey"
	case ivr.AbandonedInIVR:
		return "abandoned"
	case ivr.Ended:
		return "ended"
	}
	return fmt.Sprintf("%T", e)
}

func (s *sim) count(name string) int {
	n := 0
	for _, e := range s.events {
		if eventName(e) == name {
			n++
		}
	}
	return n
}

func (s *sim) check(ch step, res ivr.Result) string {
	w := ch.words
	switch w[0] {
	case "outcome":
		if got := string(res.Outcome); got != arg(w, 1) {
			return fmt.Sprintf("outcome: got %s, want %s", got, arg(w, 1))
		}
	case "var":
		want := strings.Join(w[2:], " ")
		v, ok := res.Vars[arg(w, 1)]
		got := fmt.Sprint(v)
		if !ok {
			got = "(unset)"
		}
		if got != want {
			return fmt.Sprintf("var %s: got %s, want %s", arg(w, 1), got, want)
		}
	case "novar":
		if v, ok := res.Vars[arg(w, 1)]; ok {
			return fmt.Sprintf("var %s: got %v, want it unset or masked", arg(w, 1), v)
		}
	case "event":
		n := s.count(arg(w, 1))
		if len(w) > 2 {
			want, err := strconv.Atoi(w[2])
			if err != nil {
				return "event: bad count " + w[2]
			}
			if n != want {
				return fmt.Sprintf("event %s: got %d, want %d", w[1], n, want)
			}
		} else if n == 0 {
			return fmt.Sprintf("event %s: got none, want at least one", arg(w, 1))
		}
	case "noevent":
		if n := s.count(arg(w, 1)); n > 0 {
			return fmt.Sprintf("event %s: got %d, want none", arg(w, 1), n)
		}
	case "survey":
		for _, e := range s.events {
			if sr, ok := e.(ivr.SurveyResult); ok {
				if strconv.Itoa(sr.Score) != arg(w, 1) {
					return fmt.Sprintf("survey: got %d, want %s", sr.Score, arg(w, 1))
				}
				return ""
			}
		}
		return "survey: no result recorded"
	case "secret":
		for _, e := range s.events {
			if strings.Contains(fmt.Sprintf("%+v", e), arg(w, 1)) {
				return fmt.Sprintf("secret %q appears in event %s", arg(w, 1), eventName(e))
			}
		}
		for k, v := range res.Vars {
			if fmt.Sprint(v) == arg(w, 1) {
				return fmt.Sprintf("secret %q is visible in var %s", arg(w, 1), k)
			}
		}
	case "cancelled":
		if s.cancels == 0 {
			return "cancelled: the queue was never cancelled"
		}
	case "elapsed":
		want := arg(w, 1)
		if got := s.now.Sub(s.c.Time).String(); got != want {
			return fmt.Sprintf("elapsed: got %s, want %s", got, want)
		}
	default:
		return fmt.Sprintf("unknown check %q", w[0])
	}
	return ""
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
