package contactrecord

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
	"github.com/hotline10000/hotline/ivr"
)

// TestBatch publishes a backlog before Run starts, so it is applied as
// batches in transactions, with events that fail in the middle: an end
// for a contact never started (not found) and a second start of the same
// contact (a conflict, which aborts a PostgreSQL transaction). Every
// other event must still be recorded.
func TestBatch(t *testing.T) {
	for _, b := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			st := b.open(t)
			bus := event.NewBus(event.Options{})
			rec := New(bus, st, slog.New(slog.DiscardHandler))
			t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
			pub := func(e ivr.Event) {
				if _, err := bus.Publish(ctx, event.Event{Type: "ivr.event", At: e.Head().Time, ContactID: e.Head().ContactID, Data: e}); err != nil {
					t.Fatal(err)
				}
			}
			head := func(id string, s int) ivr.Header {
				return ivr.Header{ContactID: id, Time: t0.Add(time.Duration(s) * time.Second), Flow: "main", Channel: ivr.Voice}
			}
			const calls = 2 * maxBatch // more than one batch
			for i := range calls {
				id := fmt.Sprintf("c%d", i)
				pub(ivr.Started{Header: head(id, 0), ANI: "13900000009", Entry: "10000"})
				switch i {
				case 10:
					pub(ivr.Ended{Header: head("never-started", 5), Outcome: ivr.OutcomeSelfService})
				case 20:
					pub(ivr.Started{Header: head(id, 1), ANI: "13900000009", Entry: "10000"})
				}
				pub(ivr.Ended{Header: head(id, 30), Outcome: ivr.OutcomeSelfService})
			}
			done := make(chan struct{})
			go func() { rec.Run(ctx); close(done) }()
			bus.Close()
			<-done
			for i := range calls {
				c, err := st.Contact(ctx, fmt.Sprintf("c%d", i))
				if err != nil {
					t.Fatalf("c%d: %v", i, err)
				}
				if c.Outcome != store.OutcomeSelfService || c.EndedAt == nil || !c.StartedAt.Equal(t0) {
					t.Fatalf("c%d: got %+v, want self-service, started at %v", i, c, t0)
				}
			}
			if _, err := st.Contact(ctx, "never-started"); err == nil {
				t.Error("got a record of a contact that never started")
			}
		})
	}
}

// BenchmarkApply is the projection's cost per contact (a voice call that
// starts and ends in the IVR: a customer lookup, an insert, an update) on
// SQLite, applied one event per transaction (as before batching) and as
// the batches Run makes of a backlog.
//
//	go test -run X -bench Apply ./internal/contactrecord
func BenchmarkApply(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
	}{{"one-per-tx", 1}, {"batched", maxBatch}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			st := storetest.SQLite(b)
			bus := event.NewBus(event.Options{})
			defer bus.Close()
			c := New(bus, st, slog.New(slog.DiscardHandler))
			t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
			const contacts = 128
			events := make([]event.Event, 0, 2*contacts)
			n := 0
			for b.Loop() {
				events = events[:0]
				for range contacts {
					id := fmt.Sprintf("c%d", n)
					n++
					h := ivr.Header{ContactID: id, Time: t0, Flow: "main", Channel: ivr.Voice}
					events = append(events,
						event.Event{Type: "ivr.event", ContactID: id, Data: ivr.Started{Header: h, ANI: "13900000009", Entry: "10000"}},
						event.Event{Type: "ivr.event", ContactID: id, Data: ivr.Ended{Header: h, Outcome: ivr.OutcomeSelfService}})
				}
				for i := 0; i < len(events); i += bc.size {
					c.applyBatch(ctx, events[i:min(i+bc.size, len(events))])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/contact")
		})
	}
}
