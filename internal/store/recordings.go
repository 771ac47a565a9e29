package store

import (
	"context"
	"time"
)

// RecordingsStartedBefore lists up to limit recordings (call recordings
// and voice messages) that started before t, oldest first: the ones a
// retention period has run out for.
func (s *Store) RecordingsStartedBefore(ctx context.Context, t time.Time, limit int) ([]Recording, error) {
	rows, err := s.q.query(ctx, `SELECT `+recordingCols+` FROM call_recordings WHERE started_at < $1 ORDER BY started_at, id LIMIT $2`, ts(t), limit)
	if err != nil {
		return nil, wrap("recordings before", err)
	}
	defer rows.Close()
	var out []Recording
	for rows.Next() {
		x, err := scanRecording(rows)
		if err != nil {
			return nil, wrap("recordings before", err)
		}
		out = append(out, x)
	}
	return out, wrap("recordings before", rows.Err())
}

// DeleteRecording removes a recording's row (its file is the caller's).
func (s *Store) DeleteRecording(ctx context.Context, id string) error {
	n, err := s.q.exec(ctx, `DELETE FROM call_recordings WHERE id = $1`, id)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("delete recording "+id, err)
}
