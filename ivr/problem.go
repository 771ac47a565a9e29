package ivr

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong in a flow directory, located by file, line and
// node.
type Problem struct {
	File string
	Line int
	Node string // empty for file-level problems
	Msg  string
}

// Error formats the problem as "file:line: node: message".
func (p Problem) Error() string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Node != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Node, p.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, p.Msg)
}

// LoadError lists every problem found while loading a flow directory,
// sorted by file and line. errors.Is(err, ErrInvalidFlow) holds.
type LoadError struct {
	Problems []Problem
}

// Error lists the problems, one per line.
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Is makes errors.Is(err, ErrInvalidFlow) true.
func (e *LoadError) Is(target error) bool { return target == ErrInvalidFlow }

func (e *LoadError) sort() {
	sort.SliceStable(e.Problems, func(i, j int) bool {
		a, b := e.Problems[i], e.Problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}
