package storeaccounts

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
	"github.com/hotline10000/hotline/ivr"
)

func TestStoreBackendOverTheStore(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	if _, err := st.CreateCustomer(ctx, store.Customer{ANI: "13300000001", Account: "0571-88000001", Name: "周杰", Tier: store.TierDiamond}); err != nil {
		t.Fatal(err)
	}
	hasher := auth.NewHasher(auth.FastHashParams)
	h, err := hasher.Hash("123456")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)
	if err := st.UpsertAccount(ctx, store.Account{Account: "0571-88000001", BalanceFen: -1230, BillFen: 8800, BillDue: &due,
		Points: 1200, ServicePasswordHash: h, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	b := ivr.NewStoreBackend(New(st, func() time.Time { return now }), hasher)

	c, err := b.CustomerByANI(ctx, "13300000001")
	if err != nil || c != (ivr.Customer{Account: "0571-88000001", Name: "周杰", Tier: "diamond"}) {
		t.Errorf("CustomerByANI: got %+v, %v", c, err)
	}
	if _, err := b.CustomerByANI(ctx, "13999999999"); !errors.Is(err, ivr.ErrNotFound) {
		t.Errorf("unknown ANI: got %v, want ivr.ErrNotFound", err)
	}
	for _, typed := range []string{"0571-88000001", "057188000001"} {
		if c, err := b.CustomerByAccount(ctx, typed); err != nil || c.Account != "0571-88000001" {
			t.Errorf("CustomerByAccount(%s): got %+v, %v", typed, c, err)
		}
	}
	if _, err := b.CustomerByAccount(ctx, "057199999999"); !errors.Is(err, ivr.ErrNotFound) {
		t.Errorf("unknown account: got %v, want ivr.ErrNotFound", err)
	}
	bill, err := b.Bill(ctx, "0571-88000001")
	if err != nil || bill.Balance.String() != "-12.30" || bill.Amount.String() != "88.00" || !bill.Due.Equal(due) {
		t.Errorf("Bill: got %+v, %v", bill, err)
	}
	if p, err := b.Points(ctx, "0571-88000001"); err != nil || p != 1200 {
		t.Errorf("Points: got %d, %v", p, err)
	}
	if ok, err := b.VerifyPassword(ctx, "0571-88000001", "123456"); !ok || err != nil {
		t.Errorf("VerifyPassword: got %v, %v", ok, err)
	}
	if err := b.ResetPassword(ctx, "0571-88000001", "654321"); err != nil {
		t.Fatal(err)
	}
	acc, _ := st.Account(ctx, "0571-88000001")
	if acc.ServicePasswordHash == "654321" || !hasher.Verify("654321", acc.ServicePasswordHash) {
		t.Error("reset did not store a hash of the new password")
	}
	if err := b.ResetPassword(ctx, "none", "111111"); !errors.Is(err, ivr.ErrNotFound) {
		t.Errorf("reset unknown account: got %v, want ivr.ErrNotFound", err)
	}
}
