package ticket

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field limits, in characters (runes).
const (
	maxSubject  = 200
	maxBody     = 10000
	maxNote     = 4000
	maxName     = 64
	maxCategory = 64
	maxTags     = 20
	maxTag      = 32
	maxKey      = 128
)

// checkText rejects invalid UTF-8, control characters other than newline and
// tab, and lengths outside [min, max]. HTML is fine: text is stored as text
// and escaped on output.
func checkText(field, s string, min, max int) error {
	if !utf8.ValidString(s) {
		return fieldErr(field, "not valid UTF-8")
	}
	n := utf8.RuneCountInString(s)
	if n < min {
		if min == 1 {
			return fieldErr(field, "required")
		}
		return fieldErr(field, "shorter than %d characters", min)
	}
	if n > max {
		return fieldErr(field, "longer than %d characters", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return fieldErr(field, "contains control character %U", r)
		}
	}
	return nil
}

// checkName accepts identifiers of groups, agents, regions and categories:
// letters, digits and ._-: (may be empty).
func checkName(field, s string) error {
	if len(s) > maxName {
		return fieldErr(field, "longer than %d characters", maxName)
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-:@", r)) {
			return fieldErr(field, "character %q not allowed", r)
		}
	}
	return nil
}

// checkPhone accepts 3 to 20 digits with an optional leading +.
func checkPhone(field, s string) error {
	d := strings.TrimPrefix(s, "+")
	if len(d) < 3 || len(d) > 20 {
		return fieldErr(field, "must be 3 to 20 digits")
	}
	for _, r := range d {
		if r < '0' || r > '9' {
			return fieldErr(field, "must be digits")
		}
	}
	return nil
}

func checkEmail(field, s string) error {
	if s == "" {
		return nil
	}
	if err := checkText(field, s, 3, 254); err != nil {
		return err
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 || strings.ContainsAny(s, " <>\",;\r\n") {
		return fieldErr(field, "not an e-mail address")
	}
	return nil
}
