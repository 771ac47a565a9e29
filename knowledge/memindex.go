package knowledge

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
	// scoring loop).
	length [2][]int32
	meta   []docMeta
	// dict numbers the terms; words[id] is the term. Postings and the
	// documents' term lists hold the numbers: slices without pointers,
	// which the garbage collector does not scan (the 20 000-article index
	// held 50 MB of string headers in per-document term lists before).
	dict  map[string]uint32
	words []string

	scratch sync.Pool // *scratch: per-search accumulators, reused
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
	terms   [2][]uint32 // distinct term numbers per field, to unindex
	syn     []string
	catPath []string
	length  [2]int32
}

// A posting packs a document number (high 24 bits) and the term's
// frequency in it (low 8 bits, capped at 255: BM25 has long saturated by
// then). Postings of a term are sorted by document number.
type posting = uint32

const (
	postTFBits = 8
	postTFMax  = 1<<postTFBits - 1
	// maxDocNumbers bounds the document numbers (live articles plus
	// replaced ones not yet renumbered).
	maxDocNumbers = 1 << (32 - postTFBits)
)

func pack(doc int32, tf int32) posting { return uint32(doc)<<postTFBits | uint32(min(tf, postTFMax)) }
func postDoc(p posting) int32          { return int32(p >> postTFBits) }
func postTF(p posting) float64         { return float64(p & postTFMax) }

type memField struct {
	post  [][]posting // by term number
	total int64       // tokens over live documents
	vocab []string    // sorted terms, for prefix and fuzzy matches (title); nil: build at the next search
	// latin: the terms of vocab with an ASCII letter, the only ones within
	// one edit of an ASCII word of five letters or more without digits
	// (numbers and Han terms are most of vocab).
	latin []string
}

// postings returns the postings of a term in the field.
func (m *Memory) postings(f int, t string) []posting {
	id, ok := m.dict[t]
	if !ok || int(id) >= len(m.fields[f].post) {
		return nil
	}
	return m.fields[f].post[id]
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
	return &Memory{analyzer: an, byID: map[string]int32{}, syn: map[string][]int32{}, dict: map[string]uint32{}}, nil
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
func (m *Memory) analyse(text string) (map[string]int32, int32) {
	tf := map[string]int32{}
	var n int32
	for _, tok := range m.analyzer.Analyze([]byte(text)) {
		tf[string(tok.Term)]++
		n++
	}
	return tf, n
}

type analysed struct {
	d  *memDoc
	tf [2]map[string]int32
}

// prepare analyses an article; it needs no lock.
func (m *Memory) prepare(a Article) analysed {
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
	x.tf[fieldTitle], d.length[fieldTitle] = m.analyse(a.Title)
	x.tf[fieldText], d.length[fieldText] = m.analyse(metaText(&a, p) + "\n" + plain)
	return x
}

// errIndexFull: more articles than document numbers.
var errIndexFull = errors.New("memory index: too many articles")

// put indexes a prepared article; m.mu is held.
func (m *Memory) put(x analysed) error {
	// What the index keeps of the analysis is copied here, in the one
	// goroutine that holds the lock, so it lies packed in memory instead
	// of among the analysis's garbage (at start-up that left two thirds
	// of the heap's spans in use by a few live objects each).
	// The Markdown body and the tags are not kept: hits and snippets need
	// only the plain text, and the store has the article.
	a := x.d.a
	a.Body, a.Tags = "", nil
	d := &memDoc{indexed: indexed{a: a, plain: strings.Clone(x.d.plain)}, length: x.d.length,
		catPath: slices.Clone(x.d.catPath), syn: slices.Clone(x.d.syn)}
	if old, ok := m.byID[d.a.ID]; ok {
		m.remove(old)
	}
	if len(m.docs) >= maxDocNumbers {
		m.renumber()
		if len(m.docs) >= maxDocNumbers {
			return errIndexFull
		}
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
		d.terms[f] = make([]uint32, 0, len(x.tf[f]))
		for t, c := range x.tf[f] {
			id, ok := m.dict[t]
			if !ok {
				id = uint32(len(m.words))
				m.dict[t] = id
				m.words = append(m.words, t)
			}
			if int(id) >= len(fi.post) {
				fi.post = append(fi.post, make([][]posting, int(id)+1-len(fi.post))...)
			}
			if len(fi.post[id]) == 0 && f == fieldTitle {
				fi.vocabAdd(t)
			}
			fi.post[id] = append(fi.post[id], pack(n, c))
			d.terms[f] = append(d.terms[f], id)
		}
		fi.total += int64(d.length[f])
	}
	for _, g := range d.syn {
		m.syn[g] = append(m.syn[g], n)
	}
	return nil
}

// remove unindexes document n; m.mu is held.
func (m *Memory) remove(n int32) {
	d := m.docs[n]
	for f := range m.fields {
		fi := &m.fields[f]
		for _, id := range d.terms[f] {
			ps := fi.post[id]
			if i, ok := slices.BinarySearchFunc(ps, n, func(p posting, n int32) int { return cmp.Compare(postDoc(p), n) }); ok {
				ps = slices.Delete(ps, i, i+1)
			}
			if len(ps) == 0 && f == fieldTitle {
				fi.vocabDel(m.words[id])
			}
			fi.post[id] = ps
		}
		fi.total -= int64(d.length[f])
	}
	for _, g := range d.syn {
		ds := m.syn[g]
		if i, ok := slices.BinarySearch(ds, n); ok {
			m.syn[g] = slices.Delete(ds, i, i+1)
		}
	}
	m.docs[n] = nil
	delete(m.byID, d.a.ID)
	m.live--
}

// Upsert implements Index: the article is searchable when it returns.
func (m *Memory) Upsert(_ context.Context, a Article) error {
	x := m.prepare(a)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.put(x); err != nil {
		return err
	}
	m.compact()
	return nil
}

// Load indexes many articles (start-up, reindex); the analysis runs
// outside the lock, on every CPU.
func (m *Memory) Load(as []Article) error {
	xs := make([]analysed, len(as))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, len(as)/64)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(as)); i = next.Add(1) - 1 {
				xs[i] = m.prepare(as[i])
			}
		})
	}
	wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fields[fieldTitle].vocab, m.fields[fieldTitle].latin = nil, nil
	defer m.buildVocab()
	for i, x := range xs {
		if err := m.put(x); err != nil {
			return fmt.Errorf("article %d of %d: %w", i+1, len(as), err)
		}
		xs[i] = analysed{} // the frequency maps can go
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
	m.renumber()
}

// renumber gives the live documents the numbers 0..live-1 in their
// order, so every posting list stays sorted; m.mu is held.
func (m *Memory) renumber() {
	to := make([]int32, len(m.docs))
	var n int32
	for i, d := range m.docs {
		to[i] = -1
		if d != nil {
			to[i] = n
			m.docs[n] = d
			m.meta[n] = m.meta[i]
			for f := range m.length {
				m.length[f][n] = m.length[f][i]
			}
			m.byID[d.a.ID] = n
			n++
		}
	}
	clear(m.docs[n:])
	m.docs, m.meta = m.docs[:n], m.meta[:n]
	for f := range m.length {
		m.length[f] = m.length[f][:n]
	}
	for f := range m.fields {
		for id, ps := range m.fields[f].post {
			out := ps[:0]
			for _, p := range ps {
				if k := to[postDoc(p)]; k >= 0 {
					out = append(out, pack(k, int32(p&postTFMax)))
				}
			}
			m.fields[f].post[id] = out
		}
	}
	for g, ds := range m.syn {
		out := ds[:0]
		for _, d := range ds {
			if k := to[d]; k >= 0 {
				out = append(out, k)
			}
		}
		m.syn[g] = out
	}
}

// vocab returns the sorted title terms (fuzzy and prefix matches are on
// titles only); search keeps it built.
func (m *Memory) vocab(int) []string { return m.fields[fieldTitle].vocab }

func (m *Memory) buildVocab() {
	fi := &m.fields[fieldTitle]
	v := make([]string, 0, len(fi.post))
	for id, ps := range fi.post {
		if len(ps) > 0 {
			v = append(v, m.words[id])
		}
	}
	sort.Strings(v)
	fi.vocab = v
	fi.latin = nil
	for _, t := range v {
		if strings.ContainsFunc(t, isASCIILetter) {
			fi.latin = append(fi.latin, t)
		}
	}
}

// vocabAdd and vocabDel keep a built title vocabulary sorted as terms
// come and go (publishing an article costs a binary search and a copy,
// not a sort of the whole vocabulary at the next search); Load builds it
// once at the end instead.
func (fi *memField) vocabAdd(t string) {
	if fi.vocab == nil {
		return
	}
	fi.vocab = insertSorted(fi.vocab, t)
	if strings.ContainsFunc(t, isASCIILetter) {
		fi.latin = insertSorted(fi.latin, t)
	}
}

func (fi *memField) vocabDel(t string) {
	if fi.vocab == nil {
		return
	}
	fi.vocab = deleteSorted(fi.vocab, t)
	fi.latin = deleteSorted(fi.latin, t)
}

func insertSorted(v []string, t string) []string {
	if i, ok := slices.BinarySearch(v, t); !ok {
		v = slices.Insert(v, i, t)
	}
	return v
}

func deleteSorted(v []string, t string) []string {
	if i, ok := slices.BinarySearch(v, t); ok {
		v = slices.Delete(v, i, i+1)
	}
	return v
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// fuzzyVocab is the part of the title vocabulary fuzzy1 needs to walk
// for w.
func (m *Memory) fuzzyVocab(w string) []string {
	fi := &m.fields[fieldTitle]
	for i := range len(w) {
		if w[i] >= utf8.RuneSelf {
			return fi.vocab
		}
	}
	return fi.latin
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
				if ex := fuzzy1(m.fuzzyVocab(t.text), t.text); len(ex) > 0 {
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

// scratch is one search's accumulators, sized to the document numbers
// and kept zeroed between searches (only the touched entries are reset),
// so a search allocates nothing in proportion to the index.
type scratch struct {
	score   []float64
	hits    []uint16
	best    []float64 // per expanded clause: the best term's score
	touched []int32   // documents with hits > 0
	bestOf  []int32   // documents with best > 0
	docs    []int32   // matches passing the filters (facets)
	top     []scored
}

type scored struct {
	doc   int32
	score float64
}

func (m *Memory) getScratch() *scratch {
	s, _ := m.scratch.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if n := len(m.docs); len(s.score) < n {
		n += n / 8 // room for some new articles
		s.score, s.hits, s.best = make([]float64, n), make([]uint16, n), make([]float64, n)
	}
	return s
}

func (m *Memory) putScratch(s *scratch) {
	for _, n := range s.touched {
		s.score[n], s.hits[n] = 0, 0
	}
	s.touched, s.bestOf, s.docs, s.top = s.touched[:0], s.bestOf[:0], s.docs[:0], s.top[:0]
	m.scratch.Put(s)
}

// maxPostings bounds the postings one search walks: a long query (a
// customer's pasted paragraph yields a bigram and a character per Han
// character) keeps its rarest clauses within the bound and drops the
// commonest, which weigh least (their idf is lowest). The usual query
// walks 1 000 to 70 000 at 20 000 articles (BenchmarkMemoryQuery20k).
var maxPostings = 200_000

// budget drops the clauses over maxPostings, the commonest first; it keeps
// the clauses' order otherwise (scores are summed in that order).
func (m *Memory) budget(cs []clause) []clause {
	cost := make([]int, len(cs))
	total := 0
	for i, c := range cs {
		if c.field < 0 {
			cost[i] = len(m.syn[c.terms[0]])
		} else {
			for _, t := range c.terms {
				cost[i] += len(m.postings(c.field, t))
			}
		}
		total += cost[i]
	}
	if total <= maxPostings {
		return cs
	}
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cost[a], cost[b]) })
	keep := make([]bool, len(cs))
	sum := 0
	for k, i := range order {
		if k > 0 && sum+cost[i] > maxPostings {
			break
		}
		sum += cost[i]
		keep[i] = true
	}
	out := cs[:0]
	for i, c := range cs {
		if keep[i] {
			out = append(out, c)
		}
	}
	return out
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
	sc := m.getScratch()
	defer m.putScratch(sc)
	// The page: the best offset+limit, chosen with a bounded min-heap (a
	// full sort of thousands of matches cost more than the scoring).
	better := func(a, b scored) bool { return a.score > b.score || a.score == b.score && a.doc < b.doc }
	k := q.Offset + q.Limit
	top := sc.top
	offer := func(x scored) {
		res.Total++
		if q.Facets {
			sc.docs = append(sc.docs, x.doc)
		}
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
	if len(terms) == 0 {
		for n, d := range m.docs {
			if d != nil && ok(int32(n)) {
				offer(scored{doc: int32(n)})
			}
		}
	} else {
		cs := m.budget(m.clauses(q, terms))
		score, hits, best := sc.score, sc.hits, sc.best
		touched := sc.touched
		for _, c := range cs {
			if c.field < 0 {
				ds := m.syn[c.terms[0]]
				w := c.boost * synonymWeight(len(ds), m.live)
				for _, n := range ds {
					if hits[n] == 0 {
						touched = append(touched, n)
					}
					score[n] += w
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
				ps := m.postings(c.field, c.terms[0])
				w := c.boost * idf(len(ps), m.live) * (bm25K1 + 1)
				for _, p := range ps {
					n, tf := postDoc(p), postTF(p)
					if hits[n] == 0 {
						touched = append(touched, n)
					}
					score[n] += w * tf / (tf + base + norm*float64(lengths[n]))
					hits[n]++
				}
				continue
			}
			bestOf := sc.bestOf[:0]
			for _, t := range c.terms {
				ps := m.postings(c.field, t)
				w := c.boost * idf(len(ps), m.live) * (bm25K1 + 1)
				for _, p := range ps {
					n, tf := postDoc(p), postTF(p)
					s := w * tf / (tf + base + norm*float64(lengths[n]))
					if best[n] == 0 {
						bestOf = append(bestOf, n)
					}
					if s > best[n] {
						best[n] = s
					}
				}
			}
			for _, n := range bestOf {
				if hits[n] == 0 {
					touched = append(touched, n)
				}
				score[n] += best[n]
				hits[n]++
				best[n] = 0
			}
			sc.bestOf = bestOf
		}
		sc.touched = touched
		enBoost := !hasHan(q.Text) && hasLetter(q.Text) && q.Lang == ""
		for _, n := range touched {
			if !ok(n) {
				continue
			}
			s := score[n] * float64(hits[n]) / float64(len(cs))
			if enBoost && m.docs[n].a.Lang == "en" {
				s *= 1.5
			}
			offer(scored{doc: n, score: s})
		}
	}
	sc.top = top
	if q.Facets {
		res.Facets = m.facets(sc.docs)
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
	marks := markTerms(q.Text, terms)
	for i := q.Offset; i < len(top); i++ {
		d := m.docs[top[i].doc]
		res.Hits = append(res.Hits, hitOf(&d.a, d.plain, marks, top[i].score))
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
