package store

import (
	"context"
	"fmt"
	"time"
)

// Announcement is a notice to every agent (Team "") or to one team, shown
// on the desk until each agent acknowledges it.
type Announcement struct {
	ID          string
	Text        string
	Team        string // "": every agent
	Severity    string // info or outage
	CreatedBy   string
	CreatedAt   time.Time
	ExpiresAt   *time.Time // nil: until withdrawn
	WithdrawnAt *time.Time
	// IVR is the IVR notice it carries, as JSON package admin reads and
	// writes ("": none, the desk only).
	IVR string
}

// Live reports whether a is shown at now: neither withdrawn nor expired.
func (a Announcement) Live(now time.Time) bool {
	return a.WithdrawnAt == nil && (a.ExpiresAt == nil || now.Before(*a.ExpiresAt))
}

// AnnouncementAck is an agent's acknowledgement.
type AnnouncementAck struct {
	AgentID string
	AckedAt time.Time
}

const announcementCols = `id, text, team, severity, created_by, created_at, expires_at, withdrawn_at, ivr`

func scanAnnouncement(r row) (Announcement, error) {
	var a Announcement
	err := r.Scan(&a.ID, &a.Text, &a.Team, &a.Severity, &a.CreatedBy, &a.CreatedAt, &a.ExpiresAt, &a.WithdrawnAt, &a.IVR)
	a.CreatedAt, a.ExpiresAt, a.WithdrawnAt = a.CreatedAt.UTC(), utcPtr(a.ExpiresAt), utcPtr(a.WithdrawnAt)
	return a, err
}

// CreateAnnouncement stores a (its ID is made) and returns it as stored.
func (s *Store) CreateAnnouncement(ctx context.Context, a Announcement) (Announcement, error) {
	a.ID = newUUID()
	_, err := s.q.exec(ctx, `INSERT INTO announcements (`+announcementCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)`,
		a.ID, a.Text, a.Team, a.Severity, a.CreatedBy, ts(a.CreatedAt), tsPtr(a.ExpiresAt), a.IVR)
	if err != nil {
		return a, wrap("create announcement", err)
	}
	return s.Announcement(ctx, a.ID)
}

// Announcement returns one announcement.
func (s *Store) Announcement(ctx context.Context, id string) (Announcement, error) {
	a, err := scanAnnouncement(s.q.queryRow(ctx, `SELECT `+announcementCols+` FROM announcements WHERE id = $1`, id))
	return a, wrap("announcement "+id, err)
}

// Announcements lists announcements newest first, those older than
// before ("" from the newest), at most limit.
func (s *Store) Announcements(ctx context.Context, before string, limit int) ([]Announcement, error) {
	r, err := s.q.query(ctx, `SELECT `+announcementCols+` FROM announcements WHERE ($1 = '' OR id < $1)
		ORDER BY id DESC LIMIT $2`, before, limit)
	out, err := collect(r, err, func(r rows) (Announcement, error) { return scanAnnouncement(r) })
	return out, wrap("announcements", err)
}

// LiveAnnouncements lists the announcements shown at now (neither
// withdrawn nor expired), oldest first.
func (s *Store) LiveAnnouncements(ctx context.Context, now time.Time) ([]Announcement, error) {
	r, err := s.q.query(ctx, `SELECT `+announcementCols+` FROM announcements
		WHERE withdrawn_at IS NULL AND (expires_at IS NULL OR expires_at > $1) ORDER BY id`, ts(now))
	out, err := collect(r, err, func(r rows) (Announcement, error) { return scanAnnouncement(r) })
	return out, wrap("live announcements", err)
}

// WithdrawAnnouncement ends an announcement at now (ErrNotFound when there
// is none; withdrawing twice keeps the first instant).
func (s *Store) WithdrawAnnouncement(ctx context.Context, id string, now time.Time) error {
	n, err := s.q.exec(ctx, `UPDATE announcements SET withdrawn_at = COALESCE(withdrawn_at, $2) WHERE id = $1`, id, ts(now))
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("withdraw announcement "+id, err)
}

// AckAnnouncement records that agentID acknowledged announcement id at now;
// a second acknowledgement keeps the first.
func (s *Store) AckAnnouncement(ctx context.Context, id, agentID string, now time.Time) error {
	_, err := s.q.exec(ctx, `INSERT INTO announcement_acks (announcement_id, agent_id, acked_at) VALUES ($1, $2, $3)
		ON CONFLICT (announcement_id, agent_id) DO NOTHING`, id, agentID, ts(now))
	return wrap("acknowledge announcement "+id, err)
}

// AnnouncementAcks lists who acknowledged announcement id, in order.
func (s *Store) AnnouncementAcks(ctx context.Context, id string) ([]AnnouncementAck, error) {
	r, err := s.q.query(ctx, `SELECT agent_id, acked_at FROM announcement_acks WHERE announcement_id = $1 ORDER BY acked_at, agent_id`, id)
	out, err := collect(r, err, func(r rows) (AnnouncementAck, error) {
		var a AnnouncementAck
		err := r.Scan(&a.AgentID, &a.AckedAt)
		a.AckedAt = a.AckedAt.UTC()
		return a, err
	})
	return out, wrap("announcement acks "+id, err)
}

// AckedAnnouncements returns which of the live announcements agentID has
// acknowledged (by id).
func (s *Store) AckedAnnouncements(ctx context.Context, agentID string) (map[string]bool, error) {
	r, err := s.q.query(ctx, `SELECT k.announcement_id FROM announcement_acks k JOIN announcements a ON a.id = k.announcement_id
		WHERE k.agent_id = $1 AND a.withdrawn_at IS NULL`, agentID)
	out, err := collect(r, err, func(r rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, wrap("acked announcements", err)
	}
	m := make(map[string]bool, len(out))
	for _, id := range out {
		m[id] = true
	}
	return m, nil
}

// AnnouncementsStamp says cheaply whether the announcements changed: it
// differs after every creation and withdrawal. Rows are never deleted and a
// withdrawal is never undone, so (rows, withdrawn rows, newest id) only
// grows. Nodes sharing a store compare it to reload their IVR notices.
func (s *Store) AnnouncementsStamp(ctx context.Context) (string, error) {
	var n, withdrawn int64
	var newest string
	err := s.q.queryRow(ctx, `SELECT count(*), count(withdrawn_at), COALESCE(max(id), '') FROM announcements`).
		Scan(&n, &withdrawn, &newest)
	if err != nil {
		return "", wrap("announcements stamp", err)
	}
	return fmt.Sprintf("%d/%d/%s", n, withdrawn, newest), nil
}
