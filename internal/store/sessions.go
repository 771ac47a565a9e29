package store

import (
	"context"
	"fmt"
	"time"
)

// Session is a logged-in desk session. Only the SHA-256 of its bearer token
// is stored, so a copy of the database does not let anyone log in.
type Session struct {
	ID         string
	TokenHash  string
	AgentID    string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end, whatever the activity
	RevokedAt  *time.Time
	RemoteAddr string
	UserAgent  string
}

const sessionCols = `id, token_hash, agent_id, created_at, last_seen_at, expires_at, revoked_at, remote_addr, user_agent`

func scanSession(r row) (Session, error) {
	var x Session
	err := r.Scan(&x.ID, &x.TokenHash, &x.AgentID, &x.CreatedAt, &x.LastSeenAt, &x.ExpiresAt, &x.RevokedAt, &x.RemoteAddr, &x.UserAgent)
	x.CreatedAt, x.LastSeenAt, x.ExpiresAt = x.CreatedAt.UTC(), x.LastSeenAt.UTC(), x.ExpiresAt.UTC()
	x.RevokedAt = utcPtr(x.RevokedAt)
	return x, err
}

// CreateSession stores x; ID is filled when empty.
func (s *Store) CreateSession(ctx context.Context, x Session) (Session, error) {
	if x.ID == "" {
		x.ID = newUUID()
	}
	x.CreatedAt, x.LastSeenAt, x.ExpiresAt = ts(x.CreatedAt), ts(x.LastSeenAt), ts(x.ExpiresAt)
	_, err := s.q.exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)`,
		x.ID, x.TokenHash, x.AgentID, x.CreatedAt, x.LastSeenAt, x.ExpiresAt, x.RemoteAddr, x.UserAgent)
	return x, wrap("create session", err)
}

// SessionByTokenHash returns the session whose token hashes to hash.
func (s *Store) SessionByTokenHash(ctx context.Context, hash string) (Session, error) {
	x, err := scanSession(s.q.queryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE token_hash = $1`, hash))
	return x, wrap("session by token", err)
}

// Session returns the session with id.
func (s *Store) Session(ctx context.Context, id string) (Session, error) {
	x, err := scanSession(s.q.queryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = $1`, id))
	return x, wrap("session "+id, err)
}

// TouchSession records activity on a live session. It never moves
// last_seen_at backwards.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.q.exec(ctx, `UPDATE sessions SET last_seen_at = $2
		WHERE id = $1 AND revoked_at IS NULL AND last_seen_at < $2`, id, ts(at))
	return wrap("touch session "+id, err)
}

// RevokeSession ends a session; revoking it again changes nothing.
func (s *Store) RevokeSession(ctx context.Context, id string, at time.Time) error {
	n, err := s.q.exec(ctx, `UPDATE sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, ts(at))
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("revoke session "+id, err)
}

// RevokeAgentSessions ends every live session of an agent and returns how
// many it ended.
func (s *Store) RevokeAgentSessions(ctx context.Context, agentID string, at time.Time) (int64, error) {
	n, err := s.q.exec(ctx, `UPDATE sessions SET revoked_at = $2 WHERE agent_id = $1 AND revoked_at IS NULL`, agentID, ts(at))
	return n, wrap(fmt.Sprintf("revoke sessions of agent %s", agentID), err)
}

// AgentSessions lists an agent's live sessions, newest first.
func (s *Store) AgentSessions(ctx context.Context, agentID string, now time.Time) ([]Session, error) {
	r, err := s.q.query(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE agent_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC`, agentID, ts(now))
	out, err := collect(r, err, func(r rows) (Session, error) { return scanSession(r) })
	return out, wrap("sessions of agent "+agentID, err)
}

// DeleteSessionsBefore removes sessions that expired or were revoked before
// cutoff and returns how many.
func (s *Store) DeleteSessionsBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	n, err := s.q.exec(interruptible(ctx), `DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1`, ts(cutoff))
	return n, wrap("delete old sessions", err)
}

// APIKey lets an outside system call the API with a role. Only the SHA-256
// of the key is stored.
type APIKey struct {
	ID         string
	Name       string
	KeyHash    string
	Role       string // integration, supervisor or admin
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

const apiKeyCols = `id, name, key_hash, role, created_by, created_at, last_used_at, revoked_at`

func scanAPIKey(r row) (APIKey, error) {
	var k APIKey
	var by *string
	err := r.Scan(&k.ID, &k.Name, &k.KeyHash, &k.Role, &by, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt)
	k.CreatedBy = deref(by)
	k.CreatedAt = k.CreatedAt.UTC()
	k.LastUsedAt, k.RevokedAt = utcPtr(k.LastUsedAt), utcPtr(k.RevokedAt)
	return k, err
}

// CreateAPIKey stores k; ID is filled when empty.
func (s *Store) CreateAPIKey(ctx context.Context, k APIKey) (APIKey, error) {
	if k.ID == "" {
		k.ID = newUUID()
	}
	k.CreatedAt = ts(k.CreatedAt)
	_, err := s.q.exec(ctx, `INSERT INTO api_keys (id, name, key_hash, role, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, k.ID, k.Name, k.KeyHash, k.Role, nullable(k.CreatedBy), k.CreatedAt)
	return k, wrap("create API key "+k.Name, err)
}

// APIKeyByHash returns the key whose hash is hash.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (APIKey, error) {
	k, err := scanAPIKey(s.q.queryRow(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE key_hash = $1`, hash))
	return k, wrap("API key by hash", err)
}

// APIKeys lists every key, newest first.
func (s *Store) APIKeys(ctx context.Context) ([]APIKey, error) {
	r, err := s.q.query(ctx, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY created_at DESC, id`)
	out, err := collect(r, err, func(r rows) (APIKey, error) { return scanAPIKey(r) })
	return out, wrap("API keys", err)
}

// TouchAPIKey records a use of the key.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.q.exec(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1`, id, ts(at))
	return wrap("touch API key "+id, err)
}

// RevokeAPIKey revokes a key; revoking it again changes nothing.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	n, err := s.q.exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, ts(at))
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("revoke API key "+id, err)
}

// TouchSessions records the activity of many sessions (id → time) in one
// transaction, as TouchSession does for one: never backwards, never on a
// revoked session.
func (s *Store) TouchSessions(ctx context.Context, touches map[string]time.Time) error {
	if len(touches) == 0 {
		return nil
	}
	if s.dialect == Postgres {
		ids, ats := make([]string, 0, len(touches)), make([]time.Time, 0, len(touches))
		for id, at := range touches {
			ids, ats = append(ids, id), append(ats, ts(at))
		}
		_, err := s.q.exec(ctx, `UPDATE sessions AS s SET last_seen_at = t.at
			FROM unnest($1::text[], $2::timestamptz[]) AS t (id, at)
			WHERE s.id = t.id AND s.revoked_at IS NULL AND s.last_seen_at < t.at`, ids, ats)
		return wrap("touch sessions", err)
	}
	return s.WithTx(ctx, func(tx *Store) error {
		for id, at := range touches {
			if err := tx.TouchSession(ctx, id, at); err != nil {
				return err
			}
		}
		return nil
	})
}

// SessionAgentByTokenHash returns the session whose token hashes to hash
// and its agent, in one query: the sign-in check that every desk repeats
// each minute (10 000 desks: about 170 a second) reads once, not twice.
func (s *Store) SessionAgentByTokenHash(ctx context.Context, hash string) (Session, Agent, error) {
	var x Session
	var a Agent
	err := s.q.queryRow(ctx, `SELECT s.id, s.token_hash, s.agent_id, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, s.remote_addr, s.user_agent,
		a.id, a.login, a.display_name, a.role, a.password_hash, a.disabled, a.created_at, a.updated_at
		FROM sessions s JOIN agents a ON a.id = s.agent_id WHERE s.token_hash = $1`, hash).Scan(
		&x.ID, &x.TokenHash, &x.AgentID, &x.CreatedAt, &x.LastSeenAt, &x.ExpiresAt, &x.RevokedAt, &x.RemoteAddr, &x.UserAgent,
		&a.ID, &a.Login, &a.DisplayName, &a.Role, &a.PasswordHash, &a.Disabled, &a.CreatedAt, &a.UpdatedAt)
	x.CreatedAt, x.LastSeenAt, x.ExpiresAt = x.CreatedAt.UTC(), x.LastSeenAt.UTC(), x.ExpiresAt.UTC()
	x.RevokedAt = utcPtr(x.RevokedAt)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return x, a, wrap("session by token", err)
}
