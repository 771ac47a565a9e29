package store

import (
	"context"
	"fmt"
	"time"
)

// Role is what an agent account may do.
type Role string

const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// Agent is a person who logs in to the desk.
type Agent struct {
	ID           string
	Login        string
	DisplayName  string
	Role         Role
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// AgentSkill is one skill of an agent with its proficiency (1–10).
type AgentSkill struct {
	Skill       string
	Proficiency int
}

const agentCols = `id, login, display_name, role, password_hash, disabled, created_at, updated_at`

func scanAgent(r row) (Agent, error) {
	var a Agent
	err := r.Scan(&a.ID, &a.Login, &a.DisplayName, &a.Role, &a.PasswordHash, &a.Disabled, &a.CreatedAt, &a.UpdatedAt)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, err
}

// CreateAgent inserts a; ID, CreatedAt and UpdatedAt are filled when empty.
func (s *Store) CreateAgent(ctx context.Context, a Agent) (Agent, error) {
	if a.ID == "" {
		a.ID = newUUID()
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now()
	}
	a.CreatedAt = ts(a.CreatedAt)
	a.UpdatedAt = a.CreatedAt
	_, err := s.q.exec(ctx, `INSERT INTO agents (`+agentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		a.ID, a.Login, a.DisplayName, string(a.Role), a.PasswordHash, a.Disabled, a.CreatedAt, a.UpdatedAt)
	return a, wrap("create agent "+a.Login, err)
}

// Agent returns the agent with id.
func (s *Store) Agent(ctx context.Context, id string) (Agent, error) {
	a, err := scanAgent(s.q.queryRow(ctx, `SELECT `+agentCols+` FROM agents WHERE id = $1`, id))
	return a, wrap("agent "+id, err)
}

// AgentByLogin returns the agent whose login is login.
func (s *Store) AgentByLogin(ctx context.Context, login string) (Agent, error) {
	a, err := scanAgent(s.q.queryRow(ctx, `SELECT `+agentCols+` FROM agents WHERE login = $1`, login))
	return a, wrap(fmt.Sprintf("agent by login %q", login), err)
}

// Agents lists every agent by login.
func (s *Store) Agents(ctx context.Context) ([]Agent, error) {
	r, err := s.q.query(ctx, `SELECT `+agentCols+` FROM agents ORDER BY login`)
	out, err := collect(r, err, func(r rows) (Agent, error) { return scanAgent(r) })
	return out, wrap("agents", err)
}

// AgentUpdate changes the fields that are not nil.
type AgentUpdate struct {
	DisplayName  *string
	Role         *Role
	Disabled     *bool
	PasswordHash *string
}

// UpdateAgent applies u to the agent with id at time now.
func (s *Store) UpdateAgent(ctx context.Context, id string, u AgentUpdate, now time.Time) (Agent, error) {
	var role *string
	if u.Role != nil {
		r := string(*u.Role)
		role = &r
	}
	a, err := scanAgent(s.q.queryRow(ctx, `UPDATE agents SET
		display_name = COALESCE($2, display_name),
		role = COALESCE($3, role),
		disabled = COALESCE($4, disabled),
		password_hash = COALESCE($5, password_hash),
		updated_at = $6
		WHERE id = $1 RETURNING `+agentCols,
		id, u.DisplayName, role, u.Disabled, u.PasswordHash, ts(now)))
	return a, wrap("update agent "+id, err)
}

// SetAgentSkills replaces the agent's skills with skills, atomically.
func (s *Store) SetAgentSkills(ctx context.Context, agentID string, skills []AgentSkill) error {
	return s.WithTx(ctx, func(tx *Store) error {
		n, err := tx.q.exec(ctx, `UPDATE agents SET updated_at = updated_at WHERE id = $1`, agentID)
		if err != nil {
			return wrap("set agent skills "+agentID, err)
		}
		if n == 0 {
			return wrap("set agent skills "+agentID, ErrNotFound)
		}
		if _, err := tx.q.exec(ctx, `DELETE FROM agent_skills WHERE agent_id = $1`, agentID); err != nil {
			return wrap("set agent skills "+agentID, err)
		}
		for _, sk := range skills {
			if _, err := tx.q.exec(ctx, `INSERT INTO agent_skills (agent_id, skill, proficiency) VALUES ($1, $2, $3)`,
				agentID, sk.Skill, sk.Proficiency); err != nil {
				return wrap(fmt.Sprintf("set agent skills %s: %s", agentID, sk.Skill), err)
			}
		}
		return nil
	})
}

// AgentSkills returns the agent's skills by name.
func (s *Store) AgentSkills(ctx context.Context, agentID string) ([]AgentSkill, error) {
	r, err := s.q.query(ctx, `SELECT skill, proficiency FROM agent_skills WHERE agent_id = $1 ORDER BY skill`, agentID)
	out, err := collect(r, err, func(r rows) (AgentSkill, error) {
		var sk AgentSkill
		return sk, r.Scan(&sk.Skill, &sk.Proficiency)
	})
	return out, wrap("agent skills "+agentID, err)
}
