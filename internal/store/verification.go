package store

import (
	"context"
	"errors"
	"time"
)

// PINGuard is the state of one account's service-PIN guard.
type PINGuard struct {
	Failures    int       // attempts counted in the current window
	LockedUntil time.Time // zero when not locked
}

// Locked reports whether the guard refuses attempts at now.
func (g PINGuard) Locked(now time.Time) bool { return now.Before(g.LockedUntil) }

// ReservePINAttempt counts one service-PIN attempt for account before the
// PIN is checked, so that parallel guesses cannot overtake the count. An
// attempt is allowed while fewer than max were counted within window; the
// one after them locks the account until now+lockFor (and is refused, as
// is every attempt while locked). A window or lock that has passed starts
// a new count. One statement on both backends: concurrent reservations
// serialise on the row.
func (s *Store) ReservePINAttempt(ctx context.Context, account string, now time.Time, window time.Duration, max int, lockFor time.Duration) (allowed bool, g PINGuard, err error) {
	const fresh = `(pin_guard.window_start <= $3 OR (pin_guard.locked_until IS NOT NULL AND pin_guard.locked_until <= $2))`
	const locked = `(pin_guard.locked_until IS NOT NULL AND pin_guard.locked_until > $2)`
	const next = `CASE WHEN ` + fresh + ` THEN 1 ELSE pin_guard.failures + 1 END`
	q := `INSERT INTO pin_guard (account, failures, window_start, locked_until) VALUES ($1, 1, $2, NULL)
		ON CONFLICT (account) DO UPDATE SET
			failures = CASE WHEN ` + locked + ` THEN pin_guard.failures ELSE ` + next + ` END,
			window_start = CASE WHEN ` + locked + ` THEN pin_guard.window_start WHEN ` + fresh + ` THEN $2 ELSE pin_guard.window_start END,
			locked_until = CASE WHEN ` + locked + ` THEN pin_guard.locked_until WHEN ` + next + ` > $4 THEN $5 ELSE NULL END
		RETURNING failures, locked_until`
	var until *time.Time
	err = s.q.queryRow(ctx, q, account, ts(now), ts(now.Add(-window)), max, ts(now.Add(lockFor))).Scan(&g.Failures, &until)
	if err != nil {
		return false, PINGuard{}, wrap("reserve PIN attempt", err)
	}
	if until != nil {
		g.LockedUntil = until.UTC()
	}
	return !g.Locked(now) && g.Failures <= max, g, nil
}

// PINGuardOf returns account's guard (zero when it has none).
func (s *Store) PINGuardOf(ctx context.Context, account string) (PINGuard, error) {
	var g PINGuard
	var until *time.Time
	err := s.q.queryRow(ctx, `SELECT failures, locked_until FROM pin_guard WHERE account = $1`, account).Scan(&g.Failures, &until)
	if err != nil {
		err = wrap("PIN guard", err)
		if errors.Is(err, ErrNotFound) {
			return PINGuard{}, nil
		}
		return PINGuard{}, err
	}
	if until != nil {
		g.LockedUntil = until.UTC()
	}
	return g, nil
}

// ClearPINGuard forgets account's failures and lock: after a right PIN,
// or when an agent who verified the customer unlocks it.
func (s *Store) ClearPINGuard(ctx context.Context, account string) error {
	_, err := s.q.exec(ctx, `DELETE FROM pin_guard WHERE account = $1`, account)
	return wrap("clear PIN guard", err)
}

// VerificationCode is a one-time code sent to a chat customer's claimed
// number; only its hash is stored.
type VerificationCode struct {
	Contact   string
	Phone     string
	CodeHash  string
	ExpiresAt time.Time
	Attempts  int // wrong codes tried
	Sends     int // codes sent for this contact
	CreatedAt time.Time
}

// PutVerificationCode stores the contact's current code, replacing an
// earlier one (its attempts restart, its sends count on).
func (s *Store) PutVerificationCode(ctx context.Context, c VerificationCode) error {
	_, err := s.q.exec(ctx, `INSERT INTO verification_codes (contact_id, phone, code_hash, expires_at, attempts, sends, created_at)
		VALUES ($1, $2, $3, $4, 0, 1, $5)
		ON CONFLICT (contact_id) DO UPDATE SET phone = $2, code_hash = $3, expires_at = $4, attempts = 0,
			sends = verification_codes.sends + 1, created_at = $5`,
		c.Contact, c.Phone, c.CodeHash, ts(c.ExpiresAt), ts(c.CreatedAt))
	return wrap("put verification code", err)
}

// VerificationCodeOf returns the contact's current code.
func (s *Store) VerificationCodeOf(ctx context.Context, contact string) (VerificationCode, error) {
	c := VerificationCode{Contact: contact}
	err := s.q.queryRow(ctx, `SELECT phone, code_hash, expires_at, attempts, sends, created_at FROM verification_codes WHERE contact_id = $1`,
		contact).Scan(&c.Phone, &c.CodeHash, &c.ExpiresAt, &c.Attempts, &c.Sends, &c.CreatedAt)
	c.ExpiresAt, c.CreatedAt = c.ExpiresAt.UTC(), c.CreatedAt.UTC()
	return c, wrap("verification code", err)
}

// CountVerificationAttempt counts one try of the contact's code before it
// is checked and returns the count.
func (s *Store) CountVerificationAttempt(ctx context.Context, contact string) (int, error) {
	var n int
	err := s.q.queryRow(ctx, `UPDATE verification_codes SET attempts = attempts + 1 WHERE contact_id = $1 RETURNING attempts`, contact).Scan(&n)
	return n, wrap("count verification attempt", err)
}

// DeleteVerificationCode removes the contact's code (used, or given up).
func (s *Store) DeleteVerificationCode(ctx context.Context, contact string) error {
	_, err := s.q.exec(ctx, `DELETE FROM verification_codes WHERE contact_id = $1`, contact)
	return wrap("delete verification code", err)
}

// VerificationCodesSince counts the codes sent to phone since t, across
// contacts: the limit that keeps the chat from being an SMS cannon.
func (s *Store) VerificationCodesSince(ctx context.Context, phone string, t time.Time) (int, error) {
	var n int
	err := s.q.queryRow(ctx, `SELECT COALESCE(SUM(sends), 0) FROM verification_codes WHERE phone = $1 AND created_at > $2`, phone, ts(t)).Scan(&n)
	return n, wrap("count verification codes", err)
}
