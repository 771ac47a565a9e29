package knowledge

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Index is a search backend. Both backends (Embedded, Meili) return the same
// Result shape for the same Query.
type Index interface {
	// Upsert indexes the current version of an article (any status: the
	// query filters decide who sees what).
	Upsert(ctx context.Context, a Article) error
	// Delete removes an article from the index.
	Delete(ctx context.Context, id string) error
	// Search runs q. Query text is text, never query syntax.
	Search(ctx context.Context, q Query) (Result, error)
}

// Query is one search.
type Query struct {
	Text     string
	Audience Audience  // Public: public articles only; empty or Agents: every audience
	Statuses []Status  // empty: published only
	At       time.Time // validity is checked at this instant; zero: validity not checked
	Category string    // a category path prefix: "资费" matches "资费/国际漫游"
	Product  string
	Lang     string
	Limit    int // 1..50, default 10
	Offset   int
	// Facets asks for the counts by category and product over every
	// match; without it Result.Facets is empty (counting them costs more
	// than the search itself at 20 000 articles).
	Facets bool
}

// Result is a page of hits, with facets over every match when asked.
type Result struct {
	Total  int     `json:"total"`
	Hits   []Hit   `json:"hits"`
	Facets Facets  `json:"facets"`
	Query  string  `json:"query"` // the text searched after cleaning
	TookMS float64 `json:"took_ms"`
}

// Hit is one matching article.
type Hit struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Snippet  string   `json:"snippet"` // HTML: escaped text with <mark> around matches
	Category string   `json:"category"`
	Products []string `json:"products,omitempty"`
	Lang     string   `json:"lang"`
	Audience Audience `json:"audience"`
	Status   Status   `json:"status"`
	Score    float64  `json:"score"`
}

// Facets count the matches by category and product.
type Facets struct {
	Category []FacetCount `json:"category"`
	Product  []FacetCount `json:"product"`
}

// FacetCount is one facet value.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// MaxQueryRunes bounds the query text; longer text is cut.
const MaxQueryRunes = 200

// CleanText makes user text safe to search: control characters become
// spaces, runs of space collapse, and the text is cut to MaxQueryRunes.
func CleanText(s string) string {
	s = strings.ToValidUTF8(s, " ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > MaxQueryRunes {
		s = string([]rune(s)[:MaxQueryRunes])
	}
	return s
}

func (q *Query) normalize() {
	q.Text = CleanText(q.Text)
	if q.Limit <= 0 {
		q.Limit = 10
	}
	if q.Limit > 50 {
		q.Limit = 50
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	if q.Offset > 1000 {
		q.Offset = 1000
	}
	if len(q.Statuses) == 0 {
		q.Statuses = []Status{Published}
	}
}
