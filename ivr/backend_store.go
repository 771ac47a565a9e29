package ivr

import "context"

// Accounts is what the built-in back end needs from the store. Missing
// customers and accounts must be reported with an error that
// errors.Is(err, ErrNotFound). Package ivr/storeaccounts implements it over
// internal/store; docs/flows.md lists the queries.
type Accounts interface {
	CustomerByANI(ctx context.Context, ani string) (Customer, error)
	CustomerByAccount(ctx context.Context, account string) (Customer, error)
	AccountBill(ctx context.Context, account string) (Bill, error)
	AccountPoints(ctx context.Context, account string) (int64, error)
	// PasswordHash returns the hash of the account's service password
	// ("" when none is set).
	PasswordHash(ctx context.Context, account string) (string, error)
	SetPasswordHash(ctx context.Context, account, hash string) error
}

// PasswordHasher hashes and checks service passwords; internal/auth's
// *Hasher (argon2id) is the one Hotline uses.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(password, hash string) bool
}

// StoreBackend is the built-in Backend over the store's demo accounts.
// Service passwords are kept only as hashes.
type StoreBackend struct {
	accounts Accounts
	hasher   PasswordHasher
}

// NewStoreBackend returns a back end over a, hashing with h.
func NewStoreBackend(a Accounts, h PasswordHasher) *StoreBackend {
	return &StoreBackend{accounts: a, hasher: h}
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

// VerifyPassword checks password against the stored hash; an account
// without a service password verifies nothing.
func (s *StoreBackend) VerifyPassword(ctx context.Context, account, password string) (bool, error) {
	h, err := s.accounts.PasswordHash(ctx, account)
	if err != nil || h == "" {
		return false, err
	}
	return s.hasher.Verify(password, h), nil
}

// ResetPassword stores the hash of the new password.
func (s *StoreBackend) ResetPassword(ctx context.Context, account, password string) error {
	h, err := s.hasher.Hash(password)
	if err != nil {
		return err
	}
	return s.accounts.SetPasswordHash(ctx, account, h)
}
