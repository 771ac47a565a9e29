package storeaccounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
)

// Accounts adapts a *store.Store to ivr.Accounts.
type Accounts struct {
	st  *store.Store
	now func() time.Time
}

// New returns the adapter; now stamps password changes.
func New(st *store.Store, now func() time.Time) *Accounts {
	return &Accounts{st: st, now: now}
}

var _ ivr.Accounts = (*Accounts)(nil)

func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %w", ivr.ErrNotFound, err)
	}
	return err
}

func customer(c store.Customer) ivr.Customer {
	return ivr.Customer{Account: c.Account, Name: c.Name, Tier: string(c.Tier)}
}

// CustomerByANI looks the calling number up.
func (a *Accounts) CustomerByANI(ctx context.Context, ani string) (ivr.Customer, error) {
	c, err := a.st.CustomerByANI(ctx, ani)
	if err != nil {
		return ivr.Customer{}, notFound(err)
	}
	return customer(c), nil
}

// CustomerByAccount looks an account number up. Callers key digits only,
// so an all-digit number starting with 0 that is not found as typed is also
// tried as a fixed-line account with its area code split off by a dash
// ("057188000001" → "0571-88000001", then "010-…" style).
func (a *Accounts) CustomerByAccount(ctx context.Context, account string) (ivr.Customer, error) {
	var err error
	for _, cand := range candidates(account) {
		var c store.Customer
		c, err = a.st.CustomerByAccount(ctx, cand)
		if err == nil {
			return customer(c), nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return ivr.Customer{}, err
		}
	}
	return ivr.Customer{}, notFound(err)
}

func candidates(account string) []string {
	out := []string{account}
	if len(account) < 8 || account[0] != '0' || strings.Trim(account, "0123456789") != "" {
		return out
	}
	return append(out, account[:4]+"-"+account[4:], account[:3]+"-"+account[3:])
}

// AccountBill returns balance and bill. Account numbers here are the
// customer's as returned by CustomerByAccount/ByANI.
func (a *Accounts) AccountBill(ctx context.Context, account string) (ivr.Bill, error) {
	acc, err := a.st.Account(ctx, account)
	if err != nil {
		return ivr.Bill{}, notFound(err)
	}
	b := ivr.Bill{Balance: ivr.Money(acc.BalanceFen), Amount: ivr.Money(acc.BillFen)}
	if acc.BillDue != nil {
		b.Due = *acc.BillDue
	}
	return b, nil
}

// AccountPoints returns the points balance.
func (a *Accounts) AccountPoints(ctx context.Context, account string) (int64, error) {
	acc, err := a.st.Account(ctx, account)
	if err != nil {
		return 0, notFound(err)
	}
	return acc.Points, nil
}

// PasswordHash returns the service password hash.
func (a *Accounts) PasswordHash(ctx context.Context, account string) (string, error) {
	acc, err := a.st.Account(ctx, account)
	if err != nil {
		return "", notFound(err)
	}
	return acc.ServicePasswordHash, nil
}

// SetPasswordHash replaces the service password hash.
func (a *Accounts) SetPasswordHash(ctx context.Context, account, hash string) error {
	return notFound(a.st.SetServicePasswordHash(ctx, account, hash, a.now()))
}
