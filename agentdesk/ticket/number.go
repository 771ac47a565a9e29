package ticket

import (
	"fmt"
	"time"
)

// A ticket number is the creation date in the desk's time zone and a daily
// sequence allocated by the repository, e.g. 20261122000042: digits only, so a
// caller can key it in on the phone keypad. The sequence is shared by every
// node because the repository allocates it inside the creating transaction.

// numberDay is the day key a sequence is allocated for.
func numberDay(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("20060102")
}

// formatNumber renders day and sequence as a ticket number.
func formatNumber(day string, seq int64) string { return fmt.Sprintf("%s%06d", day, seq) }

// ValidNumber reports whether s has the shape of a ticket number: eight date
// digits forming a real date followed by at least six sequence digits.
func ValidNumber(s string) bool {
	if len(s) < 14 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	_, err := time.Parse("20060102", s[:8])
	return err == nil
}
