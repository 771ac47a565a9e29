package metrics_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store/storetest"
	"github.com/hotline10000/hotline/metrics"
	"github.com/hotline10000/hotline/metrics/kpiapi"
)

// servedRunner is a running Runner rebuilt from a day of traffic over 50
// queues × 2 channels and 2000 agents (metrics.BenchEvents), its clock at
// the day's last event.
func servedRunner(b *testing.B) *metrics.Runner {
	evs := metrics.BenchEvents(100_000)
	now := evs[len(evs)-1].At
	loc, _ := time.LoadLocation("Asia/Shanghai")
	bus := event.NewBus(event.Options{})
	r := metrics.NewRunner(bus, metrics.RunnerOptions{Engine: metrics.Options{Location: loc}, Clock: func() time.Time { return now },
		Replay: func(_ context.Context, from, to time.Time, fn func(event.Event)) error {
			for _, e := range evs {
				fn(e)
			}
			return nil
		}})
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.Run(ctx) })
	b.Cleanup(func() { stop(); wg.Wait(); bus.Close() })
	<-r.Built()
	return r
}

// BenchmarkKPIAPI is one GET /api/v1/kpis as served: a supervisor's
// session checked, the report read on the engine's goroutine, JSON
// written; over 50 queues × 2 channels.
func BenchmarkKPIAPI(b *testing.B) {
	r := servedRunner(b)
	ctx := context.Background()
	st := storetest.SQLite(b)
	a := auth.NewService(st, auth.Options{PasswordMinLength: 8, IdleTimeout: time.Hour, MaxAge: time.Hour})
	if _, err := a.CreateAgent(ctx, "boss", "Boss", auth.RoleSupervisor, "correct horse"); err != nil {
		b.Fatal(err)
	}
	tok, _, _, err := a.Login(ctx, "boss", "correct horse", "127.0.0.1", "bench")
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	kpiapi.New(r, nil, nil, 0).Routes(mux, a)
	for _, q := range []string{"window=today", "window=interval&channel=voice&queue=q07-voice", "window=hour&channel=chat"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b, metrics.CPUTime())
			for b.Loop() {
				req := httptest.NewRequest("GET", "/api/v1/kpis?"+q, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				w := httptest.NewRecorder()
				mux.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkScrapeHTTP is one GET /metrics as served by the collector:
// raw series and 23 KPIs × 3 windows × 103 filters, text format, over 50
// queues × 2 channels.
func BenchmarkScrapeHTTP(b *testing.B) {
	r := servedRunner(b)
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(r))
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	b.ReportAllocs()
	defer reportCPU(b, metrics.CPUTime())
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		if w.Code != http.StatusOK {
			b.Fatalf("%d", w.Code)
		}
		b.SetBytes(int64(w.Body.Len()))
	}
}

// reportCPU reports the process's CPU time per operation since cpu0 (GC
// and the engine's goroutine included): on a shared machine the wall clock
// counts other people's work.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(metrics.CPUTime()-cpu0)/float64(b.N), "cpu-ns/op")
}
