package knowledge

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	unicodetok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// Embedded is the default search backend: a bleve index held in memory
// (scorch without a path), rebuilt from the store at start.
//
// Text is analysed by Unicode word boundaries (UAX #29: each Han character
// is its own token), width-folded and lower-cased; Han runs then yield
// every character bigram plus every single character, Latin words are
// stemmed (Porter). Bigrams carry precision for Chinese words, single
// characters carry recall inside compound words and for one-character
// queries. Ranking is BM25. docs/knowledge.md says why this was preferred to
// a dictionary segmenter (gse).
type Embedded struct {
	idx      bleve.Index
	analyzer analysis.Analyzer

	mu       sync.RWMutex // guards articles
	articles map[string]*indexed
}

// indexed is what a hit and its snippet are built from.
type indexed struct {
	a     Article
	plain string
}

const analyzerName = "hotline"

// field boosts: a match in the title says more than one in the body.
var fieldBoosts = []struct {
	name  string
	boost float64
}{{"title", 4}, {"text", 1}}

// newMapping is the bleve index mapping; its analyzer is also the
// in-memory index's (memindex.go).
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	im.ScoringModel = index.BM25Scoring
	if err := im.AddCustomTokenFilter("cjk_bigram_unigram", map[string]any{
		"type": cjk.BigramName, "output_unigram": true,
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(analyzerName, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicodetok.Name,
		"token_filters": []string{cjk.WidthName, lowercase.Name, "cjk_bigram_unigram", en.SnowballStemmerName},
	}); err != nil {
		return nil, err
	}
	im.DefaultAnalyzer = analyzerName
	doc := bleve.NewDocumentStaticMapping()
	text := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzerName
		f.Store, f.IncludeTermVectors, f.IncludeInAll = false, false, false
		return f
	}
	kw := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store, f.IncludeTermVectors, f.IncludeInAll = false, false, false
		f.DocValues = true
		return f
	}
	num := func() *mapping.FieldMapping {
		f := bleve.NewNumericFieldMapping()
		f.Store, f.IncludeInAll = false, false
		return f
	}
	for _, f := range []string{"title", "text"} {
		doc.AddFieldMappingsAt(f, text())
	}
	for _, f := range []string{"category", "cat_path", "product", "audience", "status", "lang", "window", "syn"} {
		doc.AddFieldMappingsAt(f, kw())
	}
	doc.AddFieldMappingsAt("valid_from", num())
	doc.AddFieldMappingsAt("valid_until", num())
	im.DefaultMapping = doc
	im.StoreDynamic, im.IndexDynamic, im.DocValuesDynamic = false, false, false

	return im, nil
}

// NewEmbedded returns an empty in-memory index.
func NewEmbedded() (*Embedded, error) {
	im, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("embedded index: %w", err)
	}
	idx, err := bleve.NewUsing("", im, bleve.Config.DefaultIndexType, bleve.Config.DefaultMemKVStore, nil)
	if err != nil {
		return nil, fmt.Errorf("embedded index: %w", err)
	}
	e := &Embedded{idx: idx, analyzer: im.AnalyzerNamed(analyzerName), articles: map[string]*indexed{}}
	if e.analyzer == nil {
		idx.Close()
		return nil, fmt.Errorf("embedded index: analyzer %s not built", analyzerName)
	}
	return e, nil
}

// Close releases the index.
func (e *Embedded) Close() error { return e.idx.Close() }

// Count returns the number of indexed articles.
func (e *Embedded) Count() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.articles)
}

// far stands for "no end" in the validity range fields.
const far = float64(1 << 52)

func indexDoc(a *Article, plain string) map[string]any {
	from, until := -far, far
	if a.ValidFrom != nil {
		from = float64(a.ValidFrom.Unix())
	}
	if a.ValidUntil != nil {
		until = float64(a.ValidUntil.Unix())
	}
	window := "dated"
	if a.ValidFrom == nil && a.ValidUntil == nil {
		window = "none"
	}
	var paths []string
	p := a.CategoryPath()
	for i := range p {
		paths = append(paths, strings.Join(p[:i+1], "/"))
	}
	var syn []string
	for _, g := range synonymGroups(a.Title + "\n" + strings.Join(a.Tags, " ") + "\n" + plain) {
		syn = append(syn, synTerm(g))
	}
	doc := map[string]any{
		"title": a.Title, "text": metaText(a, p) + "\n" + plain, "category": a.Category, "cat_path": paths,
		"product": a.Products, "audience": string(a.Audience), "status": string(a.Status), "lang": a.Lang,
		"window": window, "syn": syn,
	}
	// Articles without a validity window (most) carry no range values:
	// the validity filter then only walks the few dated ones.
	if window != "none" {
		doc["valid_from"], doc["valid_until"] = from, until
	}
	return doc
}

// metaText is the tags and category levels, repeated so that a match there
// weighs about as a title match does; they lead the one "text" field with
// the body (one field instead of three: each query term is one term search
// fewer per field, see docs/knowledge.md).
func metaText(a *Article, path []string) string {
	m := strings.Join(a.Tags, " ") + " " + strings.Join(path, " ")
	return m + "\n" + m + "\n" + m
}

// synonymBoost weighs a synonym group's match against typed terms.
var synonymBoost = 2.0

func synTerm(g int) string { return "g" + strconv.Itoa(g) }

// Upsert implements Index.
func (e *Embedded) Upsert(_ context.Context, a Article) error {
	plain := PlainText(a.Body)
	if err := e.idx.Index(a.ID, indexDoc(&a, plain)); err != nil {
		return fmt.Errorf("index article %s: %w", a.ID, err)
	}
	e.mu.Lock()
	e.articles[a.ID] = &indexed{a: a, plain: plain}
	e.mu.Unlock()
	return nil
}

// Load indexes many articles in one batch (start-up, reindex).
func (e *Embedded) Load(as []Article) error {
	b := e.idx.NewBatch()
	in := make(map[string]*indexed, len(as))
	for i := range as {
		plain := PlainText(as[i].Body)
		if err := b.Index(as[i].ID, indexDoc(&as[i], plain)); err != nil {
			return fmt.Errorf("index article %s: %w", as[i].ID, err)
		}
		in[as[i].ID] = &indexed{a: as[i], plain: plain}
		if b.Size() >= 1000 {
			if err := e.idx.Batch(b); err != nil {
				return fmt.Errorf("index batch: %w", err)
			}
			b.Reset()
		}
	}
	if err := e.idx.Batch(b); err != nil {
		return fmt.Errorf("index batch: %w", err)
	}
	e.mu.Lock()
	for id, x := range in {
		e.articles[id] = x
	}
	e.mu.Unlock()
	return nil
}

// Delete implements Index.
func (e *Embedded) Delete(_ context.Context, id string) error {
	if err := e.idx.Delete(id); err != nil {
		return fmt.Errorf("unindex article %s: %w", id, err)
	}
	e.mu.Lock()
	delete(e.articles, id)
	e.mu.Unlock()
	return nil
}

// term is one analysed query token.
type term struct {
	text   string
	han    bool // a Han unigram or bigram
	single bool // a Han single character
	number bool
	// titleOnly: searched in the title field only
	titleOnly bool
}

func (e *Embedded) terms(text string) []term { return analyzeTerms(e.analyzer, text) }

// analyzeTerms analyses query text into distinct terms.
func analyzeTerms(an analysis.Analyzer, text string) []term {
	var out []term
	seen := map[string]bool{}
	for _, tok := range an.Analyze([]byte(text)) {
		t := string(tok.Term)
		if seen[t] {
			continue
		}
		seen[t] = true
		x := term{text: t}
		switch tok.Type {
		case analysis.Ideographic, analysis.Double, analysis.Single:
			x.han = true
			x.single = len([]rune(t)) == 1
		case analysis.Numeric:
			x.number = true
		default:
			x.number = strings.ContainsAny(t, "0123456789")
		}
		out = append(out, x)
	}
	return out
}

// textQuery builds the scoring part of a search from analysed tokens: every
// token on every text field, bigrams above single characters, Latin words
// of five letters or more also fuzzily (edit distance 1), numbers and codes
// exactly. Tokens come out of the analyser as plain terms, so nothing the
// user types is ever parsed as query syntax.
func (e *Embedded) textQuery(terms []term, weight float64) []query.Query {
	var out []query.Query
	for _, t := range terms {
		w := weight
		if t.single {
			w *= 0.5
		} else if t.han {
			w *= 1.5
		}
		for _, f := range fieldBoosts {
			if t.titleOnly && f.name != "title" {
				continue
			}
			tq := bleve.NewTermQuery(t.text)
			tq.SetField(f.name)
			tq.SetBoost(w * f.boost)
			out = append(out, tq)
			// Fuzzy and prefix matches on the title only: walking the
			// body's term dictionary for each of them cost more than the
			// rest of a search at 20 000 articles.
			if f.name != "title" {
				continue
			}
			if !t.han && !t.number && len(t.text) >= 5 {
				fq := bleve.NewFuzzyQuery(t.text)
				fq.SetField(f.name)
				fq.SetFuzziness(1)
				fq.SetBoost(w * f.boost * 0.3)
				out = append(out, fq)
			}
			if !t.han && !t.number && len(t.text) >= 4 {
				pq := bleve.NewPrefixQuery(t.text)
				pq.SetField(f.name)
				pq.SetBoost(w * f.boost * 0.3)
				out = append(out, pq)
			}
		}
	}
	return out
}

func kwQuery(field, value string) query.Query {
	q := bleve.NewTermQuery(value)
	q.SetField(field)
	return q
}

func filterQuery(q Query) query.Query {
	var must []query.Query
	var st []query.Query
	for _, s := range q.Statuses {
		st = append(st, kwQuery("status", string(s)))
	}
	must = append(must, bleve.NewDisjunctionQuery(st...))
	if q.Audience == Public {
		must = append(must, kwQuery("audience", string(Public)))
	}
	if q.Lang != "" {
		must = append(must, kwQuery("lang", q.Lang))
	}
	if q.Category != "" {
		must = append(must, kwQuery("cat_path", strings.Trim(q.Category, "/")))
	}
	if q.Product != "" {
		must = append(must, kwQuery("product", q.Product))
	}
	if !q.At.IsZero() {
		at := float64(q.At.Unix())
		yes, no := true, false
		from := bleve.NewNumericRangeInclusiveQuery(nil, &at, &no, &yes)
		from.SetField("valid_from")
		until := bleve.NewNumericRangeInclusiveQuery(&at, nil, &no, &no)
		until.SetField("valid_until")
		must = append(must, bleve.NewDisjunctionQuery(kwQuery("window", "none"), bleve.NewConjunctionQuery(from, until)))
	}
	return bleve.NewConjunctionQuery(must...)
}

// Search implements Index.
func (e *Embedded) Search(ctx context.Context, q Query) (Result, error) {
	start := time.Now()
	q.normalize()
	terms := e.terms(q.Text)
	// Single characters give recall inside compound words (携转 finds
	// 携号转网); in bodies they (了, 不, 网…) match most articles, each
	// match to be scored. They are searched in titles first, and in
	// bodies too only when a short query found too little that way.
	n := hanCount(q.Text)
	if n > 1 {
		for i := range terms {
			terms[i].titleOnly = terms[i].single
		}
	}
	res, err := e.search(ctx, q, terms)
	if err != nil || n <= 1 || n > maxSingleQuery || res.Total >= minTitleSingleHits {
		res.TookMS = math.Round(float64(time.Since(start).Microseconds())/10) / 100
		return res, err
	}
	for i := range terms {
		terms[i].titleOnly = false
	}
	res, err = e.search(ctx, q, terms)
	res.TookMS = math.Round(float64(time.Since(start).Microseconds())/10) / 100
	return res, err
}

// minTitleSingleHits: a short query that matched fewer articles with its
// single characters in titles only is searched again with them in bodies.
var minTitleSingleHits = 5

func (e *Embedded) search(ctx context.Context, q Query, terms []term) (Result, error) {
	res := Result{Query: q.Text, Hits: []Hit{}, Facets: Facets{Category: []FacetCount{}, Product: []FacetCount{}}}
	var scoring []query.Query
	if len(terms) > 0 {
		scoring = e.textQuery(terms, 1)
		// Synonyms were found at indexing: an article holding any word of
		// a group carries the group's term in "syn", so a query with a word
		// of the group is one more term search, not one per synonym and
		// field. They count less than what was typed.
		for _, g := range synonymGroups(q.Text) {
			sq := kwQuery("syn", synTerm(g))
			sq.(*query.TermQuery).SetBoost(synonymBoost)
			scoring = append(scoring, sq)
		}
	} else if q.Text != "" {
		return res, nil // only punctuation: nothing to look for
	}
	var top query.Query
	if len(scoring) == 0 {
		top = bleve.NewConjunctionQuery(bleve.NewMatchAllQuery(), filterQuery(q))
	} else {
		bq := bleve.NewBooleanQuery()
		bq.AddMust(filterQuery(q), bleve.NewDisjunctionQuery(scoring...))
		if !hasHan(q.Text) && hasLetter(q.Text) && q.Lang == "" {
			// A query without Chinese characters is most likely answered
			// in English: prefer English articles among the matches.
			en := kwQuery("lang", "en")
			en.(*query.TermQuery).SetBoost(3)
			bq.AddShould(en)
		}
		top = bq
	}
	req := bleve.NewSearchRequestOptions(top, q.Limit, q.Offset, false)
	if q.Facets {
		req.Facets = bleve.FacetsRequest{
			"category": bleve.NewFacetRequest("category", 10),
			"product":  bleve.NewFacetRequest("product", 10),
		}
	}
	sr, err := e.idx.SearchInContext(ctx, req)
	if err != nil {
		return res, fmt.Errorf("search %q: %w", q.Text, err)
	}
	res.Total = int(sr.Total)
	for _, name := range []string{"category", "product"} {
		fr := sr.Facets[name]
		if fr == nil || fr.Terms == nil {
			continue
		}
		var fc []FacetCount
		for _, t := range fr.Terms.Terms() {
			fc = append(fc, FacetCount{Value: t.Term, Count: t.Count})
		}
		if name == "category" {
			res.Facets.Category = append(res.Facets.Category, fc...)
		} else {
			res.Facets.Product = append(res.Facets.Product, fc...)
		}
	}
	marks := markTerms(q.Text, terms)
	e.mu.RLock()
	for _, h := range sr.Hits {
		x := e.articles[h.ID]
		if x == nil {
			continue
		}
		res.Hits = append(res.Hits, hitOf(&x.a, x.plain, marks, h.Score))
	}
	e.mu.RUnlock()
	return res, nil
}

// maxSingleQuery is the longest query (in Han characters) whose single
// characters are searched too.
var maxSingleQuery = 3

func hanCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			n++
		}
	}
	return n
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' })
}

func hitOf(a *Article, plain string, marks []string, score float64) Hit {
	return Hit{ID: a.ID, Title: a.Title, Snippet: Snippet(plain, marks, 60), Category: a.Category,
		Products: slices.Clone(a.Products), Lang: a.Lang, Audience: a.Audience, Status: a.Status, Score: score}
}

// markTerms chooses what a snippet highlights: words and Han bigrams, and
// single Han characters only when the query has nothing longer.
func markTerms(text string, terms []term) []string {
	var out, singles []string
	for _, t := range terms {
		if t.single {
			singles = append(singles, t.text)
		} else {
			out = append(out, t.text)
		}
	}
	// Latin words are marked as typed (before stemming) too.
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		if len(w) > 1 {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return singles
	}
	return out
}
