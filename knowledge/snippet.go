package knowledge

import (
	"html"
	"slices"
	"strings"
	"unicode"
)

// Snippet cuts about width characters of plain around the first match of
// any of marks and returns them as HTML: the text escaped, each match in
// <mark>. Both backends build snippets here so they come out the same and
// are always escaped, whatever the article holds.
func Snippet(plain string, marks []string, width int) string {
	text := []rune(plain)
	lower := make([]rune, len(text))
	for i, r := range text {
		lower[i] = unicode.ToLower(r)
	}
	var ms [][]rune
	for _, m := range marks {
		if m != "" {
			ms = append(ms, []rune(strings.ToLower(m)))
		}
	}
	slices.SortFunc(ms, func(a, b []rune) int { return len(b) - len(a) }) // longest first
	marked := make([]bool, len(text))
	first := -1
	for i := range lower {
		for _, m := range ms {
			if i+len(m) <= len(lower) && slices.Equal(lower[i:i+len(m)], m) {
				for j := i; j < i+len(m); j++ {
					marked[j] = true
				}
				if first < 0 {
					first = i
				}
				break
			}
		}
	}
	start := 0
	if first > width/4 {
		start = first - width/4
	}
	end := min(len(text), start+width)
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	for i := start; i < end; {
		j := i
		for j < end && marked[j] == marked[i] {
			j++
		}
		seg := html.EscapeString(string(text[i:j]))
		if marked[i] {
			b.WriteString("<mark>" + seg + "</mark>")
		} else {
			b.WriteString(seg)
		}
		i = j
	}
	if end < len(text) {
		b.WriteString("…")
	}
	return b.String()
}
