package store

import (
	"context"
	"time"
)

// SettingsRow is an administered settings document: its id (e.g.
// "tickets") and its body (JSON package admin reads and writes).
type SettingsRow struct {
	ID        string
	Body      string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

const settingsCols = `id, body, version, created_at, updated_at`

// Settings returns the settings document id (ErrNotFound when never saved).
func (s *Store) Settings(ctx context.Context, id string) (SettingsRow, error) {
	var x SettingsRow
	err := s.q.queryRow(ctx, `SELECT `+settingsCols+` FROM admin_settings WHERE id = $1`, id).
		Scan(&x.ID, &x.Body, &x.Version, &x.CreatedAt, &x.UpdatedAt)
	x.CreatedAt, x.UpdatedAt = x.CreatedAt.UTC(), x.UpdatedAt.UTC()
	return x, wrap("settings "+id, err)
}

// CreateSettings stores a new settings document at version 1: ErrConflict
// when it exists.
func (s *Store) CreateSettings(ctx context.Context, id, body string, now time.Time) (SettingsRow, error) {
	_, err := s.q.exec(ctx, `INSERT INTO admin_settings (`+settingsCols+`) VALUES ($1, $2, 1, $3, $3)`, id, body, ts(now))
	if err != nil {
		return SettingsRow{}, wrap("create settings "+id, err)
	}
	return s.Settings(ctx, id)
}

// SetSettingsBody replaces a settings document's body. Bump its version
// first (BumpVersion with VersionedSettings) in the same transaction.
func (s *Store) SetSettingsBody(ctx context.Context, id, body string, now time.Time) error {
	n, err := s.q.exec(ctx, `UPDATE admin_settings SET body = $2, updated_at = $3 WHERE id = $1`, id, body, ts(now))
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("set settings "+id, err)
}

// DeleteSettings deletes a settings document.
func (s *Store) DeleteSettings(ctx context.Context, id string) error {
	n, err := s.q.exec(ctx, `DELETE FROM admin_settings WHERE id = $1`, id)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("delete settings "+id, err)
}
