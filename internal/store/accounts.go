package store

import (
	"context"
	"time"
)

// Account is the self-service data of a customer's account.
type Account struct {
	Account             string
	BalanceFen          int64 // may be negative: owed
	BillFen             int64
	BillDue             *time.Time
	Points              int64
	ServicePasswordHash string // "" when no service password is set
	UpdatedAt           time.Time
}

const accountCols = `account, balance_fen, bill_fen, bill_due, points, service_password_hash, updated_at`

func scanAccount(r row) (Account, error) {
	var a Account
	err := r.Scan(&a.Account, &a.BalanceFen, &a.BillFen, &a.BillDue, &a.Points, &a.ServicePasswordHash, &a.UpdatedAt)
	a.BillDue, a.UpdatedAt = utcPtr(a.BillDue), a.UpdatedAt.UTC()
	return a, err
}

// UpsertAccount creates or replaces an account's self-service data. The
// account number must belong to a customer.
func (s *Store) UpsertAccount(ctx context.Context, a Account) error {
	_, err := s.q.exec(ctx, `INSERT INTO customer_accounts (`+accountCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (account) DO UPDATE SET balance_fen = excluded.balance_fen, bill_fen = excluded.bill_fen,
			bill_due = excluded.bill_due, points = excluded.points,
			service_password_hash = excluded.service_password_hash, updated_at = excluded.updated_at`,
		a.Account, a.BalanceFen, a.BillFen, tsPtr(a.BillDue), a.Points, a.ServicePasswordHash, ts(a.UpdatedAt))
	return wrap("upsert account", err)
}

// Account returns an account's self-service data.
func (s *Store) Account(ctx context.Context, account string) (Account, error) {
	a, err := scanAccount(s.q.queryRow(ctx, `SELECT `+accountCols+` FROM customer_accounts WHERE account = $1`, account))
	return a, wrap("account", err)
}

// SetServicePasswordHash replaces an account's service password hash.
func (s *Store) SetServicePasswordHash(ctx context.Context, account, hash string, now time.Time) error {
	n, err := s.q.exec(ctx, `UPDATE customer_accounts SET service_password_hash = $2, updated_at = $3 WHERE account = $1`,
		account, hash, ts(now))
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("set service password", err)
}

// SaveSnapshot stores data (JSON) under name, replacing what was there,
// parts saved with an earlier SaveSnapshotDelta included.
func (s *Store) SaveSnapshot(ctx context.Context, name string, data []byte, at time.Time) error {
	return s.WithTx(ctx, func(tx *Store) error {
		if err := tx.saveHead(ctx, name, data, at); err != nil {
			return err
		}
		_, err := tx.q.exec(ctx, `DELETE FROM snapshot_parts WHERE name = $1`, name)
		return wrap("save snapshot "+name, err)
	})
}

func (s *Store) saveHead(ctx context.Context, name string, data []byte, at time.Time) error {
	q := `INSERT INTO snapshots (name, data, saved_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at`
	if s.dialect == Postgres {
		q = `INSERT INTO snapshots (name, data, saved_at) VALUES ($1, $2::jsonb, $3)
		ON CONFLICT (name) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at`
	}
	_, err := s.q.exec(ctx, q, name, string(data), ts(at))
	return wrap("save snapshot "+name, err)
}

// LoadSnapshot returns the data saved under name and when.
func (s *Store) LoadSnapshot(ctx context.Context, name string) ([]byte, time.Time, error) {
	var data []byte
	var at time.Time
	err := s.q.queryRow(ctx, `SELECT data, saved_at FROM snapshots WHERE name = $1`, name).Scan(&data, &at)
	return data, at.UTC(), wrap("load snapshot "+name, err)
}
