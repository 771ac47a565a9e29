package store_test

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkAppendEvents measures the event log's write rate on each backend
// in the recorder's batch sizes. Run:
//
//	go test -run '^$' -bench AppendEvents -benchtime 20x ./internal/store/
func BenchmarkAppendEvents(b *testing.B) {
	for _, be := range backends {
		for _, batch := range []int{100, 500, 2000} {
			b.Run(fmt.Sprintf("%s/batch=%d", be.name, batch), func(b *testing.B) {
				s := open(b, be.options(b))
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					if err := s.AppendEvents(ctx, testEvents(batch, t0)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "events/s")
			})
		}
	}
}
