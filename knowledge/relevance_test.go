package knowledge_test

import (
	"bufio"
	"context"
	"flag"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/knowledge"
)

// judged is one query of the relevance suite with the articles that answer it.
type judged struct {
	line     int
	query    string
	relevant []string
	kind     string
}

func readJudged(t testing.TB) []judged {
	t.Helper()
	f, err := os.Open("testdata/relevance.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []judged
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := strings.Split(line, "\t")
		if len(p) != 3 {
			t.Fatalf("relevance.tsv:%d: want 3 tab-separated fields, got %d", n, len(p))
		}
		out = append(out, judged{n, p[0], strings.Split(p[1], ","), p[2]})
	}
	return out
}

// searchAt is the instant of the suite: the 2026 broadband tariff applies.
var searchAt = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// runRelevance reports recall@5 (a relevant article among the first five)
// and MRR (mean reciprocal rank of the first relevant article) per kind of
// query and overall.
func runRelevance(t *testing.T, idx knowledge.Index) (recall, mrr float64) {
	qs := readJudged(t)
	if len(qs) < 200 {
		t.Fatalf("relevance suite has %d queries, want at least 200", len(qs))
	}
	type acc struct {
		n, hit5 int
		rr      float64
	}
	kinds := map[string]*acc{}
	var all acc
	for _, q := range qs {
		res, err := idx.Search(context.Background(), knowledge.Query{Text: q.query, At: searchAt, Limit: 10})
		if err != nil {
			t.Fatalf("line %d %q: %v", q.line, q.query, err)
		}
		rank := 0
		for i, h := range res.Hits {
			if slices.Contains(q.relevant, h.ID) {
				rank = i + 1
				break
			}
		}
		k := kinds[q.kind]
		if k == nil {
			k = &acc{}
			kinds[q.kind] = k
		}
		for _, a := range []*acc{k, &all} {
			a.n++
			if rank > 0 && rank <= 5 {
				a.hit5++
			}
			if rank > 0 {
				a.rr += 1 / float64(rank)
			}
		}
		if rank == 0 || rank > 5 {
			var got []string
			for _, h := range res.Hits[:min(5, len(res.Hits))] {
				got = append(got, h.ID)
			}
			t.Logf("miss line %d [%s] %q: want %v, got %v (rank %d)", q.line, q.kind, q.query, q.relevant, got, rank)
		}
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		a := kinds[k]
		t.Logf("%-10s n=%3d recall@5=%.3f MRR=%.3f", k, a.n, float64(a.hit5)/float64(a.n), a.rr/float64(a.n))
	}
	recall, mrr = float64(all.hit5)/float64(all.n), all.rr/float64(all.n)
	t.Logf("%-10s n=%3d recall@5=%.3f MRR=%.3f", "all", all.n, recall, mrr)
	return recall, mrr
}

func demoEmbedded(t testing.TB) *knowledge.Embedded {
	t.Helper()
	e, err := knowledge.NewEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	as, err := knowledge.DemoArticles()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Load(as); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRelevanceEmbedded(t *testing.T) {
	recall, _ := runRelevance(t, demoEmbedded(t))
	if recall < 0.90 {
		t.Errorf("recall@5 = %.3f, want >= 0.90", recall)
	}
}

var figures = flag.Bool("figures", false, "print the benchmark figures of docs/knowledge.md")

// TestRelevanceMeili runs the same suite against a real Meilisearch when
// HOTLINE_TEST_MEILI_URL is set (HOTLINE_TEST_MEILI_KEY: its master or an
// admin key), in an index of its own that it drops at the end:
//
//	HOTLINE_TEST_MEILI_URL=http://127.0.0.1:7700 HOTLINE_TEST_MEILI_KEY=… go test ./knowledge -run TestRelevanceMeili -v
//
// It reports the figures; it fails only when the server cannot be used,
// as the 0.90 target is the embedded engine's.
func TestRelevanceMeili(t *testing.T) {
	url := os.Getenv("HOTLINE_TEST_MEILI_URL")
	if url == "" {
		t.Skip("HOTLINE_TEST_MEILI_URL not set")
	}
	ctx := context.Background()
	m := knowledge.NewMeili(knowledge.MeiliOptions{URL: url, APIKey: os.Getenv("HOTLINE_TEST_MEILI_KEY"),
		Index: "hotline_relevance_" + strconv.FormatInt(time.Now().UnixNano(), 36)})
	t.Cleanup(func() {
		if err := m.DropIndex(context.Background()); err != nil {
			t.Errorf("drop index: %v", err)
		}
		m.Close()
	})
	if err := m.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	as, err := knowledge.DemoArticles()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadContext(ctx, as); err != nil {
		t.Fatal(err)
	}
	recall, mrr := runRelevance(t, m)
	t.Logf("meilisearch: recall@5 %.3f, MRR %.3f", recall, mrr)
}

// TestRelevanceMemory: the same suite on the in-memory index.
func TestRelevanceMemory(t *testing.T) {
	m, err := knowledge.NewMemory()
	if err != nil {
		t.Fatal(err)
	}
	as, err := knowledge.DemoArticles()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(as); err != nil {
		t.Fatal(err)
	}
	recall, _ := runRelevance(t, m)
	if recall < 0.90 {
		t.Errorf("recall@5 = %.3f, want >= 0.90", recall)
	}
}
