package store_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

func TestKPIIntervals(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		a := store.KPIInterval{Start: t0, Queue: "billing", Channel: "voice", Requests: 5, Answered: 4, AnsweredInSL: 3,
			Abandoned: 1, ShortAbandons: 1, Handled: 4, AnswerWait: 41500 * time.Millisecond, Talk: 12 * time.Minute,
			Hold: 30 * time.Second, ACW: 75 * time.Second, UpdatedAt: t0.Add(15 * time.Minute)}
		b := store.KPIInterval{Start: t0.Add(15 * time.Minute), Queue: "billing", Channel: "voice", Requests: 1, SystemLost: 1,
			UpdatedAt: t0.Add(30 * time.Minute)}
		c := store.KPIInterval{Start: t0, Queue: "billing", Channel: "chat", Requests: 2, Answered: 2, AnsweredInSL: 2,
			AnswerWait: 3 * time.Second, UpdatedAt: t0.Add(15 * time.Minute)}
		d := store.KPIInterval{Start: t0, Queue: "2-vip", Channel: "voice", UpdatedAt: t0.Add(15 * time.Minute)}
		if err := s.SaveKPIIntervals(ctx, []store.KPIInterval{b, a, c, d}); err != nil {
			t.Fatal(err)
		}
		// After-contact work lands in a closed interval: the row is
		// written again and replaced, not added to.
		a.ACW, a.UpdatedAt = 95*time.Second, t0.Add(20*time.Minute)
		if err := s.SaveKPIIntervals(ctx, []store.KPIInterval{a}); err != nil {
			t.Fatal(err)
		}
		got, err := s.KPIIntervals(ctx, t0, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := []store.KPIInterval{d, c, a, b} // by queue, channel, start
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
		got, err = s.KPIIntervals(ctx, t0.Add(15*time.Minute), t0.Add(30*time.Minute))
		if err != nil || len(got) != 1 || got[0] != b {
			t.Fatalf("one interval: got %+v, %v; want %+v", got, err, b)
		}
		for _, bad := range []store.KPIInterval{{Queue: "q", Channel: "voice"}, {Start: t0, Channel: "voice"}, {Start: t0, Queue: "q", Channel: "fax"}} {
			if err := s.SaveKPIIntervals(ctx, []store.KPIInterval{bad}); err == nil {
				t.Fatalf("saved %+v", bad)
			}
		}
	})
}

// A release can bring a migration numbered below one the database already
// has (the numbers are ranges per part of the system): it is applied.
func TestMigrateOutOfOrder(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			file := func(name string) *fstest.MapFile {
				data, err := os.ReadFile(filepath.Join("migrations", b.name, name))
				if err != nil {
					t.Fatal(err)
				}
				return &fstest.MapFile{Data: data}
			}
			later := &fstest.MapFile{Data: []byte("-- +goose Up\nCREATE TABLE later_part (id INT);\n-- +goose Down\nDROP TABLE later_part;\n")}
			o := b.options(t)
			old := open(t, store.WithMigrations(o, fstest.MapFS{"00001_foundation.sql": file("00001_foundation.sql"), "00100_later.sql": later}))
			old.Close()
			s := open(t, store.WithMigrations(o, fstest.MapFS{"00001_foundation.sql": file("00001_foundation.sql"),
				"00050_kpi_intervals.sql": file("00050_kpi_intervals.sql"), "00100_later.sql": later}))
			if err := s.SaveKPIIntervals(ctx, []store.KPIInterval{{Start: t0, Queue: "q", Channel: "voice", UpdatedAt: t0}}); err != nil {
				t.Fatalf("the out-of-order migration was not applied: %v", err)
			}
		})
	}
}

// The outbox carries messages about no ticket (the KPI day report): queued,
// claimed and recorded like a ticket's.
func TestOutboxWithoutTicket(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		m := store.OutboxMessage{Key: "kpi-day:2026-11-22:boss@example.cn", Medium: "email", To: "boss@example.cn",
			Subject: "日报", Body: "SL01 92 %", State: "queued", NextTry: t0, CreatedAt: t0}
		if err := s.EnqueueOutbox(ctx, []store.OutboxMessage{m, m}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ClaimOutbox(ctx, t0, time.Minute, 10)
		if err != nil || len(got) != 1 || got[0].Ticket != 0 || got[0].Key != m.Key || got[0].Body != m.Body || got[0].Attempts != 1 {
			t.Fatalf("claimed %+v (%v), want the one message without ticket", got, err)
		}
		got[0].State, got[0].SentAt = "sent", t0.Add(time.Second)
		if err := s.SaveOutbox(ctx, got[0]); err != nil {
			t.Fatal(err)
		}
	})
}

// Rows queued before the outbox took ticket-less messages keep their ids
// and tickets through the migration.
func TestOutboxMigrationKeepsRows(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			before := fstest.MapFS{}
			entries, err := os.ReadDir(filepath.Join("migrations", b.name))
			if err != nil {
				t.Fatal(err)
			}
			all := fstest.MapFS{}
			for _, e := range entries {
				data, err := os.ReadFile(filepath.Join("migrations", b.name, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				all[e.Name()] = &fstest.MapFile{Data: data}
				if e.Name() < "00051" {
					before[e.Name()] = all[e.Name()]
				}
			}
			o := b.options(t)
			old := open(t, store.WithMigrations(o, before))
			row := ticketRow(1, t0)
			if err := old.CreateTicket(ctx, &row); err != nil {
				t.Fatal(err)
			}
			tk := row.ID
			if err := old.EnqueueOutbox(ctx, []store.OutboxMessage{{Key: "k1", Ticket: tk, Medium: "sms", To: "1", Body: "b",
				State: "queued", NextTry: t0, CreatedAt: t0}}); err != nil {
				t.Fatal(err)
			}
			old.Close()
			s := open(t, store.WithMigrations(o, all))
			ms, err := s.TicketOutbox(ctx, tk)
			if err != nil || len(ms) != 1 || ms[0].Key != "k1" || ms[0].Ticket != tk {
				t.Fatalf("after the migration: %+v (%v), want k1 of ticket %d", ms, err, tk)
			}
		})
	}
}
