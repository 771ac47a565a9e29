package ivr

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func mapFS(files map[string]string) fstest.MapFS {
	fs := fstest.MapFS{}
	for name, data := range files {
		fs[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fs
}

func TestLoadDefaultFlows(t *testing.T) {
	lib, err := LoadDir(os.DirFS("flows"), ".")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(lib.Flows(), ","), "account,main,password,verify"; got != want {
		t.Errorf("flows: got %s, want %s", got, want)
	}
	for _, entry := range []string{"10000", "web", "unknown"} {
		f, ok := lib.FlowFor(entry)
		if !ok || f.Name != "main" {
			t.Errorf("FlowFor(%q): got %v, want main", entry, f)
		}
	}
	if got := lib.Prompts().Languages(); len(got) != 2 || got[0] != "zh" {
		t.Errorf("languages: got %v, want [zh en]", got)
	}
}

const okFlow = `flow: main
start: a
nodes:
  a:
    kind: play
    prompt: welcome
    next: b
  b:
    kind: hangup
`

func TestLoadProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // each must appear in the error
	}{
		{"yaml syntax", map[string]string{"main.yaml": "flow: main\nnodes: [\n"}, []string{"main.yaml:"}},
		{"unknown kind", map[string]string{"main.yaml": "flow: main\nstart: a\nnodes:\n  a:\n    kind: dance\n"},
			[]string{`main.yaml:5: a: unknown node kind "dance"`}},
		{"unknown target", map[string]string{"main.yaml": "flow: main\nstart: a\nnodes:\n  a:\n    kind: play\n    prompt: welcome\n    next: zz\n"},
			[]string{`main.yaml:4: a: next: unknown node "zz"`}},
		{"unreachable", map[string]string{"main.yaml": okFlow + "  c:\n    kind: hangup\n"},
			[]string{"main.yaml:10: c: unreachable from start"}},
		{"missing prompt", map[string]string{"main.yaml": strings.Replace(okFlow, "prompt: welcome", "prompt: nope", 1)},
			[]string{`main.yaml:4: a: prompt "nope" has no zh text`, `prompt "nope" has no en text`}},
		{"missing prompt in one language", map[string]string{"main.yaml": strings.Replace(okFlow, "prompt: welcome", "prompt: only.zh", 1),
			"prompts/zh.tsv": "only.zh\t只有中文\n"},
			[]string{`a: prompt "only.zh" has no en text`, `prompt "only.zh" has no zh audio`}},
		{"loop without input", map[string]string{"main.yaml": "flow: main\nstart: a\nnodes:\n  a:\n    kind: play\n    prompt: welcome\n    next: b\n  b:\n    kind: goto\n    to: a\n"},
			[]string{"loop with no input: [a b a]"}},
		{"bad expression", map[string]string{"main.yaml": "flow: main\nstart: a\nnodes:\n  a:\n    kind: branch\n    cases:\n      - if: tier ==\n        then: b\n    else: b\n  b:\n    kind: hangup\n"},
			[]string{`main.yaml:7: a: if: bad expression "tier =="`}},
		{"unknown calendar", map[string]string{"main.yaml": "flow: main\nstart: a\nnodes:\n  a:\n    kind: branch\n    cases:\n      - if: open(\"night\")\n        then: b\n    else: b\n  b:\n    kind: hangup\n"},
			[]string{`main.yaml:4: a: open("night"): no such calendar`}},
		{"bad calendar", map[string]string{"main.yaml": okFlow, "calendars.yaml": "calendars:\n  - name: c\n    time_zone: Mars/Olympus\n"},
			[]string{`calendars.yaml:2: calendar "c":`}},
		{"field of another kind", map[string]string{"main.yaml": strings.Replace(okFlow, "next: b", "next: b\n    queue: q", 1)},
			[]string{`main.yaml:8: a: field "queue" is not allowed in a play node`}},
		{"missing required", map[string]string{"main.yaml": "flow: main\nstart: a\nnodes:\n  a:\n    kind: menu\n    prompt: welcome\n"},
			[]string{"a: menu node needs options:", "a: menu node needs exhausted:"}},
		{"unknown subflow and language", map[string]string{"main.yaml": "flow: main\nstart: a\nnodes:\n  a:\n    kind: subflow\n    flow: other\n    next: b\n  b:\n    kind: language\n    lang: fr\n    next: c\n  c:\n    kind: hangup\n"},
			[]string{`a: subflow: unknown flow "other"`, `b: lang: no prompts for language "fr"`}},
		{"duplicate flow", map[string]string{"a.yaml": okFlow, "b.yaml": okFlow}, []string{`b.yaml:1: flow "main" already defined in a.yaml`}},
		{"bad lookup op and duration", map[string]string{"main.yaml": "flow: main\nstart: a\nnodes:\n  a:\n    kind: lookup\n    op: horoscope\n    next: b\n    error: b\n  b:\n    kind: menu\n    prompt: welcome\n    options: {\"1\": b, \"11\": b}\n    timeout: soon\n    exhausted: b\n"},
			[]string{`main.yaml:6: a: op: unknown lookup "horoscope"`, `main.yaml:13: b: timeout: want a duration`, `options: key "11" is not a single key`}},
		{"aliases refused", map[string]string{"main.yaml": "flow: main\nstart: a\nnodes:\n  a: &x\n    kind: hangup\n  b: *x\n"},
			[]string{"anchors and aliases are not supported"}},
		{"no flows", map[string]string{"README": "x"}, []string{"no flow files"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadDir(mapFS(tc.files), ".")
			if err == nil {
				t.Fatal("got nil error")
			}
			if !errors.Is(err, ErrInvalidFlow) {
				t.Errorf("got %v, want errors.Is ErrInvalidFlow", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error:\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadInvalidTestdata(t *testing.T) {
	_, err := LoadDir(os.DirFS("testdata/invalid"), ".")
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want *LoadError", err)
	}
	want := []string{
		`main.yaml:4: hello: next: unknown node "nowhere"`,
		`main.yaml:8: orphan: prompt "no.such.prompt" has no zh text`,
		`main.yaml:8: orphan: unreachable from start`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("got:\n%v\nwant it to contain %q", err, w)
		}
	}
}

func FuzzLoadFlowFile(f *testing.F) {
	for _, name := range []string{"flows/account.yaml", "testdata/invalid/main.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(okFlow))
	f.Add([]byte("flow: x\nnodes:\n  a: {kind: collect, pattern: '(', min: 9, max: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := LoadDir(fstest.MapFS{"f.yaml": {Data: data}}, ".")
		if err == nil {
			return
		}
		var le *LoadError
		if !errors.As(err, &le) {
			t.Fatalf("got %T %v, want *LoadError", err, err)
		}
		for _, p := range le.Problems {
			if p.File != "f.yaml" || p.Line < 1 || p.Msg == "" {
				t.Fatalf("problem without file:line: %+v", p)
			}
			if !strings.HasPrefix(p.Error(), "f.yaml:") {
				t.Fatalf("problem text %q does not start with file:line", p.Error())
			}
		}
	})
}

func FuzzParseFlow(f *testing.F) {
	f.Add([]byte(okFlow))
	f.Fuzz(func(t *testing.T, data []byte) {
		LoadFlowFile("f.yaml", data)
	})
}
