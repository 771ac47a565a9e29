package knowledge

import (
	"fmt"
	"strings"
)

func diffLines(a *Article) []string {
	lines := []string{
		"title: " + a.Title, "category: " + a.Category, "tags: " + strings.Join(a.Tags, ", "),
		"products: " + strings.Join(a.Products, ", "), "audience: " + string(a.Audience),
		"status: " + string(a.Status), "lang: " + a.Lang, "linked: " + a.Linked,
	}
	if a.ValidFrom != nil {
		lines = append(lines, "valid_from: "+a.ValidFrom.Format("2006-01-02T15:04:05Z07:00"))
	}
	if a.ValidUntil != nil {
		lines = append(lines, "valid_until: "+a.ValidUntil.Format("2006-01-02T15:04:05Z07:00"))
	}
	return append(append(lines, ""), strings.Split(a.Body, "\n")...)
}

// lineDiff is a longest-common-subsequence line diff. Articles are short
// (a few hundred lines at most), so the quadratic table is cheap, and a
// dependency for thirty lines was not worth it.
func lineDiff(a, b []string) string {
	n, m := len(a), len(b)
	if n*m > 4_000_000 {
		return fmt.Sprintf("- (%d lines)\n+ (%d lines)\n", n, m)
	}
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out.WriteString("  " + a[i] + "\n")
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			out.WriteString("+" + b[j] + "\n")
			j++
		default:
			out.WriteString("-" + a[i] + "\n")
			i++
		}
	}
	return out.String()
}
