package knowledge

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var memQueries = []string{"宽带上不了网", "漫游", "携号转网授权码", "发票", "票", "密码忘了怎么办", "KT5G129",
	"roaming charges", "brodband not working", "话废", "129元", "流量不够用", "投诉多久有结果", "", "光猫"}

var memAt = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func demoIndex(t *testing.T) (*Memory, []Article) {
	t.Helper()
	as, err := DemoArticles()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMemory()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(as); err != nil {
		t.Fatal(err)
	}
	return m, as
}

func searchAll(t *testing.T, m *Memory, qs []string) []Result {
	t.Helper()
	var out []Result
	for _, q := range qs {
		for _, aud := range []Audience{"", Public} {
			res, err := m.Search(context.Background(), Query{Text: q, At: memAt, Audience: aud, Facets: true, Limit: 20})
			if err != nil {
				t.Fatal(err)
			}
			res.TookMS = 0
			out = append(out, res)
		}
	}
	return out
}

// TestMemoryLoadEqualsUpserts: Load analyses articles on every CPU; the
// index it builds answers as one built an article at a time.
func TestMemoryLoadEqualsUpserts(t *testing.T) {
	loaded, as := demoIndex(t)
	one, err := NewMemory()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if err := one.Upsert(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := searchAll(t, loaded, memQueries), searchAll(t, one, memQueries); !reflect.DeepEqual(got, want) {
		t.Fatalf("Load and Upsert disagree:\n%+v\n%+v", got, want)
	}
}

// TestMemoryScratchIsReset: the per-search accumulators are reused; a
// search answers the same whatever ran before it, also concurrently.
func TestMemoryScratchIsReset(t *testing.T) {
	m, _ := demoIndex(t)
	want := searchAll(t, m, memQueries)
	rev := slices.Clone(memQueries)
	slices.Reverse(rev)
	got := searchAll(t, m, rev)
	slices.Reverse(got)
	// searchAll runs two audiences per query: reversing the queries
	// reversed those pairs too.
	for i := 0; i+1 < len(got); i += 2 {
		got[i], got[i+1] = got[i+1], got[i]
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("a search depends on the searches before it")
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				k := (g + i) % len(memQueries)
				if r := searchAll(t, m, memQueries[k:k+1]); !reflect.DeepEqual(r, want[2*k:2*k+2]) {
					errs <- fmt.Sprintf("concurrent search of %q differs", memQueries[k])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestMemoryPostingsAfterChurn: after replacements, deletions and the
// renumbering they cause, every posting list is sorted, points at live
// documents with the right frequency, and the totals are right.
func TestMemoryPostingsAfterChurn(t *testing.T) {
	m, as := demoIndex(t)
	ctx := context.Background()
	for i := range 300 {
		a := as[i%len(as)]
		a.Title = fmt.Sprintf("%s 更新%d", a.Title, i%7)
		if err := m.Upsert(ctx, a); err != nil {
			t.Fatal(err)
		}
		if i%9 == 0 {
			if err := m.Delete(ctx, as[(i*5)%len(as)].ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The title vocabulary was kept sorted through it all, not rebuilt.
	vocab, latin := m.fields[fieldTitle].vocab, slices.Clone(m.fields[fieldTitle].latin)
	if vocab == nil {
		t.Fatal("the title vocabulary was dropped instead of kept up to date")
	}
	vocab = slices.Clone(vocab)
	m.buildVocab()
	if !slices.Equal(vocab, m.fields[fieldTitle].vocab) || !slices.Equal(latin, m.fields[fieldTitle].latin) {
		t.Fatalf("title vocabulary kept up to date differs from a fresh one:\n%q\n%q", vocab, m.fields[fieldTitle].vocab)
	}
	if len(m.docs) >= 2*m.live+64 {
		t.Fatalf("%d numbers for %d articles: never renumbered", len(m.docs), m.live)
	}
	for f := range m.fields {
		var total int64
		for _, d := range m.docs {
			if d != nil {
				total += int64(d.length[f])
			}
		}
		if total != m.fields[f].total {
			t.Errorf("field %d: total %d, documents hold %d", f, m.fields[f].total, total)
		}
		for id, ps := range m.fields[f].post {
			if !slices.IsSortedFunc(ps, func(a, b posting) int { return int(postDoc(a) - postDoc(b)) }) {
				t.Fatalf("field %d term %q: postings out of order", f, m.words[id])
			}
			for _, p := range ps {
				d := m.docs[postDoc(p)]
				if d == nil || !slices.Contains(d.terms[f], uint32(id)) {
					t.Fatalf("field %d term %q: posting to a document without it", f, m.words[id])
				}
			}
		}
	}
	// A fresh index of the same articles answers the same.
	fresh, err := NewMemory()
	if err != nil {
		t.Fatal(err)
	}
	var live []Article
	for _, d := range m.docs {
		if d != nil {
			live = append(live, d.a)
		}
	}
	// The index keeps no body: take the articles as they were upserted.
	byID := map[string]Article{}
	for _, a := range as {
		byID[a.ID] = a
	}
	for i := range 300 {
		a := as[i%len(as)]
		a.Title = fmt.Sprintf("%s 更新%d", a.Title, i%7)
		byID[a.ID] = a
	}
	for i := range live {
		live[i] = byID[live[i].ID]
	}
	if err := fresh.Load(live); err != nil {
		t.Fatal(err)
	}
	got, want := searchAll(t, m, memQueries), searchAll(t, fresh, memQueries)
	for i := range got {
		// Ties are broken by document number, which differs: compare
		// the totals and the sets of hits with their scores.
		if got[i].Total != want[i].Total || !sameHits(got[i].Hits, want[i].Hits) {
			t.Errorf("query %q: churned index and fresh index differ:\n%+v\n%+v", memQueries[i/2], got[i].Hits, want[i].Hits)
		}
	}
}

func sameHits(a, b []Hit) bool {
	key := func(h Hit) string { return fmt.Sprintf("%s %.9f", h.ID, h.Score) }
	x, y := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		x[i] = key(a[i])
	}
	for i := range b {
		y[i] = key(b[i])
	}
	slices.Sort(x)
	slices.Sort(y)
	// The last place may hold a different article of equal score.
	if len(x) != len(y) {
		return false
	}
	diff := 0
	for i := range x {
		if x[i] != y[i] {
			diff++
		}
	}
	return diff <= 2
}

// TestMemoryLongQueryBounded: a long Chinese query (a pasted paragraph)
// walks at most maxPostings postings, keeps its rarest clauses, and still
// finds the article its rare words name.
func TestMemoryLongQueryBounded(t *testing.T) {
	m, _ := demoIndex(t)
	q := Query{Text: strings.Repeat("我家的宽带上不了网了，光猫一直红灯闪烁，请问怎么办？", 8), At: memAt}
	q.normalize()
	terms := analyzeTerms(m.analyzer, q.Text)
	all := m.clauses(q, terms)
	cost := func(c clause) int {
		if c.field < 0 {
			return len(m.syn[c.terms[0]])
		}
		n := 0
		for _, t := range c.terms {
			n += len(m.postings(c.field, t))
		}
		return n
	}
	sum := 0
	for _, c := range all {
		sum += cost(c)
	}
	defer func(v int) { maxPostings = v }(maxPostings)
	maxPostings = sum / 3
	kept := m.budget(slices.Clone(all))
	walked, maxKept := 0, 0
	for _, c := range kept {
		walked += cost(c)
		maxKept = max(maxKept, cost(c))
	}
	if walked > maxPostings || len(kept) == 0 || len(kept) == len(all) {
		t.Fatalf("kept %d of %d clauses walking %d postings, bound %d", len(kept), len(all), walked, maxPostings)
	}
	for _, c := range all {
		if !slices.ContainsFunc(kept, func(k clause) bool { return reflect.DeepEqual(k, c) }) && cost(c) < maxKept {
			t.Fatalf("dropped a clause of %d postings but kept one of %d", cost(c), maxKept)
		}
	}
	res, err := m.Search(context.Background(), q)
	if err != nil || len(res.Hits) == 0 {
		t.Fatalf("long query: %+v %v", res, err)
	}
	top := res.Hits[0].Title + res.Hits[0].Snippet
	if !strings.Contains(top, "光猫") && !strings.Contains(top, "宽带") {
		t.Fatalf("long query found %q first", res.Hits[0].Title)
	}
}
