package ivr

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// CalendarFile is the file in a flow directory that defines the business
// hours calendars flows name in open("name").
const CalendarFile = "calendars.yaml"

// LoadDir loads and validates every flow file (*.yaml, *.yml except
// calendars.yaml) in dir of fsys, the optional calendars.yaml, and the
// optional prompts/ directory (<lang>.tsv and <lang>/<id>.wav) that extends
// and overrides the shipped prompts. Any problem fails the whole load with
// a *LoadError naming file:line: node: message for each.
func LoadDir(fsys fs.FS, dir string) (*Library, error) {
	return LoadDirWith(fsys, dir, nil)
}

// LoadDirWith is LoadDir with calendars defined outside the flow set
// (administered through the API; nil: none).
func LoadDirWith(fsys fs.FS, dir string, calendars CalendarSource) (*Library, error) {
	base, err := DefaultCatalog()
	if err != nil {
		return nil, fmt.Errorf("default prompts: %w", err)
	}
	l := &Library{flows: map[string]*Flow{}, entries: map[string]string{}, prompts: base, calendars: map[string]Calendar{}}
	le := &LoadError{}
	if st, err := fs.Stat(fsys, path.Join(dir, "prompts")); err == nil && st.IsDir() {
		if err := base.add(fsys, path.Join(dir, "prompts")); err != nil {
			if e, ok := err.(*LoadError); ok {
				le.Problems = append(le.Problems, e.Problems...)
			} else {
				return nil, err
			}
		}
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("load flows: %w", err)
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			continue
		}
		files = append(files, n)
	}
	for _, n := range files {
		p := path.Join(dir, n)
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("load flows: %w", err)
		}
		if n == CalendarFile {
			le.Problems = append(le.Problems, l.parseCalendars(p, data)...)
			continue
		}
		f, probs := parseFlow(p, data)
		le.Problems = append(le.Problems, probs...)
		if f == nil {
			continue
		}
		if prev, dup := l.flows[f.Name]; dup {
			le.Problems = append(le.Problems, Problem{File: p, Line: 1, Msg: fmt.Sprintf("flow %q already defined in %s", f.Name, prev.File)})
			continue
		}
		l.flows[f.Name] = f
	}
	if len(l.flows) == 0 && len(le.Problems) == 0 {
		le.Problems = append(le.Problems, Problem{File: dir, Msg: "no flow files (*.yaml)"})
	}
	if calendars != nil {
		for _, name := range calendars.Names() {
			if _, ok := l.calendars[name]; !ok {
				l.calendars[name] = nil
			}
		}
		for name, c := range l.calendars {
			l.calendars[name] = calendars.Calendar(name, c)
		}
	}
	le.Problems = append(le.Problems, l.validate()...)
	if len(le.Problems) > 0 {
		le.sort()
		return nil, le
	}
	return l, nil
}

// LoadFlowFile parses one flow file without cross-flow validation; it is
// what the fuzzer exercises.
func LoadFlowFile(name string, data []byte) (*Flow, error) {
	f, probs := parseFlow(name, data)
	if len(probs) > 0 {
		return nil, &LoadError{Problems: probs}
	}
	return f, nil
}

// decodeYAML parses data into a document node. The yaml library is third
// party: a panic on hostile input becomes a problem, not a crash.
func decodeYAML(file string, data []byte) (doc *yaml.Node, probs []Problem) {
	defer func() {
		if r := recover(); r != nil {
			doc, probs = nil, []Problem{{File: file, Line: 1, Msg: fmt.Sprintf("yaml: %v", r)}}
		}
	}()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, []Problem{{File: file, Line: yamlErrLine(err), Msg: err.Error()}}
	}
	if len(root.Content) == 0 {
		return nil, []Problem{{File: file, Line: 1, Msg: "empty file"}}
	}
	return root.Content[0], nil
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 1
}

// reader collects problems while reading one file's yaml nodes.
type reader struct {
	file  string
	node  string
	probs []Problem
}

func (r *reader) errf(n *yaml.Node, format string, args ...any) {
	line := 1
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	r.probs = append(r.probs, Problem{File: r.file, Line: line, Node: r.node, Msg: fmt.Sprintf(format, args...)})
}

func (r *reader) plain(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		r.errf(n, "anchors and aliases are not supported")
		return false
	}
	return true
}

func (r *reader) str(n *yaml.Node, what string) string {
	if !r.plain(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		r.errf(n, "%s: want a string", what)
		return ""
	}
	return n.Value
}

func (r *reader) intv(n *yaml.Node, what string) int {
	s := r.str(n, what)
	v, err := strconv.Atoi(s)
	if s != "" && (err != nil || v < 0 || v > 1000) {
		r.errf(n, "%s: want a whole number from 0 to 1000, got %q", what, s)
	}
	return v
}

func (r *reader) boolv(n *yaml.Node, what string) bool {
	switch s := r.str(n, what); s {
	case "true", "yes":
		return true
	case "false", "no":
		return false
	case "":
		return false
	default:
		r.errf(n, "%s: want true or false, got %q", what, s)
		return false
	}
}

func (r *reader) dur(n *yaml.Node, what string) time.Duration {
	s := r.str(n, what)
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > 24*time.Hour {
		r.errf(n, "%s: want a duration like 5s or 2m, got %q", what, s)
		return 0
	}
	return d
}

func (r *reader) list(n *yaml.Node, what string) []string {
	if !r.plain(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{r.str(n, what)}
	}
	if n.Kind != yaml.SequenceNode {
		r.errf(n, "%s: want a list of strings", what)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, r.str(c, what))
	}
	return out
}

// pairs walks a mapping, reporting duplicate keys.
func (r *reader) pairs(n *yaml.Node, what string, fn func(k string, key, val *yaml.Node)) {
	if !r.plain(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		r.errf(n, "%s: want a mapping", what)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := r.str(n.Content[i], what+" key")
		if seen[k] {
			r.errf(n.Content[i], "%s: duplicate key %q", what, k)
			continue
		}
		seen[k] = true
		fn(k, n.Content[i], n.Content[i+1])
	}
}

func (r *reader) strMap(n *yaml.Node, what string) map[string]string {
	m := map[string]string{}
	r.pairs(n, what, func(k string, _, v *yaml.Node) { m[k] = r.str(v, what+"."+k) })
	return m
}

func (r *reader) segments(n *yaml.Node, what string) []Segment {
	if !r.plain(n) {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var segs []Segment
	for _, it := range items {
		switch {
		case !r.plain(it):
		case it.Kind == yaml.ScalarNode:
			if id := r.str(it, what); id != "" {
				segs = append(segs, Segment{Prompt: id})
			}
		case it.Kind == yaml.MappingNode && len(it.Content) == 2:
			kind := SayKind(r.str(it.Content[0], what))
			v := r.str(it.Content[1], what)
			if !sayKinds[kind] {
				r.errf(it, "%s: unknown say kind %q (want number, digits, money, date or time)", what, kind)
			}
			if !isIdent(v) {
				r.errf(it.Content[1], "%s: say %s: want a variable name, got %q", what, kind, v)
			}
			segs = append(segs, Segment{Say: kind, Var: v})
		default:
			r.errf(it, "%s: want a prompt id or {say-kind: variable}", what)
		}
	}
	return segs
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func isIdent(s string) bool { return identRE.MatchString(s) }

// fieldsFor lists the fields each kind accepts, besides kind itself.
var fieldsFor = map[NodeKind][]string{
	KindPlay:     {"prompt", "next"},
	KindMenu:     {"prompt", "options", "buttons", "words", "timeout", "retries", "invalid", "no_input", "exhausted", "barge_in", "repeat"},
	KindCollect:  {"prompt", "var", "min", "max", "terminator", "timeout", "inter_digit_timeout", "pattern", "masked", "text", "retries", "invalid", "no_input", "exhausted", "barge_in", "next"},
	KindBranch:   {"cases", "else"},
	KindLookup:   {"op", "in", "next", "not_found", "unverified", "error"},
	KindTransfer: {"queue", "skills", "priority", "comfort", "announce", "after", "callback", "message", "overflow", "error", "keys", "hint"},
	KindTicket:   {"type", "summary", "subject", "fields", "var", "prompt", "next", "error"},
	KindSurvey:   {"prompt", "buttons", "timeout", "retries", "invalid", "no_input", "var", "next"},
	KindSubflow:  {"flow", "next"},
	KindGoto:     {"to"},
	KindSet:      {"values", "next"},
	KindLanguage: {"lang", "next"},
	KindHangup:   {"prompt"},
	KindReturn:   {},
	KindAnswer:   {"question", "prompt", "buttons", "timeout", "retries", "invalid", "no_input", "next", "not_found", "else", "error"},
	KindRecord:   {"prompt", "var", "limit", "next", "error"},
}

var requiredFor = map[NodeKind][]string{
	KindPlay:     {"prompt", "next"},
	KindMenu:     {"prompt", "options", "exhausted"},
	KindCollect:  {"prompt", "var", "exhausted", "next"},
	KindBranch:   {"cases", "else"},
	KindLookup:   {"op", "next", "error"},
	KindTransfer: {"queue", "error"},
	KindRecord:   {"next", "error"},
	KindTicket:   {"type", "next", "error"},
	KindSurvey:   {"prompt", "next"},
	KindSubflow:  {"flow", "next"},
	KindGoto:     {"to"},
	KindSet:      {"values", "next"},
	KindLanguage: {"lang", "next"},
	KindAnswer:   {"question", "buttons", "next", "else"},
}

func parseFlow(file string, data []byte) (*Flow, []Problem) {
	doc, probs := decodeYAML(file, data)
	if doc == nil {
		return nil, probs
	}
	r := &reader{file: file}
	f := &Flow{File: file, Nodes: map[string]*Node{}, Keywords: map[string]string{}, ChatIdle: 5 * time.Minute}
	var nodesNode *yaml.Node
	r.pairs(doc, "flow file", func(k string, key, v *yaml.Node) {
		switch k {
		case "flow":
			f.Name = r.str(v, "flow")
			if f.Name != "" && !isIdent(f.Name) {
				r.errf(v, "flow: %q is not a name (letters, digits, _)", f.Name)
			}
		case "start":
			f.Start = r.str(v, "start")
		case "entries":
			f.Entries = r.list(v, "entries")
		case "keywords":
			r.pairs(v, "keywords", func(w string, _, t *yaml.Node) {
				f.Keywords[strings.ToLower(strings.TrimSpace(w))] = r.str(t, "keywords."+w)
			})
		case "chat_idle":
			if d := r.dur(v, "chat_idle"); d > 0 {
				f.ChatIdle = d
			}
		case "nodes":
			nodesNode = v
		default:
			r.errf(key, "unknown key %q (want flow, start, entries, keywords, chat_idle, nodes)", k)
		}
	})
	if doc.Kind != yaml.MappingNode {
		return nil, r.probs
	}
	if f.Name == "" {
		r.errf(doc, "missing flow: name")
	}
	if f.Start == "" {
		r.errf(doc, "missing start: node")
	}
	if nodesNode == nil {
		r.errf(doc, "missing nodes:")
		return nil, r.probs
	}
	r.pairs(nodesNode, "nodes", func(name string, key, v *yaml.Node) {
		if !isIdent(name) {
			r.node = ""
			r.errf(key, "node name %q: want letters, digits and _", name)
			return
		}
		r.node = name
		n := parseNode(r, name, key.Line, v)
		n.File = file
		f.Nodes[name] = n
	})
	r.node = ""
	if len(r.probs) > 0 {
		return nil, r.probs
	}
	return f, nil
}

func parseNode(r *reader, name string, line int, v *yaml.Node) *Node {
	n := &Node{Name: name, Line: line, Retries: 3, BargeIn: true, Repeat: "*", Timeout: 5 * time.Second,
		InterDigit: 3 * time.Second, Terminator: "#", Min: 1, Max: 20, Announce: 30 * time.Second}
	if !r.plain(v) {
		return n
	}
	if v.Kind != yaml.MappingNode {
		r.errf(v, "want a mapping with kind:")
		return n
	}
	fields := map[string]*yaml.Node{}
	keys := map[string]*yaml.Node{}
	r.pairs(v, "node", func(k string, key, val *yaml.Node) { fields[k], keys[k] = val, key })
	kn, ok := fields["kind"]
	if !ok {
		r.errf(v, "missing kind:")
		return n
	}
	n.Kind = NodeKind(r.str(kn, "kind"))
	allowed, ok := fieldsFor[n.Kind]
	if !ok {
		r.errf(kn, "unknown node kind %q", n.Kind)
		return n
	}
	allow := map[string]bool{"kind": true}
	for _, a := range allowed {
		allow[a] = true
	}
	for k, key := range keys {
		if !allow[k] {
			r.errf(key, "field %q is not allowed in a %s node (allowed: %s)", k, n.Kind, strings.Join(allowed, ", "))
		}
	}
	for _, req := range requiredFor[n.Kind] {
		if _, ok := fields[req]; !ok {
			r.errf(v, "%s node needs %s:", n.Kind, req)
		}
	}
	// Fields in a stable order so problems come out deterministically.
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		val := fields[k]
		if !allow[k] || k == "kind" {
			continue
		}
		switch k {
		case "prompt":
			n.Prompt = r.segments(val, k)
		case "invalid":
			n.Invalid = r.segments(val, k)
		case "no_input":
			n.NoInput = r.segments(val, k)
		case "comfort":
			n.Comfort = r.segments(val, k)
		case "hint":
			n.Hint = r.segments(val, k)
		case "keys":
			n.QueueKeys = r.strMap(val, k)
			for key, action := range n.QueueKeys {
				if !isKey(key) {
					r.errf(val, "keys: key %q is not a single key 0-9, * or #", key)
				}
				switch action {
				case ActionCallback:
					if _, ok := fields["callback"]; !ok {
						r.errf(val, "keys: %q asks for a callback but the node has no callback: target", key)
					}
				case ActionMessage:
					if _, ok := fields["message"]; !ok {
						r.errf(val, "keys: %q asks for a message but the node has no message: target", key)
					}
				default:
					r.errf(val, "keys: %q: unknown action %q (want callback or message)", key, action)
				}
			}
		case "next":
			n.Next = r.str(val, k)
		case "error":
			n.Error = r.str(val, k)
		case "exhausted":
			n.Exhausted = r.str(val, k)
		case "else":
			n.Else = r.str(val, k)
		case "not_found":
			n.NotFound = r.str(val, k)
		case "unverified":
			n.Unverified = r.str(val, k)
		case "after":
			n.After = r.str(val, k)
		case "callback":
			n.Callback = r.str(val, k)
		case "message":
			n.Message = r.str(val, k)
		case "overflow":
			n.Overflow = r.str(val, k)
		case "to":
			n.To = r.str(val, k)
		case "question":
			n.Question = r.str(val, k)
			if !isIdent(n.Question) {
				r.errf(val, "question: %q is not a variable name", n.Question)
			}
		case "options":
			n.Options = r.strMap(val, k)
			for key := range n.Options {
				if !isKey(key) {
					r.errf(val, "options: key %q is not a single key 0-9, * or #", key)
				}
			}
		case "buttons":
			n.Buttons = r.strMap(val, k)
		case "words":
			n.Words = map[string][]string{}
			r.pairs(val, k, func(key string, _, ws *yaml.Node) { n.Words[key] = r.list(ws, "words."+key) })
		case "timeout":
			n.Timeout = r.dur(val, k)
		case "inter_digit_timeout":
			n.InterDigit = r.dur(val, k)
		case "announce":
			n.Announce = r.dur(val, k)
		case "limit":
			n.Limit = r.dur(val, k)
			if n.Limit <= 0 || n.Limit > 10*time.Minute {
				r.errf(val, "limit: want more than 0 and at most 10m")
			}
		case "retries":
			n.Retries = r.intv(val, k)
			if n.Retries < 1 {
				r.errf(val, "retries: want at least 1")
			}
		case "min":
			n.Min = r.intv(val, k)
		case "max":
			n.Max = r.intv(val, k)
		case "barge_in":
			n.BargeIn = r.boolv(val, k)
		case "masked":
			n.Masked = r.boolv(val, k)
		case "text":
			n.Text = r.boolv(val, k)
		case "subject":
			n.Subject = r.segments(val, k)
		case "repeat":
			n.Repeat = r.str(val, k)
			if n.Repeat != "" && !isKey(n.Repeat) {
				r.errf(val, "repeat: want one key 0-9, * or #")
			}
		case "terminator":
			n.Terminator = r.str(val, k)
			if n.Terminator != "" && n.Terminator != "#" && n.Terminator != "*" {
				r.errf(val, "terminator: want # or *")
			}
		case "var":
			n.Var = r.str(val, k)
			if !isIdent(n.Var) {
				r.errf(val, "var: %q is not a variable name", n.Var)
			}
		case "pattern":
			n.patternText = r.str(val, k)
			re, err := regexp.Compile("^(?:" + n.patternText + ")$")
			if err != nil {
				r.errf(val, "pattern: %v", err)
			}
			n.Pattern = re
		case "cases":
			parseCases(r, n, val)
		case "op":
			n.Op = r.str(val, k)
			if _, ok := lookupOps[n.Op]; !ok {
				r.errf(val, "op: unknown lookup %q (want %s)", n.Op, strings.Join(lookupOpNames(), ", "))
			}
		case "in":
			n.In = r.strMap(val, k)
			for p, vr := range n.In {
				if !isIdent(vr) {
					r.errf(val, "in.%s: %q is not a variable name", p, vr)
				}
			}
		case "queue":
			n.Queue = r.str(val, k)
		case "skills":
			n.Skills = r.list(val, k)
		case "priority":
			src := r.str(val, k)
			prog, err := compileExpr(src, exprInt)
			if err != nil {
				r.errf(val, "priority: bad expression: %v", oneLine(err))
			}
			n.priorityExpr = prog
		case "type":
			n.TicketType = r.str(val, k)
		case "summary":
			n.Summary = r.str(val, k)
		case "fields":
			n.Fields = r.strMap(val, k)
		case "flow":
			n.Flow = r.str(val, k)
		case "lang":
			n.Lang = r.str(val, k)
		case "values":
			parseSet(r, n, val)
		}
	}
	if n.Kind == KindCollect && (n.Min < 1 || n.Max < n.Min) {
		r.errf(v, "collect: want 1 <= min <= max, got min %d max %d", n.Min, n.Max)
	}
	if n.Kind == KindTicket && n.Var == "" {
		n.Var = "ticket_no"
	}
	if n.Kind == KindRecord && n.Var == "" {
		n.Var = "recording"
	}
	if n.Kind == KindRecord && n.Limit == 0 {
		n.Limit = 2 * time.Minute
	}
	if n.Kind == KindSurvey && n.Var == "" {
		n.Var = "survey"
	}
	return n
}

func isKey(s string) bool { return len(s) == 1 && strings.Contains("0123456789*#", s) }

func parseCases(r *reader, n *Node, v *yaml.Node) {
	if !r.plain(v) {
		return
	}
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		r.errf(v, "cases: want a list of {if: expression, then: node}")
		return
	}
	for _, c := range v.Content {
		bc := branchCase{line: c.Line}
		r.pairs(c, "case", func(k string, key, val *yaml.Node) {
			switch k {
			case "if":
				bc.src = r.str(val, "if")
				prog, err := compileExpr(bc.src, exprBool)
				if err != nil {
					r.errf(val, "if: bad expression %q: %v", bc.src, oneLine(err))
				}
				bc.prog = prog
			case "then":
				bc.then = r.str(val, "then")
			default:
				r.errf(key, "case: unknown key %q (want if, then)", k)
			}
		})
		if bc.src == "" || bc.then == "" {
			r.errf(c, "case: needs if: and then:")
		}
		n.branchCases = append(n.branchCases, bc)
	}
}

func parseSet(r *reader, n *Node, v *yaml.Node) {
	r.pairs(v, "values", func(name string, key, val *yaml.Node) {
		if !isIdent(name) {
			r.errf(key, "values: %q is not a variable name", name)
		}
		if reservedVars[name] {
			r.errf(key, "values: %q is set by the runner", name)
		}
		s := r.str(val, "values."+name)
		sv := setValue{name: name, line: val.Line, literal: s}
		if strings.HasPrefix(s, "=") {
			prog, err := compileExpr(s[1:], exprAny)
			if err != nil {
				r.errf(val, "values.%s: bad expression: %v", name, oneLine(err))
			}
			sv.prog, sv.literal = prog, nil
		} else if i, err := strconv.Atoi(s); err == nil && val.Style == 0 && val.Tag == "!!int" {
			sv.literal = i
		} else if val.Tag == "!!bool" {
			sv.literal = s == "true"
		}
		n.setValues = append(n.setValues, sv)
	})
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
