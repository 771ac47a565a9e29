package sip

import (
	"fmt"
	"regexp"
	"strings"
)

// DialPlan is the set of numbers calls out may reach: each pattern is a Go
// regular expression matched against the whole number, after the number
// lost its visual separators and the +86 country code (number below). A
// number no pattern matches is refused; an empty plan refuses every number,
// so a trunk configured without a plan dials nothing (no toll fraud by
// omission).
type DialPlan struct {
	patterns []*regexp.Regexp
}

// NewDialPlan compiles the patterns; the error names the bad one.
func NewDialPlan(patterns []string) (*DialPlan, error) {
	p := &DialPlan{}
	for _, s := range patterns {
		re, err := regexp.Compile(`^(?:` + strings.TrimSuffix(strings.TrimPrefix(s, "^"), "$") + `)$`)
		if err != nil {
			return nil, fmt.Errorf("dial plan pattern %q: %w", s, err)
		}
		p.patterns = append(p.patterns, re)
	}
	return p, nil
}

// Normalize returns the number as the plan and the trunk see it: without
// spaces, dashes, dots, brackets and the +86 (or 0086) country code.
func Normalize(n string) string {
	n = strings.NewReplacer("-", "", ".", "", "(", "", ")", "", " ", "").Replace(strings.TrimSpace(n))
	n = strings.TrimPrefix(n, "+86")
	if strings.HasPrefix(n, "0086") {
		n = n[4:]
	}
	return n
}

// Check returns nil when the (normalized) number may be dialled, and an
// error wrapping ErrForbiddenNumber otherwise. Only digits are ever
// dialled: a number with anything else (a SIP URI, '@', ';') is refused
// whatever the patterns say.
func (p *DialPlan) Check(number string) error {
	if number == "" || len(number) > 32 || strings.Trim(number, "0123456789") != "" {
		return fmt.Errorf("%q is not a phone number: %w", number, ErrForbiddenNumber)
	}
	if p != nil {
		for _, re := range p.patterns {
			if re.MatchString(number) {
				return nil
			}
		}
	}
	return fmt.Errorf("%s is outside the dial plan: %w", number, ErrForbiddenNumber)
}
