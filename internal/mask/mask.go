// Package mask hides most digits of phone and ID numbers for people whose
// work does not need them whole (agents on contacts and tickets that are not
// theirs, exports without the clear-numbers permission). One place, so the
// desk, the ticket lists and the CSV export mask alike.
package mask

import (
	"regexp"
	"strings"
)

// Phone keeps the first three and last four digits of a number of seven
// or more ("139****0001"); shorter ones are masked whole.
func Phone(p string) string {
	if p == "" {
		return ""
	}
	r := []rune(p)
	if len(r) < 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// ID keeps the first and last four characters of an ID number.
func ID(id string) string {
	r := []rune(id)
	if len(r) <= 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}

// idInText is a mainland resident ID number (17 digits and a digit or X)
// standing alone in text: not part of a longer run of digits or letters.
var idInText = regexp.MustCompile(`(^|[^0-9A-Za-z])(\d{17}[\dXx])($|[^0-9A-Za-z])`)

// IDsInText masks every resident ID number written in free text (a ticket
// subject or description).
func IDsInText(s string) string {
	if len(s) < 18 {
		return s
	}
	// The pattern consumes the character after a match, so two numbers one
	// separator apart need a second pass.
	for range 2 {
		s = idInText.ReplaceAllStringFunc(s, func(m string) string {
			sub := idInText.FindStringSubmatch(m)
			return sub[1] + ID(sub[2]) + sub[3]
		})
	}
	return s
}
