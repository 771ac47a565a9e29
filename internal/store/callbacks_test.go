package store_test

import (
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

// A callback is saved, updated in place (an attempt not answered), listed
// the next attempt first, and deleted once.
func TestCallbacks(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		a := store.Callback{ID: "call-a", Contact: "call-a", Number: "13900001234", Queue: "general-voice", Tier: "gold",
			NextAt: t0.Add(time.Hour), CreatedAt: t0}
		b := store.Callback{ID: "call-b", Contact: "call-b", Number: "13900005678", Queue: "general-voice", NextAt: t0.Add(2 * time.Hour), CreatedAt: t0}
		for _, c := range []store.Callback{b, a} {
			if err := s.SaveCallback(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Callbacks(ctx)
		if err != nil || len(got) != 2 || got[0] != a || got[1] != b {
			t.Fatalf("got %+v, %v; want a then b", got, err)
		}
		// call-a not answered: waiting to retry after call-b's turn.
		a.Contact, a.Attempts, a.NextAt = "", 1, t0.Add(3*time.Hour)
		if err := s.SaveCallback(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err = s.Callbacks(ctx)
		if err != nil || len(got) != 2 || got[0] != b || got[1] != a {
			t.Fatalf("after the retry: got %+v, %v; want b then a (attempts 1, no contact)", got, err)
		}
		if err := s.DeleteCallback(ctx, "call-b"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.DeleteCallback(ctx, "call-b"), store.ErrNotFound)
		if got, err := s.Callbacks(ctx); err != nil || len(got) != 1 || got[0].ID != "call-a" {
			t.Fatalf("after the delete: got %+v, %v", got, err)
		}
	})
}
