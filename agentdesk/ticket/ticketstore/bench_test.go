package ticketstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/ticketstore"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
	"github.com/hotline10000/hotline/internal/pgtest"
	"github.com/hotline10000/hotline/internal/store"
)

var benchStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func benchService(b *testing.B, repo ticket.Repository) *ticket.Service {
	svc, err := ticket.NewService(repo, tickettest.NewClock(benchStart), ticket.Config{
		Calendar: tickettest.Always{},
		Rules:    []ticket.Rule{{Name: "all", Group: "g"}},
		SLA: ticket.SLAConfig{Policies: []ticket.Policy{{Name: "all", FirstResponse: time.Hour, Resolution: 8 * time.Hour}},
			WarnAt: []float64{0.75}},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

// BenchmarkCreate measures ticket creation through the desk (number, SLA,
// routing, two history entries, the customer SMS in the outbox, one
// transaction) with 8 concurrent creators. Run:
//
//	go test -run '^$' -bench 'Create|Claim' -benchtime 5000x -count 3 ./agentdesk/ticket/ticketstore/
func BenchmarkCreate(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			svc := benchService(b, ticketstore.New(open(b, be.options(b)), 100))
			sys := ticket.Actor{ID: "bench", Role: ticket.SystemRole}
			var n atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(4) // 4 × GOMAXPROCS(2) = 8 creators
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := svc.Create(context.Background(), sys, tickettest.Draft(int(n.Add(1)), ""), ""); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "creates/s")
		})
	}
}

// BenchmarkClaim measures claims of pooled tickets by 8 concurrent agents,
// each claim a locked read, a version-checked update, a history entry.
func BenchmarkClaim(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			svc := benchService(b, ticketstore.New(open(b, be.options(b)), 100))
			sys := ticket.Actor{ID: "bench", Role: ticket.SystemRole}
			ids := make([]int64, b.N)
			for i := range ids {
				t, _, err := svc.Create(context.Background(), sys, tickettest.Draft(i, "g"), "")
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = t.ID
			}
			var next, agent atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				a := ticket.Actor{ID: fmt.Sprint("agent", agent.Add(1)), Role: ticket.AgentRole, Groups: []string{"g"}}
				for pb.Next() {
					id := ids[next.Add(1)-1]
					if _, err := svc.Do(context.Background(), a, id, ticket.Command{Action: ticket.Claim}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "claims/s")
		})
	}
}

// BenchmarkTimerScan measures the SLA timer loop's scan on PostgreSQL with
// 1 000 000 open tickets of which 100 are due: the range scan of the
// partial index on next_due that FireDue starts with, and a FireDue that
// finds nothing due. Seeding takes a minute. Run:
//
//	go test -run '^$' -bench TimerScan -benchtime 2000x -count 3 ./agentdesk/ticket/ticketstore/
func BenchmarkTimerScan(b *testing.B) {
	url := pgtest.NewDatabase(b)
	st := open(b, store.Options{URL: url})
	const total, due = 1_000_000, 100
	seed(b, url, total, due)
	repo := ticketstore.New(st, 100)
	ctx := context.Background()

	b.Run("due-query", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var ids []int64
			err := repo.InTx(ctx, func(tx ticket.Tx) (err error) {
				ids, err = tx.Due(ctx, benchStart, 1000)
				return err
			})
			if err != nil || len(ids) != due {
				b.Fatalf("got %d due, %v; want %d", len(ids), err, due)
			}
		}
	})
	b.Run("fire-none-due", func(b *testing.B) {
		clock := tickettest.NewClock(benchStart.Add(-time.Hour)) // before every timer
		svc, err := ticket.NewService(repo, clock, ticket.Config{Calendar: tickettest.Always{}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if n, err := svc.FireDue(ctx, 1000); err != nil || n != 0 {
				b.Fatalf("fired %d, %v", n, err)
			}
		}
	})
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM tickets
		WHERE next_due <= $1 AND is_open = true ORDER BY next_due, id LIMIT 1000`, benchStart)
	if err != nil {
		b.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var line string
		rows.Scan(&line)
		plan = append(plan, line)
	}
	b.Logf("plan with %d open tickets:\n%s", total, strings.Join(plan, "\n"))
}

// seed inserts total open tickets straight in SQL; the first due have a
// timer due at benchStart, the rest over the following weeks.
func seed(b *testing.B, url string, total, due int) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	doc := `{"type":"fault","category":"broadband","priority":"normal","customer":{"phone":"13900000000","tier":"standard"},` +
		`"channel":"phone","subject":"s","description":"","group":"g","status":"pooled","sla":{"resolution_target":28800,` +
		`"since":"2026-11-23T09:00:00Z","fired":[]},"created_at":"2026-11-23T09:00:00Z","updated_at":"2026-11-23T09:00:00Z"}`
	_, err = conn.Exec(ctx, `INSERT INTO tickets (number, type, category, priority, priority_rank, status, is_open,
		group_name, phone, subject, created_at, updated_at, next_due, deadline, version, doc)
		SELECT '20261123' || lpad(i::text, 7, '0'), 'fault', 'broadband', 'normal', 1, 'pooled', true,
			'g' || (i % 50), '139' || lpad(i::text, 8, '0'), 'subject', $1::timestamptz, $1::timestamptz,
			CASE WHEN i <= $3 THEN $1::timestamptz ELSE $1::timestamptz + (i || ' seconds')::interval END,
			$1::timestamptz + interval '8 hours', 1, $4
		FROM generate_series(1, $2::int) AS i`, benchStart, total, due, doc)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `ANALYZE tickets`); err != nil {
		b.Fatal(err)
	}
}
