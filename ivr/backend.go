package ivr

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Backend answers the self-service lookups of lookup nodes. Two
// implementations: StoreBackend (built in, over Accounts) and HTTPBackend
// (JSON over HTTP to a billing system). Missing customers or accounts are
// ErrNotFound; any other error takes the node's error branch.
type Backend interface {
	CustomerByANI(ctx context.Context, ani string) (Customer, error)
	CustomerByAccount(ctx context.Context, account string) (Customer, error)
	Bill(ctx context.Context, account string) (Bill, error)
	Points(ctx context.Context, account string) (int64, error)
	// VerifyPassword reports whether password is the account's service
	// password. A wrong password is (false, nil).
	VerifyPassword(ctx context.Context, account, password string) (bool, error)
	ResetPassword(ctx context.Context, account, password string) error
}

// Customer identifies a caller.
type Customer struct {
	Account string `json:"account"`
	Name    string `json:"name"`
	Tier    string `json:"tier"` // "vip", "gold", "" (standard)
}

// Bill is an account's balance and current bill.
type Bill struct {
	Balance Money     `json:"balance_fen"`
	Amount  Money     `json:"bill_fen"`
	Due     time.Time `json:"due"`
}

// Money is an amount in fen (0.01 yuan).
type Money int64

// String formats m as yuan with two decimals: "-3.05".
func (m Money) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// ParseMoney parses "123", "123.4" or "-123.45" yuan.
func ParseMoney(s string) (Money, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || strings.ContainsAny(whole+frac, "+-") {
		return 0, fmt.Errorf("parse money %q: want yuan with at most two decimals", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || y > 1e15 {
		return 0, fmt.Errorf("parse money %q: bad yuan", s)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse money %q: bad fen", s)
	}
	m := Money(y*100 + f)
	if neg {
		m = -m
	}
	return m, nil
}
