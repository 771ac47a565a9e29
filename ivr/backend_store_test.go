package ivr

import (
	"context"
	"errors"
	"testing"

	"github.com/hotline10000/hotline/internal/auth"
)

type memAccounts struct {
	hash map[string]string
}

func (m *memAccounts) CustomerByANI(ctx context.Context, ani string) (Customer, error) {
	if ani == "13900000001" {
		return Customer{Account: "A1", Tier: "vip"}, nil
	}
	return Customer{}, ErrNotFound
}
func (m *memAccounts) CustomerByAccount(ctx context.Context, a string) (Customer, error) {
	if _, ok := m.hash[a]; ok {
		return Customer{Account: a}, nil
	}
	return Customer{}, ErrNotFound
}
func (m *memAccounts) AccountBill(ctx context.Context, a string) (Bill, error) {
	return Bill{Balance: 100}, nil
}
func (m *memAccounts) AccountPoints(ctx context.Context, a string) (int64, error) { return 5, nil }
func (m *memAccounts) PasswordHash(ctx context.Context, a string) (string, error) {
	h, ok := m.hash[a]
	if !ok {
		return "", ErrNotFound
	}
	return h, nil
}
func (m *memAccounts) SetPasswordHash(ctx context.Context, a, h string) error {
	m.hash[a] = h
	return nil
}

func TestStoreBackendPasswords(t *testing.T) {
	hasher := auth.NewHasher(auth.FastHashParams)
	h, err := hasher.Hash("123456")
	if err != nil {
		t.Fatal(err)
	}
	acc := &memAccounts{hash: map[string]string{"A1": h, "A2": ""}}
	b := NewStoreBackend(acc, hasher)
	ctx := context.Background()
	for _, tc := range []struct {
		account, pw string
		want        bool
		err         error
	}{
		{"A1", "123456", true, nil},
		{"A1", "654321", false, nil},
		{"A2", "", false, nil},
		{"A9", "123456", false, ErrNotFound},
	} {
		ok, err := b.VerifyPassword(ctx, tc.account, tc.pw)
		if ok != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("VerifyPassword(%s, %s): got %v, %v; want %v, %v", tc.account, tc.pw, ok, err, tc.want, tc.err)
		}
	}
	if err := b.ResetPassword(ctx, "A1", "654321"); err != nil {
		t.Fatal(err)
	}
	if acc.hash["A1"] == "654321" {
		t.Fatal("the store got the plain password")
	}
	if ok, _ := b.VerifyPassword(ctx, "A1", "654321"); !ok {
		t.Error("new password does not verify after reset")
	}
	if ok, _ := b.VerifyPassword(ctx, "A1", "123456"); ok {
		t.Error("old password still verifies after reset")
	}
	if c, err := b.CustomerByANI(ctx, "13900000001"); err != nil || c.Tier != "vip" {
		t.Errorf("CustomerByANI: got %+v, %v", c, err)
	}
	if bill, _ := b.Bill(ctx, "A1"); bill.Balance != 100 {
		t.Errorf("Bill: got %+v", bill)
	}
}
