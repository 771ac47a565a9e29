package knowledge_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hotline10000/hotline/knowledge"
)

// synthetic returns n articles built from the demo set: the demo texts
// with their words shuffled between articles, so the vocabulary and the
// term statistics stay those of the real articles.
func synthetic(t testing.TB, n int) []knowledge.Article {
	demo, err := knowledge.DemoArticles()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]knowledge.Article, 0, n)
	for i := range n {
		a := demo[i%len(demo)]
		b := demo[rng.IntN(len(demo))]
		a.ID = fmt.Sprintf("%s-%05d", a.ID, i)
		a.Title = fmt.Sprintf("%s（%d）", a.Title, i)
		a.Body = a.Body + "\n\n" + b.Body
		a.Category = fmt.Sprintf("%s/%d", a.Category, i%20)
		out = append(out, a)
	}
	return out
}

var benchQueries = []string{"宽带上不了网", "漫游", "携号转网授权码", "发票", "票", "密码忘了怎么办", "KT5G129",
	"roaming charges", "brodband not working", "话废", "129元", "流量不够用", "投诉多久有结果"}

// BenchmarkMemorySearch20k measures one search over 20 000 articles in
// the in-memory index.
//
//	go test ./knowledge -run '^$' -bench MemorySearch20k -benchmem
func BenchmarkMemorySearch20k(b *testing.B) {
	m, err := knowledge.NewMemory()
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Load(synthetic(b, 20000)); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := m.Search(ctx, knowledge.Query{Text: benchQueries[i%len(benchQueries)], At: searchAt}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmbeddedSearch20k measures one search over 20 000 articles.
//
//	go test ./knowledge -run '^$' -bench EmbeddedSearch20k -benchmem
func BenchmarkEmbeddedSearch20k(b *testing.B) {
	e, err := knowledge.NewEmbedded()
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if err := e.Load(synthetic(b, 20000)); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := e.Search(ctx, knowledge.Query{Text: benchQueries[i%len(benchQueries)], At: searchAt}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEmbeddedFigures prints the figures of docs/knowledge.md: start-up
// (index build) time and heap for 20 000 articles, search latency
// percentiles, and publish-to-searchable time. It is a measurement, not a
// check, and runs only when asked:
//
//	go test ./knowledge -run TestEmbeddedFigures -v -figures
func TestEmbeddedFigures(t *testing.T) {
	if !*figures {
		t.Skip("measurement: run with -figures")
	}
	figuresOf(t, func() (figureIndex, error) { return knowledge.NewEmbedded() })
}

// TestMemoryFigures: the same figures for the in-memory index (the
// default embedded backend).
//
//	go test ./knowledge -run TestMemoryFigures -v -figures
func TestMemoryFigures(t *testing.T) {
	if !*figures {
		t.Skip("measurement: run with -figures")
	}
	figuresOf(t, func() (figureIndex, error) { return knowledge.NewMemory() })
}

type figureIndex interface {
	knowledge.Index
	Load([]knowledge.Article) error
	Count() int
	Close() error
}

func figuresOf(t *testing.T, open func() (figureIndex, error)) {
	as := synthetic(t, 20000)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	e, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Load(as); err != nil {
		t.Fatal(err)
	}
	build := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	t.Logf("start-up: %d articles indexed in %v; live heap grew by %.1f MiB, heap in use (spans) by %.1f MiB", e.Count(),
		build.Round(time.Millisecond), float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/(1<<20),
		float64(int64(m1.HeapInuse)-int64(m0.HeapInuse))/(1<<20))
	ctx := context.Background()
	var lat []time.Duration
	var g0, g1 runtime.MemStats
	runtime.ReadMemStats(&g0)
	cpu0 := cpuTime()
	for i := range 2000 {
		q := benchQueries[i%len(benchQueries)]
		t0 := time.Now()
		if _, err := e.Search(ctx, knowledge.Query{Text: q, At: searchAt}); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	cpu := (cpuTime() - cpu0) / time.Duration(len(lat))
	runtime.ReadMemStats(&g1)
	slices.Sort(lat)
	t.Logf("search over 20000 articles, %d queries: p50 %v p90 %v p99 %v max %v; process CPU per search %v", len(lat),
		lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)*99/100], lat[len(lat)-1], cpu.Round(10*time.Microsecond))
	// What does not depend on the machine's load: the garbage a search
	// leaves and the collections it causes.
	t.Logf("per search: %.1f KB allocated, %.1f allocations; %d GC cycles over the %d searches (%v stop-the-world in total)",
		float64(g1.TotalAlloc-g0.TotalAlloc)/float64(len(lat))/1000, float64(g1.Mallocs-g0.Mallocs)/float64(len(lat)),
		g1.NumGC-g0.NumGC, len(lat), time.Duration(g1.PauseTotalNs-g0.PauseTotalNs).Round(time.Microsecond))
	// Publish to searchable: Upsert returns once the article is searchable.
	var pub []time.Duration
	for i := range 200 {
		a := as[i]
		a.ID = fmt.Sprintf("new-%d", i)
		a.ValidFrom, a.ValidUntil = nil, nil
		a.Title = fmt.Sprintf("新资费公告 zqx%d", i)
		t0 := time.Now()
		if err := e.Upsert(ctx, a); err != nil {
			t.Fatal(err)
		}
		res, err := e.Search(ctx, knowledge.Query{Text: fmt.Sprintf("zqx%d", i), At: searchAt})
		if err != nil || len(res.Hits) == 0 || !strings.HasPrefix(res.Hits[0].ID, "new-") {
			t.Fatalf("new article not found at once: %+v %v", res, err)
		}
		pub = append(pub, time.Since(t0))
	}
	slices.Sort(pub)
	t.Logf("publish to searchable (upsert + first search finds it): p50 %v p99 %v", pub[len(pub)/2], pub[len(pub)*99/100])
}

// cpuTime is the CPU time the process used so far: on a shared machine it
// says what a search costs better than wall-clock latency does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMemoryQuery20k measures each query class of benchQueries on its
// own over 20 000 articles, with allocations: the per-query cost without
// the mix.
//
//	go test ./knowledge -run '^$' -bench MemoryQuery20k -benchmem
func BenchmarkMemoryQuery20k(b *testing.B) {
	m, err := knowledge.NewMemory()
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Load(synthetic(b, 20000)); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, q := range benchQueries {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Search(ctx, knowledge.Query{Text: q, At: searchAt}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
