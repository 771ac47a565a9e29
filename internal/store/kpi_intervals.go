package store

import (
	"context"
	"fmt"
	"time"
)

// KPIInterval is one 15-minute interval of one queue and channel, as the KPI
// engine counted it (metrics.IntervalRow): sums, from which the reports
// derive SL01–SL04, EF01 and EF02. Start, Queue and Channel are the key.
type KPIInterval struct {
	Start         time.Time
	Queue         string
	Channel       string // voice or chat
	Requests      int64
	Answered      int64
	AnsweredInSL  int64
	Abandoned     int64
	ShortAbandons int64
	SystemLost    int64
	Handled       int64
	AnswerWait    time.Duration
	Talk          time.Duration
	Hold          time.Duration
	ACW           time.Duration
	UpdatedAt     time.Time
}

const kpiIntervalCols = `start_at, queue, channel, requests, answered, answered_in_sl, abandoned, short_abandons,
	system_lost, handled, answer_wait_ns, talk_ns, hold_ns, acw_ns, updated_at`

// SaveKPIIntervals writes rows in one transaction; a row whose start, queue
// and channel are stored replaces it (an interval is written when it closes
// and again when after-contact work lands in it later).
func (s *Store) SaveKPIIntervals(ctx context.Context, rows []KPIInterval) error {
	for _, r := range rows {
		if r.Start.IsZero() || r.Queue == "" || (r.Channel != "voice" && r.Channel != "chat") {
			return fmt.Errorf("save kpi intervals: %w: a row needs a start, a queue and a channel (voice or chat)", ErrInvalid)
		}
	}
	err := s.WithTx(ctx, func(tx *Store) error {
		for _, r := range rows {
			_, err := tx.q.exec(ctx, `INSERT INTO kpi_intervals (`+kpiIntervalCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
				ON CONFLICT (start_at, queue, channel) DO UPDATE SET requests = excluded.requests,
					answered = excluded.answered, answered_in_sl = excluded.answered_in_sl,
					abandoned = excluded.abandoned, short_abandons = excluded.short_abandons,
					system_lost = excluded.system_lost, handled = excluded.handled,
					answer_wait_ns = excluded.answer_wait_ns, talk_ns = excluded.talk_ns,
					hold_ns = excluded.hold_ns, acw_ns = excluded.acw_ns, updated_at = excluded.updated_at`,
				ts(r.Start), cleanText(r.Queue), r.Channel, r.Requests, r.Answered, r.AnsweredInSL, r.Abandoned,
				r.ShortAbandons, r.SystemLost, r.Handled, int64(r.AnswerWait), int64(r.Talk), int64(r.Hold),
				int64(r.ACW), ts(r.UpdatedAt))
			if err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("save kpi intervals", err)
}

// KPIIntervals lists the rows starting in [from, to), by queue, channel and
// start.
func (s *Store) KPIIntervals(ctx context.Context, from, to time.Time) ([]KPIInterval, error) {
	r, err := s.q.query(ctx, `SELECT `+kpiIntervalCols+` FROM kpi_intervals
		WHERE start_at >= $1 AND start_at < $2 ORDER BY queue, channel, start_at`, ts(from), ts(to))
	out, err := collect(r, err, func(r rows) (KPIInterval, error) {
		var k KPIInterval
		var wait, talk, hold, acw int64
		err := r.Scan(&k.Start, &k.Queue, &k.Channel, &k.Requests, &k.Answered, &k.AnsweredInSL, &k.Abandoned,
			&k.ShortAbandons, &k.SystemLost, &k.Handled, &wait, &talk, &hold, &acw, &k.UpdatedAt)
		k.AnswerWait, k.Talk, k.Hold, k.ACW = time.Duration(wait), time.Duration(talk), time.Duration(hold), time.Duration(acw)
		k.Start, k.UpdatedAt = k.Start.UTC(), k.UpdatedAt.UTC()
		return k, err
	})
	return out, wrap("kpi intervals", err)
}
