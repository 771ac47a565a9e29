package knowledge

import (
	"html"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// snippetReference is Snippet as it was before it walked the text in
// place (it copied the whole text to runes): the new one must give the
// same output for any text and marks.
func snippetReference(plain string, marks []string, width int) string {
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
	slices.SortFunc(ms, func(a, b []rune) int { return len(b) - len(a) })
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

func TestSnippetSameAsReference(t *testing.T) {
	long := strings.Repeat("资费说明，", 40) + "宽带上不了网请先重启光猫" + strings.Repeat("Broadband FAULT <b>", 20)
	for _, c := range []struct {
		plain string
		marks []string
	}{
		{long, []string{"宽带", "光猫"}},
		{long, []string{"fault", "broad"}},
		{long, []string{"不存在"}},
		{long, nil},
		{"", []string{"a"}},
		{"ab", []string{"abc"}},
		{"宽带宽带", []string{"宽带宽", "带"}},
		{"İstanbul ǅ ΣΑΣ", []string{"i̇s", "σας", "ǆ"}},
		{"bad \xff\xfe utf8 宽带", []string{"\xff", "宽"}},
	} {
		for _, w := range []int{0, 1, 7, 60} {
			if got, want := Snippet(c.plain, c.marks, w), snippetReference(c.plain, c.marks, w); got != want {
				t.Errorf("Snippet(%.20q, %q, %d)\n got %q\nwant %q", c.plain, c.marks, w, got, want)
			}
		}
	}
}

func FuzzSnippet(f *testing.F) {
	f.Add("宽带上不了网请先重启光猫 Broadband", "宽带", "fault", 60)
	f.Add("aaaa", "aa", "a", 2)
	f.Add("\xffX", "\xff", "x", 1)
	f.Fuzz(func(t *testing.T, plain, m1, m2 string, width int) {
		width = min(max(width, 0), 200)
		if got, want := Snippet(plain, []string{m1, m2}, width), snippetReference(plain, []string{m1, m2}, width); got != want {
			t.Fatalf("Snippet(%q, %q, %q, %d) = %q, want %q", plain, m1, m2, width, got, want)
		}
	})
}
