package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/pgtest"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var (
	ctx = context.Background()
	t0  = time.Date(2026, 11, 22, 8, 30, 0, 0, time.UTC)
)

func eachBackend(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.Postgres(t)) })
}

// clock is a manual clock: each reading is one second after the last.
func clock() func() time.Time {
	now := t0
	return func() time.Time { now = now.Add(time.Second); return now }
}

func TestAppendAndList(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *store.Store) {
		l := audit.New(st, audit.Options{Now: clock()})
		agent := auth.Principal{Role: auth.RoleAgent, AgentID: "a1", Login: "zhang"}
		key := auth.Principal{Role: auth.RoleIntegration, APIKeyID: "k1", Login: "crm"}
		before, after, err := audit.Change(map[string]int{"sl": 20}, map[string]int{"sl": 30})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := l.Append(ctx,
			audit.Record{Action: audit.ActionCustomerView, SubjectKind: audit.KindCustomer, SubjectID: "cu1"}.By(agent, "192.0.2.1"),
			audit.Record{Action: audit.ActionTicketsExport, SubjectKind: audit.KindTickets, SubjectID: "status=open"}.By(key, "192.0.2.2"),
		)
		if err != nil {
			t.Fatal(err)
		}
		if recs[0].ID == "" || !recs[0].At.Equal(t0.Add(time.Second)) || recs[0].Actor != "a1" || recs[0].ActorRole != "agent" || recs[1].Actor != "apikey:k1" {
			t.Fatalf("got %+v", recs)
		}
		if _, err := l.Append(ctx, audit.Record{Actor: "ad1", ActorRole: "admin", Action: "admin.queue.update",
			SubjectKind: "queue", SubjectID: "billing", Before: before, After: after}); err != nil {
			t.Fatal(err)
		}

		// Paging: two pages of one and two, then none.
		p1, err := l.List(ctx, audit.Query{Limit: 1})
		if err != nil || len(p1.Records) != 1 || p1.Records[0].Action != "admin.queue.update" || p1.Next == "" {
			t.Fatalf("page 1: %+v, %v", p1, err)
		}
		if string(p1.Records[0].After) != `{"sl":30}` {
			t.Fatalf("after: got %s", p1.Records[0].After)
		}
		p2, err := l.List(ctx, audit.Query{Limit: 5, Cursor: p1.Next})
		if err != nil || len(p2.Records) != 2 || p2.Next != "" || p2.Records[1].SubjectID != "cu1" {
			t.Fatalf("page 2: %+v, %v", p2, err)
		}

		for _, c := range []struct {
			q    audit.Query
			want int
		}{
			{audit.Query{Action: "customer.view"}, 1},
			{audit.Query{Action: "customer."}, 1},
			{audit.Query{Action: "customer"}, 0},
			{audit.Query{Actor: "apikey:k1"}, 1},
			{audit.Query{SubjectKind: "customer", SubjectID: "cu1"}, 1},
			{audit.Query{From: t0.Add(2 * time.Second)}, 1}, // one batch, one time
			{audit.Query{To: t0.Add(2 * time.Second)}, 2},
		} {
			p, err := l.List(ctx, c.q)
			if err != nil || len(p.Records) != c.want {
				t.Errorf("%+v: got %d records (%v), want %d", c.q, len(p.Records), err, c.want)
			}
		}

		if _, err := l.List(ctx, audit.Query{Cursor: "x"}); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("bad cursor: got %v", err)
		}
		if _, err := l.Append(ctx, audit.Record{Action: "customer.view", SubjectKind: "customer"}); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("no actor: got %v", err)
		}
		if _, err := l.Append(ctx, audit.Record{Actor: "a", Action: "x", SubjectKind: "k", After: json.RawMessage("{")}); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("bad JSON: got %v", err)
		}
	})
}

// A record written in a transaction goes with the change it describes.
func TestInTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *store.Store) {
		l := audit.New(st, audit.Options{Now: clock()})
		boom := errors.New("boom")
		err := st.WithTx(ctx, func(tx *store.Store) error {
			if _, err := l.In(tx).Append(ctx, audit.Record{Actor: "ad1", Action: "admin.agent.update", SubjectKind: "agent", SubjectID: "a1"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		p, err := l.List(ctx, audit.Query{})
		if err != nil || len(p.Records) != 0 {
			t.Fatalf("rolled back record kept: %+v, %v", p, err)
		}
	})
}
