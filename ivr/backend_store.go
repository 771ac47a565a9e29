package ivr

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Accounts is what the built-in back end needs from the store. Missing
// customers and accounts must be reported with an error that
// errors.Is(err, ErrNotFound). docs/flows.md lists the queries.
type Accounts interface {
	CustomerByANI(ctx context.Context, ani string) (Customer, error)
	CustomerByAccount(ctx context.Context, account string) (Customer, error)
	AccountBill(ctx context.Context, account string) (Bill, error)
	AccountPoints(ctx context.Context, account string) (int64, error)
	// PasswordHash returns the bcrypt hash of the account's service
	// password ("" when none is set).
	PasswordHash(ctx context.Context, account string) (string, error)
	SetPasswordHash(ctx context.Context, account, hash string) error
}

// StoreBackend is the built-in Backend over the store's demo accounts.
// Service passwords are kept as bcrypt hashes.
type StoreBackend struct {
	accounts Accounts
	cost     int
}

// NewStoreBackend returns a back end over a; cost is the bcrypt cost for
// new password hashes (0: bcrypt.DefaultCost).
func NewStoreBackend(a Accounts, cost int) *StoreBackend {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	return &StoreBackend{accounts: a, cost: cost}
}

// HashPassword returns the bcrypt hash the store keeps for a password
// (for seeding demo accounts).
func HashPassword(password string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CustomerByANI asks the store.
func (s *StoreBackend) CustomerByANI(ctx context.Context, ani string) (Customer, error) {
	return s.accounts.CustomerByANI(ctx, ani)
}

// CustomerByAccount asks the store.
func (s *StoreBackend) CustomerByAccount(ctx context.Context, account string) (Customer, error) {
	return s.accounts.CustomerByAccount(ctx, account)
}

// Bill asks the store.
func (s *StoreBackend) Bill(ctx context.Context, account string) (Bill, error) {
	return s.accounts.AccountBill(ctx, account)
}

// Points asks the store.
func (s *StoreBackend) Points(ctx context.Context, account string) (int64, error) {
	return s.accounts.AccountPoints(ctx, account)
}

// VerifyPassword compares password with the stored hash.
func (s *StoreBackend) VerifyPassword(ctx context.Context, account, password string) (bool, error) {
	h, err := s.accounts.PasswordHash(ctx, account)
	if err != nil {
		return false, err
	}
	if h == "" {
		return false, nil
	}
	err = bcrypt.CompareHashAndPassword([]byte(h), []byte(password))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, fmt.Errorf("verify password: %w", err)
}

// ResetPassword stores the hash of the new password.
func (s *StoreBackend) ResetPassword(ctx context.Context, account, password string) error {
	h, err := HashPassword(password, s.cost)
	if err != nil {
		return err
	}
	return s.accounts.SetPasswordHash(ctx, account, h)
}
