package ivr

import (
	"fmt"
	"sort"

	"github.com/expr-lang/expr/vm"
)

// validate checks what needs the whole library: targets, reachability,
// subflows, prompts in every language, calendars, and loops that never wait
// for input.
func (l *Library) validate() []Problem {
	var probs []Problem
	for _, name := range l.Flows() {
		f := l.flows[name]
		add := func(n *Node, format string, args ...any) {
			p := Problem{File: f.File, Line: 1, Msg: fmt.Sprintf(format, args...)}
			if n != nil {
				p.Line, p.Node = n.Line, n.Name
			}
			probs = append(probs, p)
		}
		if _, ok := f.Nodes[f.Start]; !ok {
			add(nil, "start: unknown node %q", f.Start)
		}
		for _, e := range f.Entries {
			if other, dup := l.entries[e]; dup {
				add(nil, "entry %q is also served by flow %q", e, other)
				continue
			}
			l.entries[e] = f.Name
		}
		for w, t := range f.Keywords {
			if _, ok := f.Nodes[t]; !ok {
				add(nil, "keywords: %q goes to unknown node %q", w, t)
			}
		}
		for _, nn := range sortedNodes(f) {
			for _, t := range nn.targets() {
				if t.node == "" {
					continue
				}
				if _, ok := f.Nodes[t.node]; !ok {
					add(nn, "%s: unknown node %q", t.field, t.node)
				}
			}
			for _, seg := range nn.allSegments() {
				if seg.Prompt == "" {
					continue
				}
				for _, lang := range l.prompts.Languages() {
					if _, ok := l.prompts.Text(lang, seg.Prompt); !ok {
						add(nn, "prompt %q has no %s text", seg.Prompt, lang)
					} else if !l.prompts.HasAudio(lang, seg.Prompt) {
						add(nn, "prompt %q has no %s audio", seg.Prompt, lang)
					}
				}
			}
			for _, seg := range nn.Subject {
				if seg.Prompt == "" {
					continue
				}
				for _, lang := range l.prompts.Languages() {
					if _, ok := l.prompts.Text(lang, seg.Prompt); !ok {
						add(nn, "subject: prompt %q has no %s text", seg.Prompt, lang)
					}
				}
			}
			for key, id := range nn.Buttons {
				for _, lang := range l.prompts.Languages() {
					if _, ok := l.prompts.Text(lang, id); !ok {
						add(nn, "buttons.%s: prompt %q has no %s text", key, id, lang)
					}
				}
			}
			for _, prog := range nn.programs() {
				names, dynamic := calendarRefs(prog)
				if dynamic {
					add(nn, "open() needs a calendar name in quotes")
				}
				for _, c := range names {
					if _, ok := l.calendars[c]; !ok {
						add(nn, "open(%q): no such calendar in %s", c, CalendarFile)
					}
				}
			}
			switch nn.Kind {
			case KindSubflow:
				if nn.Flow == f.Name {
					add(nn, "subflow: a flow cannot call itself")
				} else if _, ok := l.flows[nn.Flow]; !ok {
					add(nn, "subflow: unknown flow %q", nn.Flow)
				}
			case KindLanguage:
				if !l.prompts.HasLanguage(nn.Lang) {
					add(nn, "lang: no prompts for language %q", nn.Lang)
				}
			case KindMenu:
				for key := range nn.Buttons {
					if _, ok := nn.Options[key]; !ok {
						add(nn, "buttons.%s: no such option", key)
					}
				}
				for key := range nn.Words {
					if _, ok := nn.Options[key]; !ok {
						add(nn, "words.%s: no such option", key)
					}
				}
				if _, clash := nn.Options[nn.Repeat]; clash {
					add(nn, "repeat key %q is also an option", nn.Repeat)
				}
			case KindAnswer:
				if len(nn.Buttons) != 2 || nn.Buttons[answerHelped] == "" || nn.Buttons[answerNotHelped] == "" {
					add(nn, "buttons: want exactly %q (it helped) and %q (it did not)", answerHelped, answerNotHelped)
				}
			case KindCollect:
				if nn.Terminator != "" && nn.Pattern != nil && nn.Pattern.MatchString(nn.Terminator) {
					add(nn, "pattern matches the terminator %q", nn.Terminator)
				}
			}
		}
		probs = append(probs, l.reachability(f)...)
		probs = append(probs, inputlessLoops(f)...)
	}
	return probs
}

type target struct {
	field string
	node  string
}

func (n *Node) targets() []target {
	ts := []target{{"next", n.Next}, {"error", n.Error}, {"exhausted", n.Exhausted}, {"else", n.Else},
		{"not_found", n.NotFound}, {"unverified", n.Unverified}, {"after", n.After}, {"callback", n.Callback}, {"message", n.Message},
		{"overflow", n.Overflow}, {"to", n.To}}
	keys := make([]string, 0, len(n.Options))
	for k := range n.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ts = append(ts, target{"options." + k, n.Options[k]})
	}
	for _, c := range n.branchCases {
		ts = append(ts, target{"then", c.then})
	}
	return ts
}

func (n *Node) allSegments() []Segment {
	var s []Segment
	s = append(s, n.Prompt...)
	s = append(s, n.Invalid...)
	s = append(s, n.NoInput...)
	s = append(s, n.Hint...)
	return append(s, n.Comfort...)
}

func (n *Node) programs() []*vm.Program {
	var ps []*vm.Program
	for _, c := range n.branchCases {
		ps = append(ps, c.prog)
	}
	for _, s := range n.setValues {
		ps = append(ps, s.prog)
	}
	return append(ps, n.priorityExpr)
}

func sortedNodes(f *Flow) []*Node {
	ns := make([]*Node, 0, len(f.Nodes))
	for _, n := range f.Nodes {
		ns = append(ns, n)
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i].Line < ns[j].Line })
	return ns
}

func (l *Library) reachability(f *Flow) []Problem {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		n, ok := f.Nodes[name]
		if !ok || seen[name] {
			return
		}
		seen[name] = true
		for _, t := range n.targets() {
			walk(t.node)
		}
	}
	walk(f.Start)
	for _, t := range f.Keywords {
		walk(t)
	}
	var probs []Problem
	for _, n := range sortedNodes(f) {
		if !seen[n.Name] {
			probs = append(probs, Problem{File: f.File, Line: n.Line, Node: n.Name, Msg: "unreachable from start"})
		}
	}
	return probs
}

// waitsForInput: nodes that always wait for the caller or the queue before
// moving on, so a cycle through one cannot spin.
func (n *Node) waitsForInput() bool {
	switch n.Kind {
	case KindMenu, KindCollect, KindSurvey, KindTransfer:
		return true
	}
	return false
}

// inputlessLoops finds cycles made only of nodes that never wait for input
// (play, set, branch, lookup, goto, ...): such a flow would spin forever.
func inputlessLoops(f *Flow) []Problem {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var probs []Problem
	var visit func(n *Node, path []string)
	visit = func(n *Node, path []string) {
		color[n.Name] = grey
		path = append(path, n.Name)
		for _, t := range n.targets() {
			m, ok := f.Nodes[t.node]
			if !ok || m.waitsForInput() {
				continue
			}
			switch color[m.Name] {
			case grey:
				cycle := append([]string{}, path[indexOf(path, m.Name):]...)
				cycle = append(cycle, m.Name)
				probs = append(probs, Problem{File: f.File, Line: m.Line, Node: m.Name,
					Msg: fmt.Sprintf("loop with no input: %v", cycle)})
			case white:
				visit(m, path)
			}
		}
		color[n.Name] = black
	}
	for _, n := range sortedNodes(f) {
		if color[n.Name] == white && !n.waitsForInput() {
			visit(n, nil)
		}
	}
	return probs
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return 0
}
