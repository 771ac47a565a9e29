package flowtest

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/hotline10000/hotline/ivr"
)

// TestDefaultFlows runs the shipped flows' test files: every path of the
// 10000 flows.
func TestDefaultFlows(t *testing.T) {
	var out bytes.Buffer
	passed, failed, err := RunDir(os.DirFS("../flows"), ".", &out)
	if err != nil {
		t.Fatal(err)
	}
	if failed > 0 || passed == 0 {
		t.Errorf("got %d passed, %d failed, want all passing:\n%s", passed, failed, out.String())
	}
	t.Logf("%d flow tests passed", passed)
}

// TestFailuresAreReported proves the harness fails what it should.
func TestFailuresAreReported(t *testing.T) {
	var out bytes.Buffer
	passed, failed, err := RunDir(os.DirFS("testdata/failing"), ".", &out)
	if err != nil {
		t.Fatal(err)
	}
	if passed != 1 || failed != 4 {
		t.Errorf("got %d passed, %d failed, want 1 and 4:\n%s", passed, failed, out.String())
	}
	for _, want := range []string{
		"tests/wrong.txt:2: got > welcome\n      want > goodbye",
		"tests/wrong.txt:6: the IVR waits for input, the script expects > goodbye",
		"tests/wrong.txt:13: the run ended before `> welcome`",
		"tests/wrong.txt:20: outcome: got self_service, want agent",
		"tests/wrong.txt:21: var lang: got zh, want en",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"> welcome", "t.txt:1: want `test NAME`"},
		{"test a\n  channel fax", "t.txt:2: channel: want voice or chat"},
		{"test a\n  time tomorrow", "t.txt:2: time: want RFC 3339"},
		{"test a\n  customer 1 shoe=9", `t.txt:2: customer: unknown key "shoe"`},
		{"test a\n  < wait soon", `t.txt:2: wait: bad duration "soon"`},
		{"test a\n  frobnicate", `t.txt:2: unknown line "frobnicate"`},
		{"# nothing", "t.txt: no tests"},
	} {
		_, err := Parse("t.txt", tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q): got %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestRunDirRejectsInvalidFlows(t *testing.T) {
	_, _, err := RunDir(os.DirFS("../testdata/invalid"), ".", &bytes.Buffer{})
	if err == nil {
		t.Fatal("got nil error for an invalid flow directory")
	}
}

// TestDefaultFlowsCoverEveryNode: the shipped tests enter every node of
// every shipped flow, and reach every outcome.
func TestDefaultFlowsCoverEveryNode(t *testing.T) {
	fsys := os.DirFS("../flows")
	lib, err := ivr.LoadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	outcomes := map[ivr.Outcome]bool{}
	files, _ := fs.Glob(fsys, path.Join(TestsDir, "*.txt"))
	for _, f := range files {
		data, _ := fs.ReadFile(fsys, f)
		cases, err := Parse(f, string(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			_, events := run(lib, c)
			for _, e := range events {
				switch e := e.(type) {
				case ivr.NodeEntered:
					seen[e.Flow+"."+e.Node] = true
				case ivr.Ended:
					outcomes[e.Outcome] = true
				}
			}
		}
	}
	var missed []string
	for _, name := range lib.Flows() {
		f, _ := lib.Flow(name)
		for n := range f.Nodes {
			if !seen[name+"."+n] {
				missed = append(missed, name+"."+n)
			}
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Errorf("nodes no test enters: %v", missed)
	}
	for _, o := range []ivr.Outcome{ivr.OutcomeAgent, ivr.OutcomeSelfService, ivr.OutcomeAbandoned, ivr.OutcomeFailed} {
		if !outcomes[o] {
			t.Errorf("no test ends with outcome %s", o)
		}
	}
}

// TestAccountDataNeedsProof: even a flow with no verification step cannot
// show a chat customer account data they have not proved (the runner's
// backstop), and a proof binds the run to one account.
func TestAccountDataNeedsProof(t *testing.T) {
	var out bytes.Buffer
	passed, failed, err := RunDir(os.DirFS("testdata/careless"), ".", &out)
	if err != nil {
		t.Fatal(err)
	}
	if failed > 0 || passed != 4 {
		t.Errorf("got %d passed, %d failed, want 4 passing:\n%s", passed, failed, out.String())
	}
}
