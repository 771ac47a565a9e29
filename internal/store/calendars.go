package store

import (
	"context"
	"time"
)

// CalendarRow is a business-hours calendar administered through the API:
// its name and its specification (package calendar's Spec as JSON, which
// package admin reads and writes).
type CalendarRow struct {
	Name      string
	Spec      string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

const calendarCols = `id, spec, version, created_at, updated_at`

func scanCalendar(r row) (CalendarRow, error) {
	var c CalendarRow
	err := r.Scan(&c.Name, &c.Spec, &c.Version, &c.CreatedAt, &c.UpdatedAt)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// CreateCalendar stores a new calendar at version 1: ErrConflict when the
// name is taken.
func (s *Store) CreateCalendar(ctx context.Context, name, spec string, now time.Time) (CalendarRow, error) {
	_, err := s.q.exec(ctx, `INSERT INTO calendars (id, spec, version, created_at, updated_at) VALUES ($1, $2, 1, $3, $3)`,
		name, spec, ts(now))
	if err != nil {
		return CalendarRow{}, wrap("create calendar "+name, err)
	}
	return s.Calendar(ctx, name)
}

// Calendar returns the calendar named name.
func (s *Store) Calendar(ctx context.Context, name string) (CalendarRow, error) {
	c, err := scanCalendar(s.q.queryRow(ctx, `SELECT `+calendarCols+` FROM calendars WHERE id = $1`, name))
	return c, wrap("calendar "+name, err)
}

// Calendars lists every administered calendar by name.
func (s *Store) Calendars(ctx context.Context) ([]CalendarRow, error) {
	r, err := s.q.query(ctx, `SELECT `+calendarCols+` FROM calendars ORDER BY id`)
	out, err := collect(r, err, func(r rows) (CalendarRow, error) { return scanCalendar(r) })
	return out, wrap("calendars", err)
}

// SetCalendarSpec replaces a calendar's specification. Bump its version
// first (BumpVersion) in the same transaction.
func (s *Store) SetCalendarSpec(ctx context.Context, name, spec string, now time.Time) error {
	n, err := s.q.exec(ctx, `UPDATE calendars SET spec = $2, updated_at = $3 WHERE id = $1`, name, spec, ts(now))
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("set calendar "+name, err)
}

// DeleteCalendar deletes a calendar.
func (s *Store) DeleteCalendar(ctx context.Context, name string) error {
	n, err := s.q.exec(ctx, `DELETE FROM calendars WHERE id = $1`, name)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("delete calendar "+name, err)
}
