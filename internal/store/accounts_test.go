package store_test

import (
	"encoding/json"
	"maps"
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

// A snapshot kept in parts: the head and the changed parts go in one
// save; Replace drops what an earlier process left; a whole save drops the
// parts.
func TestSnapshotParts(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		got := func() map[string]string {
			t.Helper()
			ps, err := s.SnapshotParts(ctx, "acd")
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for k, v := range ps {
				out[k] = string(v)
			}
			return out
		}
		type delta struct {
			Head    []byte
			Put     map[string][]byte
			Gone    []string
			Replace bool
		}
		save := func(d delta) {
			t.Helper()
			if err := s.SaveSnapshotDelta(ctx, "acd", d.Head, d.Put, d.Gone, d.Replace, t0); err != nil {
				t.Fatal(err)
			}
		}
		if ps := got(); len(ps) != 0 {
			t.Fatalf("parts of an unsaved snapshot: got %v, want none", ps)
		}
		save(delta{Head: []byte(`{"seq":1}`), Put: map[string][]byte{"a": []byte(`{"id":"a"}`), "b": []byte(`{"id":"b"}`)}, Replace: true})
		save(delta{Head: []byte(`{"seq":2}`), Put: map[string][]byte{"b": []byte(`{"id":"b","n":2}`), "c": []byte(`{"id":"c"}`)}, Gone: []string{"a"}})
		if ps, want := got(), map[string]string{"b": `{"id":"b","n":2}`, "c": `{"id":"c"}`}; !maps.Equal(ps, want) {
			t.Fatalf("after a delta: got %v, want %v", ps, want)
		}
		data, _, err := s.LoadSnapshot(ctx, "acd")
		var head map[string]any
		if err != nil || json.Unmarshal(data, &head) != nil || head["seq"] != 2.0 {
			t.Fatalf("head: got %s, %v; want seq 2", data, err)
		}
		save(delta{Head: []byte(`{"seq":3}`), Put: map[string][]byte{"d": []byte(`{"id":"d"}`)}, Replace: true})
		if ps, want := got(), map[string]string{"d": `{"id":"d"}`}; !maps.Equal(ps, want) {
			t.Fatalf("after a replace: got %v, want %v", ps, want)
		}
		if err := s.SaveSnapshot(ctx, "acd", []byte(`{"seq":4}`), t0); err != nil {
			t.Fatal(err)
		}
		if ps := got(); len(ps) != 0 {
			t.Fatalf("after a whole save: got parts %v, want none", ps)
		}
		wantErr(t, s.SaveSnapshotDelta(ctx, "", []byte(`{}`), nil, nil, false, t0), store.ErrInvalid)
	})
}
