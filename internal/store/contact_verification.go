package store

import (
	"context"
	"time"
)

// ContactVerification is how a contact's customer proved who they are.
type ContactVerification struct {
	Level string    // none, ani, otp or pin (ivr.Verification)
	At    time.Time // when
}

// SetContactVerification records that contact's customer proved their
// identity at level; a later proof replaces an earlier one.
func (s *Store) SetContactVerification(ctx context.Context, contactID string, v ContactVerification) error {
	_, err := s.q.exec(ctx, `INSERT INTO contact_verifications (contact_id, level, at) VALUES ($1, $2, $3)
		ON CONFLICT (contact_id) DO UPDATE SET level = excluded.level, at = excluded.at
		WHERE contact_verifications.at <= excluded.at`, cleanText(contactID), v.Level, ts(v.At))
	return wrap("set verification of "+contactID, err)
}

// ContactVerificationOf returns how contact's customer proved who they
// are; ErrNotFound when they did not.
func (s *Store) ContactVerificationOf(ctx context.Context, contactID string) (ContactVerification, error) {
	var v ContactVerification
	err := s.q.queryRow(ctx, `SELECT level, at FROM contact_verifications WHERE contact_id = $1`, contactID).Scan(&v.Level, &v.At)
	v.At = v.At.UTC()
	return v, wrap("verification of "+contactID, err)
}
