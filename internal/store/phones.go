package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// AgentPhone is an agent's phone setting: the kind that rings ("sip",
// "browser", "" for the node's default) and the SIP phone's digest
// credentials, kept as HA1 only (RFC 2617 3.2.2.2).
type AgentPhone struct {
	AgentID   string
	Kind      string
	SIPUser   string // "": no SIP credentials
	SIPRealm  string
	SIPHA1    string // hex MD5(user:realm:password)
	UpdatedAt time.Time
}

const agentPhoneCols = `agent_id, kind, sip_user, sip_realm, sip_ha1, updated_at`

func scanAgentPhone(r row) (AgentPhone, error) {
	var x AgentPhone
	var user sql.NullString
	err := r.Scan(&x.AgentID, &x.Kind, &user, &x.SIPRealm, &x.SIPHA1, &x.UpdatedAt)
	x.SIPUser, x.UpdatedAt = user.String, x.UpdatedAt.UTC()
	return x, err
}

// AgentPhone returns an agent's phone setting; ErrNotFound when the agent
// never had one set.
func (s *Store) AgentPhone(ctx context.Context, agentID string) (AgentPhone, error) {
	x, err := scanAgentPhone(s.q.queryRow(ctx, `SELECT `+agentPhoneCols+` FROM agent_phones WHERE agent_id = $1`, agentID))
	return x, wrap("agent phone "+agentID, err)
}

// AgentPhoneBySIPUser returns the phone setting holding a SIP user name.
func (s *Store) AgentPhoneBySIPUser(ctx context.Context, user string) (AgentPhone, error) {
	x, err := scanAgentPhone(s.q.queryRow(ctx, `SELECT `+agentPhoneCols+` FROM agent_phones WHERE sip_user = $1`, user))
	return x, wrap("agent phone of sip user "+user, err)
}

// SetAgentPhone stores an agent's phone setting whole (kind and
// credentials). A SIP user name another agent holds is ErrConflict; an
// unknown agent ErrReference; an unknown kind ErrInvalid.
func (s *Store) SetAgentPhone(ctx context.Context, x AgentPhone) (AgentPhone, error) {
	x.UpdatedAt = ts(x.UpdatedAt)
	var user any
	if x.SIPUser != "" {
		user = x.SIPUser
	}
	_, err := s.q.exec(ctx, `INSERT INTO agent_phones (`+agentPhoneCols+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (agent_id) DO UPDATE SET kind = excluded.kind, sip_user = excluded.sip_user,
		sip_realm = excluded.sip_realm, sip_ha1 = excluded.sip_ha1, updated_at = excluded.updated_at`,
		x.AgentID, x.Kind, user, x.SIPRealm, x.SIPHA1, x.UpdatedAt)
	return x, wrap("set agent phone "+x.AgentID, err)
}

// PhoneKind returns the agent's phone kind, "" when none is set (the
// node's default); it is the ivr/phone Settings of the store.
func (s *Store) PhoneKind(ctx context.Context, agentID string) (string, error) {
	x, err := s.AgentPhone(ctx, agentID)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return x.Kind, err
}

// Recording is the recording of one bridged call.
type Recording struct {
	ID        string
	ContactID string
	AgentID   string
	Path      string // relative to the data directory
	StartedAt time.Time
	Duration  time.Duration
}

const recordingCols = `id, contact_id, agent_id, path, started_at, duration_ms`

func scanRecording(r row) (Recording, error) {
	var x Recording
	var ms int64
	err := r.Scan(&x.ID, &x.ContactID, &x.AgentID, &x.Path, &x.StartedAt, &ms)
	x.StartedAt, x.Duration = x.StartedAt.UTC(), time.Duration(ms)*time.Millisecond
	return x, err
}

// CreateRecording stores a recording's row; ID is filled when empty.
func (s *Store) CreateRecording(ctx context.Context, x Recording) (Recording, error) {
	if x.ID == "" {
		x.ID = newUUID()
	}
	x.StartedAt = ts(x.StartedAt)
	_, err := s.q.exec(ctx, `INSERT INTO call_recordings (`+recordingCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		x.ID, x.ContactID, x.AgentID, x.Path, x.StartedAt, x.Duration.Milliseconds())
	return x, wrap("create recording", err)
}

// FinishRecording records a recording's length once the call ended.
func (s *Store) FinishRecording(ctx context.Context, id string, d time.Duration) error {
	n, err := s.q.exec(ctx, `UPDATE call_recordings SET duration_ms = $2 WHERE id = $1`, id, d.Milliseconds())
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("finish recording "+id, err)
}

// Recording returns one recording.
func (s *Store) Recording(ctx context.Context, id string) (Recording, error) {
	x, err := scanRecording(s.q.queryRow(ctx, `SELECT `+recordingCols+` FROM call_recordings WHERE id = $1`, id))
	return x, wrap("recording "+id, err)
}

// ContactRecordings lists a contact's recordings, oldest first.
func (s *Store) ContactRecordings(ctx context.Context, contactID string) ([]Recording, error) {
	rows, err := s.q.query(ctx, `SELECT `+recordingCols+` FROM call_recordings WHERE contact_id = $1 ORDER BY started_at, id`, contactID)
	if err != nil {
		return nil, wrap("recordings of "+contactID, err)
	}
	defer rows.Close()
	var out []Recording
	for rows.Next() {
		x, err := scanRecording(rows)
		if err != nil {
			return nil, wrap("recordings of "+contactID, err)
		}
		out = append(out, x)
	}
	return out, wrap("recordings of "+contactID, rows.Err())
}
