package store

import (
	"context"
	"fmt"
	"time"
)

// Tier is a customer's service tier in the 10000 tiered service.
type Tier string

const (
	TierDiamond  Tier = "diamond"
	TierGold     Tier = "gold"
	TierSilver   Tier = "silver"
	TierStandard Tier = "standard"
)

// Customer is someone the center serves, known by calling number (ANI) and/or
// account number.
type Customer struct {
	ID        string
	ANI       string // empty when unknown
	Account   string // empty when unknown
	Name      string
	Tier      Tier
	CreatedAt time.Time
	UpdatedAt time.Time
}

const customerCols = `id, ani, account, name, tier, created_at, updated_at`

func scanCustomer(r row) (Customer, error) {
	var c Customer
	var ani, account *string
	err := r.Scan(&c.ID, &ani, &account, &c.Name, &c.Tier, &c.CreatedAt, &c.UpdatedAt)
	if ani != nil {
		c.ANI = *ani
	}
	if account != nil {
		c.Account = *account
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateCustomer inserts c; ID and times are filled when empty.
func (s *Store) CreateCustomer(ctx context.Context, c Customer) (Customer, error) {
	if c.ID == "" {
		c.ID = newUUID()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	c.CreatedAt = ts(c.CreatedAt)
	c.UpdatedAt = c.CreatedAt
	_, err := s.q.exec(ctx, `INSERT INTO customers (`+customerCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.ID, nullable(c.ANI), nullable(c.Account), c.Name, string(c.Tier), c.CreatedAt, c.UpdatedAt)
	return c, wrap("create customer", err)
}

// Customer returns the customer with id.
func (s *Store) Customer(ctx context.Context, id string) (Customer, error) {
	c, err := scanCustomer(s.q.queryRow(ctx, `SELECT `+customerCols+` FROM customers WHERE id = $1`, id))
	return c, wrap("customer "+id, err)
}

// CustomerByANI returns the customer whose calling number is ani.
// The number may be the customer's own (ani) or one of their further
// contact numbers (CustomerNumbers).
func (s *Store) CustomerByANI(ctx context.Context, ani string) (Customer, error) {
	c, err := scanCustomer(s.q.queryRow(ctx, `SELECT `+customerCols+` FROM customers
		WHERE ani = $1 OR id = (SELECT customer_id FROM customer_numbers WHERE number = $1)
		ORDER BY CASE WHEN ani = $1 THEN 0 ELSE 1 END LIMIT 1`, ani))
	return c, wrap("customer by ANI", err)
}

// CustomerByAccount returns the customer with account number account.
func (s *Store) CustomerByAccount(ctx context.Context, account string) (Customer, error) {
	c, err := scanCustomer(s.q.queryRow(ctx, `SELECT `+customerCols+` FROM customers WHERE account = $1`, account))
	return c, wrap("customer by account", err)
}

// SetCustomerTier changes a customer's service tier.
func (s *Store) SetCustomerTier(ctx context.Context, id string, tier Tier, now time.Time) error {
	n, err := s.q.exec(ctx, `UPDATE customers SET tier = $2, updated_at = $3 WHERE id = $1`, id, string(tier), ts(now))
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap(fmt.Sprintf("set tier of customer %s", id), err)
}

// CountCustomers counts the customers.
func (s *Store) CountCustomers(ctx context.Context) (int, error) {
	var n int
	err := s.q.queryRow(interruptible(ctx), `SELECT count(*) FROM customers`).Scan(&n)
	return n, wrap("count customers", err)
}
