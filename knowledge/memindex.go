package knowledge

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
)

// Memory is the default embedded search backend: an inverted index held
// in memory, written for this package, with the analysis, weights and
// BM25 ranking of the bleve index (Embedded) it replaced as the default.
//
// Why by hand: at 20 000 articles bleve spent about 6 ms of CPU per search
// scoring the thousands of postings of common Chinese bigrams through its
// searcher tree (p99 24 ms); the same work on flat posting arrays with a
// score accumulator is a fraction of that (docs/knowledge.md has both
// figures and the relevance suite for both). bleve still does the text
// analysis: the same analyzer (Unicode word boundaries, width folding,
// lower case, CJK bigrams with unigrams, Snowball) feeds this index.
//
// Scoring per query clause is BM25 (k1 1.2, b 0.75) on the field, times
// the clause's boost; a document's score is the sum over the clauses it
// matches times the share of clauses it matches (the coordination factor
// of bleve's disjunction), so an article matching more of the query ranks
// higher.
type Memory struct {
	analyzer analysis.Analyzer

	mu     sync.RWMutex // guards everything below
	docs   []*memDoc    // by number; nil once deleted
	byID   map[string]int32
	fields [2]memField // title, text
	syn    map[string][]int32
	live   int
	// length[f][n] is document n's token count in field f (flat, for the
	// scoring loop); intern shares one string per term.
	length [2][]int32
	meta   []docMeta
	intern map[string]string
}

// docMeta is what the filters look at first, flat for the scoring loop.
type docMeta struct {
	published bool
	public    bool
	dated     bool // has a validity window
}

const (
	fieldTitle = 0
	fieldText  = 1
	bm25K1     = 1.2
	bm25B      = 0.75
)

type memDoc struct {
	indexed
	terms   [2][]string // distinct terms per field, to unindex
	syn     []string
	catPath []string
	length  [2]int32
}

type posting struct {
	doc int32
	tf  int32
}

type memField struct {
	post  map[string][]posting
	total int64    // tokens over live documents
	vocab []string // sorted terms, for prefix and fuzzy matches (title); nil: rebuild
}

// NewMemory returns an empty index.
func NewMemory() (*Memory, error) {
	im, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("memory index: %w", err)
	}
	an := im.AnalyzerNamed(analyzerName)
	if an == nil {
		return nil, fmt.Errorf("memory index: analyzer %s not built", analyzerName)
	}
	m := &Memory{analyzer: an, byID: map[string]int32{}, syn: map[string][]int32{}, intern: map[string]string{}}
	for i := range m.fields {
		m.fields[i].post = map[string][]posting{}
	}
	return m, nil
}

// Close implements the backends' Close; there is nothing to release.
func (m *Memory) Close() error { return nil }

// Count returns the number of indexed articles.
func (m *Memory) Count() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.live
}

// analyse returns the distinct terms of text with their frequencies and
// the token count.
func (m *Memory) analyse(text string, intern map[string]string) (map[string]int32, int32) {
	tf := map[string]int32{}
	var n int32
	for _, tok := range m.analyzer.Analyze([]byte(text)) {
		t, ok := intern[string(tok.Term)]
		if !ok {
			t = string(tok.Term)
			intern[t] = t
		}
		tf[t]++
		n++
	}
	return tf, n
}

type analysed struct {
	d  *memDoc
	tf [2]map[string]int32
}

// prepare analyses an article; intern is the caller's (the index's is
// m.intern, guarded by m.mu).
func (m *Memory) prepare(a Article, intern map[string]string) analysed {
	plain := PlainText(a.Body)
	d := &memDoc{indexed: indexed{a: a, plain: plain}}
	p := a.CategoryPath()
	for i := range p {
		d.catPath = append(d.catPath, strings.Join(p[:i+1], "/"))
	}
	for _, g := range synonymGroups(a.Title + "\n" + strings.Join(a.Tags, " ") + "\n" + plain) {
		d.syn = append(d.syn, synTerm(g))
	}
	var x analysed
	x.d = d
	x.tf[fieldTitle], d.length[fieldTitle] = m.analyse(a.Title, intern)
	x.tf[fieldText], d.length[fieldText] = m.analyse(metaText(&a, p)+"\n"+plain, intern)
	return x
}

// put indexes a prepared article; m.mu is held.
func (m *Memory) put(x analysed) {
	d := x.d
	if old, ok := m.byID[d.a.ID]; ok {
		m.remove(old)
	}
	n := int32(len(m.docs))
	m.docs = append(m.docs, d)
	for f := range m.length {
		m.length[f] = append(m.length[f], d.length[f])
	}
	m.meta = append(m.meta, docMeta{published: d.a.Status == Published, public: d.a.Audience == Public,
		dated: d.a.ValidFrom != nil || d.a.ValidUntil != nil})
	m.byID[d.a.ID] = n
	m.live++
	for f := range m.fields {
		fi := &m.fields[f]
		d.terms[f] = make([]string, 0, len(x.tf[f]))
		for t, c := range x.tf[f] {
			if it, ok := m.intern[t]; ok {
				t = it
			} else {
				m.intern[t] = t
			}
			fi.post[t] = append(fi.post[t], posting{doc: n, tf: c})
			d.terms[f] = append(d.terms[f], t)
		}
		fi.total += int64(d.length[f])
		fi.vocab = nil
	}
	for _, g := range d.syn {
		m.syn[g] = append(m.syn[g], n)
	}
}

// remove unindexes document n; m.mu is held.
func (m *Memory) remove(n int32) {
	d := m.docs[n]
	for f := range m.fields {
		fi := &m.fields[f]
		for _, t := range d.terms[f] {
			ps := fi.post[t]
			if i := slices.IndexFunc(ps, func(p posting) bool { return p.doc == n }); i >= 0 {
				ps = slices.Delete(ps, i, i+1)
			}
			if len(ps) == 0 {
				delete(fi.post, t)
				fi.vocab = nil
			} else {
				fi.post[t] = ps
			}
		}
		fi.total -= int64(d.length[f])
	}
	for _, g := range d.syn {
		ds := m.syn[g]
		if i := slices.Index(ds, n); i >= 0 {
			m.syn[g] = slices.Delete(ds, i, i+1)
		}
	}
	m.docs[n] = nil
	delete(m.byID, d.a.ID)
	m.live--
}

// Upsert implements Index: the article is searchable when it returns.
func (m *Memory) Upsert(_ context.Context, a Article) error {
	x := m.prepare(a, map[string]string{})
	m.mu.Lock()
	defer m.mu.Unlock()
	m.put(x)
	m.compact()
	return nil
}

// Load indexes many articles (start-up, reindex); the analysis runs
// outside the lock.
func (m *Memory) Load(as []Article) error {
	xs := make([]analysed, len(as))
	intern := map[string]string{}
	for i := range as {
		xs[i] = m.prepare(as[i], intern)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range xs {
		m.put(x)
	}
	m.compact()
	return nil
}

// Delete implements Index.
func (m *Memory) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n, ok := m.byID[id]; ok {
		m.remove(n)
		m.compact()
	}
	return nil
}

// compact renumbers the documents once deleted slots are half of them
// (each replaced article leaves one); m.mu is held.
func (m *Memory) compact() {
	if len(m.docs) < 64 || m.live*2 > len(m.docs) {
		return
	}
	old := m.docs
	m.docs, m.byID, m.live, m.syn, m.length, m.meta = nil, map[string]int32{}, 0, map[string][]int32{}, [2][]int32{}, nil
	for f := range m.fields {
		m.fields[f] = memField{post: map[string][]posting{}}
	}
	for _, d := range old {
		if d == nil {
			continue
		}
		m.put(m.prepare(d.a, m.intern)) // analysed again: rare, and keeps no copy of every frequency
	}
}

// vocab returns the sorted title terms (fuzzy and prefix matches are on
// titles only); search keeps it built.
func (m *Memory) vocab(int) []string { return m.fields[fieldTitle].vocab }

func (m *Memory) buildVocab() {
	fi := &m.fields[fieldTitle]
	v := make([]string, 0, len(fi.post))
	for t := range fi.post {
		v = append(v, t)
	}
	sort.Strings(v)
	fi.vocab = v
}

// clause is one scoring part of a query: a term on a field, expansions
// of a term (fuzzy, prefix) of which the best counts, or a synonym group.
type clause struct {
	field int // -1: synonym group
	terms []string
	boost float64
}

func (m *Memory) clauses(q Query, terms []term) []clause {
	var cs []clause
	for _, t := range terms {
		w := 1.0
		if t.single {
			w *= 0.5
		} else if t.han {
			w *= 1.5
		}
		for f, fb := range fieldBoosts {
			if t.titleOnly && fb.name != "title" {
				continue
			}
			cs = append(cs, clause{field: f, terms: []string{t.text}, boost: w * fb.boost})
			if fb.name != "title" || t.han || t.number {
				continue
			}
			if len(t.text) >= 5 {
				if ex := fuzzy1(m.vocab(f), t.text); len(ex) > 0 {
					cs = append(cs, clause{field: f, terms: ex, boost: w * fb.boost * 0.3})
				}
			}
			if len(t.text) >= 4 {
				if ex := prefixed(m.vocab(f), t.text); len(ex) > 0 {
					cs = append(cs, clause{field: f, terms: ex, boost: w * fb.boost * 0.3})
				}
			}
		}
	}
	for _, g := range synonymGroups(q.Text) {
		cs = append(cs, clause{field: -1, terms: []string{synTerm(g)}, boost: synonymBoost})
	}
	return cs
}

// maxExpansions bounds the terms a fuzzy or prefix clause expands to.
const maxExpansions = 50

func prefixed(vocab []string, p string) []string {
	i := sort.SearchStrings(vocab, p)
	var out []string
	for ; i < len(vocab) && strings.HasPrefix(vocab[i], p) && len(out) < maxExpansions; i++ {
		out = append(out, vocab[i])
	}
	return out
}

// fuzzy1 returns the terms within edit distance 1 of w (w included).
func fuzzy1(vocab []string, w string) []string {
	var out []string
	for _, t := range vocab {
		if len(t) < len(w)-1 || len(t) > len(w)+1 || !within1(t, w) {
			continue
		}
		if out = append(out, t); len(out) == maxExpansions {
			break
		}
	}
	return out
}

// within1 reports whether a and b differ by at most one insertion,
// deletion or substitution (bytes: the terms are Latin).
func within1(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return a[i+min(1, len(a)-i):] == b[i+min(1, len(b)-i):]
	}
	return a[i:] == b[i+1:]
}

// Search implements Index, with the single-character passes of
// Embedded.Search.
func (m *Memory) Search(ctx context.Context, q Query) (Result, error) {
	start := time.Now()
	q.normalize()
	terms := analyzeTerms(m.analyzer, q.Text)
	n := hanCount(q.Text)
	if n > 1 {
		for i := range terms {
			terms[i].titleOnly = terms[i].single
		}
	}
	m.mu.RLock()
	if m.fields[fieldTitle].vocab == nil {
		// The first search after a change sorts the title vocabulary.
		m.mu.RUnlock()
		m.mu.Lock()
		if m.fields[fieldTitle].vocab == nil {
			m.buildVocab()
		}
		m.mu.Unlock()
		m.mu.RLock()
	}
	defer m.mu.RUnlock()
	res := m.search(q, terms)
	if n > 1 && n <= maxSingleQuery && res.Total < minTitleSingleHits {
		for i := range terms {
			terms[i].titleOnly = false
		}
		res = m.search(q, terms)
	}
	res.TookMS = math.Round(float64(time.Since(start).Microseconds())/10) / 100
	return res, ctx.Err()
}

func (m *Memory) search(q Query, terms []term) Result {
	res := Result{Query: q.Text, Hits: []Hit{}, Facets: Facets{Category: []FacetCount{}, Product: []FacetCount{}}}
	if len(terms) == 0 && q.Text != "" {
		return res // only punctuation: nothing to look for
	}
	at := q.At
	// The usual search (published, any audience or public, no other
	// filter) decides on the flat metadata alone.
	onlyPublished := len(q.Statuses) == 1 && q.Statuses[0] == Published
	simple := onlyPublished && q.Lang == "" && q.Product == "" && q.Category == ""
	ok := func(n int32) bool {
		if simple {
			md := m.meta[n]
			if !md.published || (q.Audience == Public && !md.public) {
				return false
			}
			if !md.dated || at.IsZero() {
				return true
			}
		}
		d := m.docs[n]
		a := &d.a
		if !slices.Contains(q.Statuses, a.Status) || (q.Audience == Public && a.Audience != Public) ||
			(q.Lang != "" && a.Lang != q.Lang) || (q.Product != "" && !slices.Contains(a.Products, q.Product)) {
			return false
		}
		if q.Category != "" && !slices.Contains(d.catPath, strings.Trim(q.Category, "/")) {
			return false
		}
		return at.IsZero() || a.ValidAt(at)
	}
	type scored struct {
		doc   int32
		score float64
	}
	var matched []scored
	if len(terms) == 0 {
		for n, d := range m.docs {
			if d != nil && ok(int32(n)) {
				matched = append(matched, scored{doc: int32(n)})
			}
		}
	} else {
		cs := m.clauses(q, terms)
		score := make([]float64, len(m.docs))
		hits := make([]uint16, len(m.docs))
		var touched []int32
		best := make(map[int32]float64) // per expanded clause: the best term's score
		for _, c := range cs {
			if c.field < 0 {
				ds := m.syn[c.terms[0]]
				for _, n := range ds {
					if hits[n] == 0 {
						touched = append(touched, n)
					}
					score[n] += c.boost * synonymWeight(len(ds), m.live)
					hits[n]++
				}
				continue
			}
			fi := &m.fields[c.field]
			avg := 1.0
			if m.live > 0 {
				avg = float64(fi.total) / float64(m.live)
			}
			lengths := m.length[c.field]
			norm := bm25K1 * bm25B / avg
			base := bm25K1 * (1 - bm25B)
			if len(c.terms) == 1 {
				// One term (nearly every clause): a document appears once
				// in its postings, straight into the accumulator.
				ps := fi.post[c.terms[0]]
				w := c.boost * idf(len(ps), m.live) * (bm25K1 + 1)
				for _, p := range ps {
					tf := float64(p.tf)
					if hits[p.doc] == 0 {
						touched = append(touched, p.doc)
					}
					score[p.doc] += w * tf / (tf + base + norm*float64(lengths[p.doc]))
					hits[p.doc]++
				}
				continue
			}
			clear(best)
			for _, t := range c.terms {
				ps := fi.post[t]
				w := c.boost * idf(len(ps), m.live) * (bm25K1 + 1)
				for _, p := range ps {
					tf := float64(p.tf)
					s := w * tf / (tf + base + norm*float64(lengths[p.doc]))
					if s > best[p.doc] {
						best[p.doc] = s
					}
				}
			}
			for n, s := range best {
				if hits[n] == 0 {
					touched = append(touched, n)
				}
				score[n] += s
				hits[n]++
			}
		}
		enBoost := !hasHan(q.Text) && hasLetter(q.Text) && q.Lang == ""
		for _, n := range touched {
			if !ok(n) {
				continue
			}
			s := score[n] * float64(hits[n]) / float64(len(cs))
			if enBoost && m.docs[n].a.Lang == "en" {
				s *= 1.5
			}
			matched = append(matched, scored{doc: n, score: s})
		}
	}
	res.Total = len(matched)
	if q.Facets {
		docs := make([]int32, len(matched))
		for i, x := range matched {
			docs[i] = x.doc
		}
		res.Facets = m.facets(docs)
	}
	// The page: the best offset+limit, chosen with a bounded min-heap (a
	// full sort of thousands of matches cost more than the scoring).
	better := func(a, b scored) bool { return a.score > b.score || a.score == b.score && a.doc < b.doc }
	k := q.Offset + q.Limit
	top := make([]scored, 0, min(k, len(matched)))
	for _, x := range matched {
		switch {
		case len(top) < k:
			top = append(top, x)
			for i := len(top) - 1; i > 0; { // sift up: the worst at the root
				p := (i - 1) / 2
				if !better(top[p], top[i]) {
					break
				}
				top[p], top[i] = top[i], top[p]
				i = p
			}
		case better(x, top[0]):
			top[0] = x
			for i := 0; ; { // sift down
				l, r, w := 2*i+1, 2*i+2, i
				if l < len(top) && better(top[w], top[l]) {
					w = l
				}
				if r < len(top) && better(top[w], top[r]) {
					w = r
				}
				if w == i {
					break
				}
				top[i], top[w] = top[w], top[i]
				i = w
			}
		}
	}
	slices.SortFunc(top, func(a, b scored) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	matched = top
	marks := markTerms(q.Text, terms)
	for i := q.Offset; i < len(matched) && i < q.Offset+q.Limit; i++ {
		d := m.docs[matched[i].doc]
		res.Hits = append(res.Hits, hitOf(&d.a, d.plain, marks, matched[i].score))
	}
	return res
}

// idf is BM25's inverse document frequency of a term in n of total
// documents.
func idf(n, total int) float64 {
	return math.Log(1 + (float64(total)-float64(n)+0.5)/(float64(n)+0.5))
}

// synonymWeight is the BM25 weight of a synonym group term (one per
// article, no length): its idf.
func synonymWeight(n, total int) float64 {
	return math.Log(1 + (float64(total)-float64(n)+0.5)/(float64(n)+0.5))
}

// facets counts categories and products over docs, the ten most
// frequent of each.
func (m *Memory) facets(docs []int32) Facets {
	cat, prod := map[string]int{}, map[string]int{}
	for _, n := range docs {
		a := &m.docs[n].a
		cat[a.Category]++
		for _, p := range a.Products {
			prod[p]++
		}
	}
	top := func(c map[string]int) []FacetCount {
		out := make([]FacetCount, 0, len(c))
		for v, n := range c {
			out = append(out, FacetCount{Value: v, Count: n})
		}
		slices.SortFunc(out, func(a, b FacetCount) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Value, b.Value)
		})
		return out[:min(len(out), 10)]
	}
	return Facets{Category: top(cat), Product: top(prod)}
}
