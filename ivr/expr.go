package ivr

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// Expressions (branch cases, set values written "=...", transfer priority)
// use the expr language (github.com/expr-lang/expr) over the run's
// variables, plus open("calendar"): whether that business-hours calendar is
// open at the runner's clock time. Variables never set are nil.

type exprMode int

const (
	exprAny exprMode = iota
	exprBool
	exprInt
)

// exprEnv declares the functions expressions may call; runs supply the
// real ones.
var exprEnv = map[string]any{
	"open": func(string) bool { return false },
}

const maxExprLen = 1000

func compileExpr(src string, mode exprMode) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("empty expression")
	}
	if len(src) > maxExprLen {
		return nil, fmt.Errorf("expression longer than %d characters", maxExprLen)
	}
	opts := []expr.Option{expr.Env(exprEnv), expr.AllowUndefinedVariables()}
	switch mode {
	case exprBool:
		opts = append(opts, expr.AsBool())
	case exprInt:
		opts = append(opts, expr.AsInt())
	}
	return expr.Compile(src, opts...)
}

// calendarRefs lists the calendar names an expression passes to open(),
// and reports open() calls whose argument is not a string literal.
func calendarRefs(p *vm.Program) (names []string, dynamic bool) {
	if p == nil {
		return nil, false
	}
	node := p.Node()
	v := &calVisitor{}
	ast.Walk(&node, v)
	return v.names, v.dynamic
}

type calVisitor struct {
	names   []string
	dynamic bool
}

func (v *calVisitor) Visit(n *ast.Node) {
	c, ok := (*n).(*ast.CallNode)
	if !ok {
		return
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok || id.Value != "open" {
		return
	}
	if len(c.Arguments) == 1 {
		if s, ok := c.Arguments[0].(*ast.StringNode); ok {
			v.names = append(v.names, s.Value)
			return
		}
	}
	v.dynamic = true
}

// reservedVars are set by the runner; set nodes may not assign them.
var reservedVars = map[string]bool{"open": true, "channel": true, "contact_id": true, "ani": true, "entry": true, "lang": true}
