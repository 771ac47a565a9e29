package store_test

import (
	"slices"
	"testing"

	"github.com/hotline10000/hotline/internal/store"
)

// A customer's further contact numbers: kept in order, found by
// CustomerByANI and the search like the customer's own number, one owner
// each, gone with a replacement.
func TestCustomerNumbers(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		a, err := s.CreateCustomer(ctx, store.Customer{ANI: "13300000001", Account: "A1", Name: "周杰", Tier: store.TierGold, CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.CreateCustomer(ctx, store.Customer{ANI: "13300000002", Name: "吴霞", Tier: store.TierStandard, CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetCustomerNumbers(ctx, a.ID, []string{"057188001234", "13900000009"}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.CustomerNumbers(ctx, a.ID); err != nil || !slices.Equal(got, []string{"057188001234", "13900000009"}) {
			t.Fatalf("numbers: %v %v", got, err)
		}
		for _, n := range []string{"13300000001", "057188001234", "13900000009"} {
			if c, err := s.CustomerByANI(ctx, n); err != nil || c.ID != a.ID || c.Tier != store.TierGold {
				t.Errorf("customer by %s: %+v %v", n, c, err)
			}
			if id, err := s.NumberOwner(ctx, n); err != nil || id != a.ID {
				t.Errorf("owner of %s: %q %v", n, id, err)
			}
		}
		if id, err := s.NumberOwner(ctx, "0000000"); err != nil || id != "" {
			t.Errorf("owner of nobody's number: %q %v", id, err)
		}
		if page, err := s.CustomersPaged(ctx, "", "88001234", 10); err != nil || len(page) != 1 || page[0].ID != a.ID {
			t.Errorf("search by a further number: %+v %v", page, err)
		}
		if _, err := s.CustomerByANI(ctx, "0000000"); err == nil {
			t.Error("a number nobody has found a customer")
		}
		wantErr(t, s.SetCustomerNumbers(ctx, b.ID, []string{"13900000009"}), store.ErrConflict)
		if err := s.SetCustomerNumbers(ctx, a.ID, []string{"13900000009"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CustomerByANI(ctx, "057188001234"); err == nil {
			t.Error("a number taken off still finds the customer")
		}
	})
}
