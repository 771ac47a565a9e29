package calendar

import (
	"testing"
	"time"
)

// benchStarts are instants spread over a year (every 7h13m: all hours and
// weekdays), so the benchmarks see open, closed, lunch and weekend starts.
func benchStarts(c *Calendar) []time.Time {
	starts := make([]time.Time, 1024)
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, c.Location())
	for i := range starts {
		starts[i] = t
		t = t.Add(7*time.Hour + 13*time.Minute)
	}
	return starts
}

var sinkTime time.Time
var sinkDur time.Duration

func BenchmarkAdd(b *testing.B) {
	for _, bc := range []struct {
		name string
		d    time.Duration
	}{{"4h", 4 * time.Hour}, {"24h", 24 * time.Hour}, {"160h", 160 * time.Hour}} {
		b.Run(bc.name, func(b *testing.B) {
			c := mustNew(b, mainSpec())
			starts := benchStarts(c)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				sinkTime = c.Add(starts[i%len(starts)], bc.d)
				i++
			}
		})
	}
}

func BenchmarkBetween(b *testing.B) {
	for _, bc := range []struct {
		name string
		span time.Duration
	}{{"4h", 4 * time.Hour}, {"3d", 72 * time.Hour}, {"30d", 30 * 24 * time.Hour}} {
		b.Run(bc.name, func(b *testing.B) {
			c := mustNew(b, mainSpec())
			starts := benchStarts(c)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				a := starts[i%len(starts)]
				sinkDur = c.Between(a, a.Add(bc.span))
				i++
			}
		})
	}
}

func BenchmarkIsOpen(b *testing.B) {
	c := mustNew(b, mainSpec())
	starts := benchStarts(c)
	b.ReportAllocs()
	i, n := 0, 0
	for b.Loop() {
		if c.IsOpen(starts[i%len(starts)]) {
			n++
		}
		i++
	}
	_ = n
}
