package knowledge

import (
	"html"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Snippet cuts about width characters of plain around the first match of
// any of marks and returns them as HTML: the text escaped, each match in
// <mark>. Both backends build snippets here so they come out the same and
// are always escaped, whatever the article holds.
//
// Matching ignores case, longest mark first at each character. The text
// is walked in place and only the window shown is decoded: a search builds
// a snippet per hit, and copying whole articles to runes was most of what
// a search allocated.
func Snippet(plain string, marks []string, width int) string {
	var ms [][]rune
	for _, m := range marks {
		if m != "" {
			ms = append(ms, []rune(strings.ToLower(m)))
		}
	}
	slices.SortFunc(ms, func(a, b []rune) int { return len(b) - len(a) }) // longest first
	// matchLen is the length in characters of the mark found at the start
	// of s, 0 if none.
	matchLen := func(s string) int {
	next:
		for _, m := range ms {
			p := s
			for _, r := range m {
				c, size := utf8.DecodeRuneInString(p)
				if size == 0 || unicode.ToLower(c) != r {
					continue next
				}
				p = p[size:]
			}
			return len(m)
		}
		return 0
	}
	first, n := -1, 0 // the first match and the length, in characters
	for off := 0; off < len(plain); n++ {
		if first < 0 && len(ms) > 0 && matchLen(plain[off:]) > 0 {
			first = n
		}
		_, size := utf8.DecodeRuneInString(plain[off:])
		off += size
	}
	start := 0
	if first > width/4 {
		start = first - width/4
	}
	end := min(n, start+width)
	// The window: its characters, and which of them a match covers (a
	// match starts at or after the first, so none starts before the
	// window and reaches into it).
	text := make([]rune, 0, end-start)
	marked := make([]bool, end-start)
	off := 0
	for i := 0; i < end; i++ {
		c, size := utf8.DecodeRuneInString(plain[off:])
		if i >= start {
			text = append(text, c)
			if first >= 0 && i >= first {
				for j := range matchLen(plain[off:]) {
					if i+j < end {
						marked[i-start+j] = true
					}
				}
			}
		}
		off += size
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	for i := 0; i < len(text); {
		j := i
		for j < len(text) && marked[j] == marked[i] {
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
	if end < n {
		b.WriteString("…")
	}
	return b.String()
}
