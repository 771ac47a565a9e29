package store_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

func ticketRow(i int, at time.Time) store.TicketRow {
	return store.TicketRow{
		Number: fmt.Sprintf("20261122%06d", i), Type: "fault", Category: "broadband",
		Priority: "normal", PriorityRank: 1, Status: "pooled", Open: true, Group: "g", Phone: "13900000001",
		Subject: "100% down_now", CreatedAt: at, UpdatedAt: at, NextDue: at.Add(time.Duration(i) * time.Minute),
		Version: 1, Doc: `{"x":1}`,
	}
}

func TestTicketRows(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		a, b := ticketRow(1, t0), ticketRow(2, t0)
		a.IdempotencyKey = "k"
		b.Subject = "line down"
		for _, r := range []*store.TicketRow{&a, &b} {
			if err := s.CreateTicket(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		dup := ticketRow(3, t0)
		dup.IdempotencyKey = "k"
		wantErr(t, s.CreateTicket(ctx, &dup), store.ErrConflict)

		up := a
		up.Version, up.Status, up.NextDue = 2, "closed", time.Time{}
		if err := s.UpdateTicket(ctx, up, 1); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.UpdateTicket(ctx, up, 1), store.ErrStale)
		up.ID = 999
		wantErr(t, s.UpdateTicket(ctx, up, 1), store.ErrNotFound)
		got, err := s.Ticket(ctx, a.ID)
		if err != nil || got.Version != 2 || got.Status != "closed" || !got.NextDue.IsZero() || got.IdempotencyKey != "k" {
			t.Fatalf("after update: got %+v, %v", got, err)
		}

		// LIKE wildcards in the search text match literally.
		for q, want := range map[string]int{"100%": 1, "%": 1, "_": 1, "LINE": 1, "n": 2, "x%y": 0} {
			rows, err := s.SearchTickets(ctx, store.TicketQuery{Text: q})
			if err != nil || len(rows) != want {
				t.Errorf("text %q: got %d rows, %v; want %d", q, len(rows), err, want)
			}
		}
		ids, err := s.DueTickets(ctx, t0.Add(time.Hour), 10)
		if err != nil || !slices.Equal(ids, []int64{b.ID}) {
			t.Errorf("due: got %v, %v; want only the open ticket", ids, err)
		}
	})
}

// TestOutboxClaimsAreExclusive has couriers claim concurrently: every
// message is handed out exactly once.
func TestOutboxClaimsAreExclusive(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		tk := ticketRow(1, t0)
		if err := s.CreateTicket(ctx, &tk); err != nil {
			t.Fatal(err)
		}
		const n = 200
		var ms []store.OutboxMessage
		for i := range n {
			ms = append(ms, store.OutboxMessage{Key: fmt.Sprint("m", i), Ticket: tk.ID, Medium: "sms", To: "1",
				Body: "b", State: "queued", NextTry: t0, CreatedAt: t0})
		}
		if err := s.EnqueueOutbox(ctx, ms); err != nil {
			t.Fatal(err)
		}
		if err := s.EnqueueOutbox(ctx, ms[:10]); err != nil { // repeats are skipped
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for {
					got, err := s.ClaimOutbox(ctx, t0, time.Minute, 7)
					if err != nil && !errors.Is(err, store.ErrBusy) {
						t.Error(err)
						return
					}
					if len(got) == 0 && err == nil {
						return
					}
					mu.Lock()
					for _, m := range got {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d distinct messages, want %d", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Fatalf("message %d claimed %d times", id, c)
			}
		}
		all, err := s.TicketOutbox(ctx, tk.ID)
		if err != nil || len(all) != n || all[0].Attempts != 1 || !all[0].NextTry.Equal(t0.Add(time.Minute)) {
			t.Fatalf("outbox: %d messages, first %+v, %v", len(all), all[0], err)
		}
		m := all[0]
		m.State, m.Outcome, m.SentAt = "sent", "gw-1", t0.Add(time.Second)
		if err := s.SaveOutbox(ctx, m); err != nil {
			t.Fatal(err)
		}
		m.ID = 1 << 40
		wantErr(t, s.SaveOutbox(ctx, m), store.ErrNotFound)
	})
}
