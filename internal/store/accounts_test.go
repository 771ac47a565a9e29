package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

func TestAccounts(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		if _, err := s.CreateCustomer(ctx, store.Customer{ANI: "13300000001", Account: "0571-1", Tier: store.TierGold}); err != nil {
			t.Fatal(err)
		}
		due := t0.Add(10 * 24 * time.Hour)
		a := store.Account{Account: "0571-1", BalanceFen: -305, BillFen: 12850, BillDue: &due, Points: 4200, UpdatedAt: t0}
		if err := s.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err := s.Account(ctx, "0571-1")
		if err != nil || got.BalanceFen != -305 || got.BillFen != 12850 || !got.BillDue.Equal(due) || got.Points != 4200 || got.ServicePasswordHash != "" {
			t.Fatalf("account: got %+v, %v", got, err)
		}
		if err := s.SetServicePasswordHash(ctx, "0571-1", "$2a$hash", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Account(ctx, "0571-1")
		if got.ServicePasswordHash != "$2a$hash" || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after password: %+v", got)
		}
		wantErr(t, s.SetServicePasswordHash(ctx, "nope", "h", t0), store.ErrNotFound)
		_, err = s.Account(ctx, "nope")
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.UpsertAccount(ctx, store.Account{Account: "no-customer", UpdatedAt: t0}), store.ErrReference)
		wantErr(t, s.UpsertAccount(ctx, store.Account{Account: "0571-1", Points: -1, UpdatedAt: t0}), store.ErrInvalid)
	})
}

func TestSnapshots(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		_, _, err := s.LoadSnapshot(ctx, "acd")
		wantErr(t, err, store.ErrNotFound)
		for i, body := range []string{`{"queues":[{"id":"q1","waiting":["c1","c2"]}]}`, `{"queues":[]}`} {
			if err := s.SaveSnapshot(ctx, "acd", []byte(body), t0.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		data, at, err := s.LoadSnapshot(ctx, "acd")
		var v map[string]any
		if err != nil || json.Unmarshal(data, &v) != nil || len(v["queues"].([]any)) != 0 || !at.Equal(t0.Add(time.Minute)) {
			t.Fatalf("snapshot: %s at %v, %v", data, at, err)
		}
		wantErr(t, s.SaveSnapshot(ctx, "", []byte(`{}`), t0), store.ErrInvalid)
	})
}
