package store

import (
	"context"
	"fmt"
	"time"
)

// Skill is a named ability agents have and queues require.
type Skill struct {
	Name        string
	Description string
	Version     int64 // administration's ETag (VersionedSkills); set by Skills, ignored by UpsertSkill
}

// UpsertSkill creates the skill (at version 1) or updates its description
// (administration bumps the version first with BumpVersion).
func (s *Store) UpsertSkill(ctx context.Context, sk Skill) error {
	_, err := s.q.exec(ctx, `INSERT INTO skills (name, description) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET description = excluded.description`, sk.Name, sk.Description)
	return wrap("upsert skill "+sk.Name, err)
}

// Skills lists every skill by name.
func (s *Store) Skills(ctx context.Context) ([]Skill, error) {
	r, err := s.q.query(ctx, `SELECT name, description, version FROM skills ORDER BY name`)
	out, err := collect(r, err, func(r rows) (Skill, error) {
		var sk Skill
		return sk, r.Scan(&sk.Name, &sk.Description, &sk.Version)
	})
	return out, wrap("skills", err)
}

// DeleteSkill deletes a skill: ErrNotFound when there is none,
// ErrReference while an agent has it or a queue requires it.
func (s *Store) DeleteSkill(ctx context.Context, name string) error {
	n, err := s.q.exec(ctx, `DELETE FROM skills WHERE name = $1`, name)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("delete skill "+name, err)
}

// Channel is how a contact reaches the center.
type Channel string

const (
	Voice Channel = "voice"
	Chat  Channel = "chat"
)

// Queue is where contacts wait for an agent with the required skills.
type Queue struct {
	ID              string // short stable key, e.g. "vip-voice"
	Name            string
	Channel         Channel
	SLThreshold     time.Duration // answered within this counts for the service level
	SLTargetPercent int
	MaxWait         time.Duration // 0: no limit
	Skills          []QueueSkill
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// QueueSkill is a skill a queue requires, with the least proficiency.
type QueueSkill struct {
	Skill          string
	MinProficiency int
}

// UpsertQueue creates q or replaces its settings and skills, atomically.
func (s *Store) UpsertQueue(ctx context.Context, q Queue, now time.Time) error {
	return s.WithTx(ctx, func(tx *Store) error {
		_, err := tx.q.exec(ctx, `INSERT INTO queues
			(id, name, channel, sl_threshold_seconds, sl_target_percent, max_wait_seconds, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, channel = excluded.channel,
				sl_threshold_seconds = excluded.sl_threshold_seconds,
				sl_target_percent = excluded.sl_target_percent,
				max_wait_seconds = excluded.max_wait_seconds, updated_at = excluded.updated_at`,
			q.ID, q.Name, string(q.Channel), int64(q.SLThreshold/time.Second), q.SLTargetPercent,
			int64(q.MaxWait/time.Second), ts(now))
		if err != nil {
			return wrap("upsert queue "+q.ID, err)
		}
		if _, err := tx.q.exec(ctx, `DELETE FROM queue_skills WHERE queue_id = $1`, q.ID); err != nil {
			return wrap("upsert queue "+q.ID, err)
		}
		for _, sk := range q.Skills {
			if _, err := tx.q.exec(ctx, `INSERT INTO queue_skills (queue_id, skill, min_proficiency) VALUES ($1, $2, $3)`,
				q.ID, sk.Skill, sk.MinProficiency); err != nil {
				return wrap(fmt.Sprintf("upsert queue %s: skill %s", q.ID, sk.Skill), err)
			}
		}
		return nil
	})
}

const queueCols = `id, name, channel, sl_threshold_seconds, sl_target_percent, max_wait_seconds, created_at, updated_at`

func scanQueue(r row) (Queue, error) {
	var q Queue
	var sl, mw int64
	err := r.Scan(&q.ID, &q.Name, &q.Channel, &sl, &q.SLTargetPercent, &mw, &q.CreatedAt, &q.UpdatedAt)
	q.SLThreshold, q.MaxWait = time.Duration(sl)*time.Second, time.Duration(mw)*time.Second
	q.CreatedAt, q.UpdatedAt = q.CreatedAt.UTC(), q.UpdatedAt.UTC()
	return q, err
}

// Queue returns the queue with id and its skills.
func (s *Store) Queue(ctx context.Context, id string) (Queue, error) {
	q, err := scanQueue(s.q.queryRow(ctx, `SELECT `+queueCols+` FROM queues WHERE id = $1`, id))
	if err != nil {
		return q, wrap("queue "+id, err)
	}
	q.Skills, err = s.queueSkills(ctx, id)
	return q, err
}

// Queues lists every queue with its skills, by id.
func (s *Store) Queues(ctx context.Context) ([]Queue, error) {
	r, err := s.q.query(ctx, `SELECT `+queueCols+` FROM queues ORDER BY id`)
	out, err := collect(r, err, func(r rows) (Queue, error) { return scanQueue(r) })
	if err != nil {
		return nil, wrap("queues", err)
	}
	for i := range out {
		if out[i].Skills, err = s.queueSkills(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) queueSkills(ctx context.Context, id string) ([]QueueSkill, error) {
	r, err := s.q.query(ctx, `SELECT skill, min_proficiency FROM queue_skills WHERE queue_id = $1 ORDER BY skill`, id)
	out, err := collect(r, err, func(r rows) (QueueSkill, error) {
		var sk QueueSkill
		return sk, r.Scan(&sk.Skill, &sk.MinProficiency)
	})
	return out, wrap("queue skills "+id, err)
}
