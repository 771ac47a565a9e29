package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Versioned is a table whose rows carry a version for optimistic
// concurrency (administration's If-Match / ETag).
type Versioned string

const (
	VersionedAgents    Versioned = "agents"
	VersionedQueues    Versioned = "queues"
	VersionedCustomers Versioned = "customers"
	VersionedCalendars Versioned = "calendars"
	VersionedSettings  Versioned = "admin_settings"
	VersionedSkills    Versioned = "skills" // keyed by name
)

func (t Versioned) valid() bool {
	return t == VersionedAgents || t == VersionedQueues || t == VersionedCustomers || t == VersionedCalendars ||
		t == VersionedSettings || t == VersionedSkills
}

// key is the column that names a row of t.
func (t Versioned) key() string {
	if t == VersionedSkills {
		return "name"
	}
	return "id"
}

// Version returns the version of row id of table t.
func (s *Store) Version(ctx context.Context, t Versioned, id string) (int64, error) {
	if !t.valid() {
		return 0, fmt.Errorf("version of %s: %w: table", t, ErrInvalid)
	}
	var v int64
	err := s.q.queryRow(ctx, `SELECT version FROM `+string(t)+` WHERE `+t.key()+` = $1`, id).Scan(&v)
	return v, wrap(fmt.Sprintf("version of %s %s", t, id), err)
}

// BumpVersion moves row id of table t to its next version when its current
// one is want (any version when want is 0) and returns the new version:
// ErrStale when another change came first, ErrNotFound when there is no
// such row. Run it first in the transaction that makes the change: the
// row's lock then orders concurrent edits.
func (s *Store) BumpVersion(ctx context.Context, t Versioned, id string, want int64, now time.Time) (int64, error) {
	if !t.valid() {
		return 0, fmt.Errorf("bump version of %s: %w: table", t, ErrInvalid)
	}
	op := fmt.Sprintf("bump version of %s %s", t, id)
	var v int64
	err := s.q.queryRow(ctx, `UPDATE `+string(t)+` SET version = version + 1, updated_at = $3
		WHERE `+t.key()+` = $1 AND ($2 = 0 OR version = $2) RETURNING version`, id, want, ts(now)).Scan(&v)
	if err == nil {
		return v, nil
	}
	if classify(err) != ErrNotFound {
		return 0, wrap(op, err)
	}
	if _, err := s.Version(ctx, t, id); err != nil {
		return 0, wrap(op, err)
	}
	return 0, fmt.Errorf("%s: %w", op, ErrStale)
}

// AgentTeams returns the teams of an agent, by name.
func (s *Store) AgentTeams(ctx context.Context, agentID string) ([]string, error) {
	r, err := s.q.query(ctx, `SELECT team FROM agent_teams WHERE agent_id = $1 ORDER BY team`, agentID)
	out, err := collect(r, err, func(r rows) (string, error) {
		var t string
		return t, r.Scan(&t)
	})
	return out, wrap("agent teams "+agentID, err)
}

// SetAgentTeams replaces the teams of an agent.
func (s *Store) SetAgentTeams(ctx context.Context, agentID string, teams []string) error {
	return s.WithTx(ctx, func(tx *Store) error {
		if _, err := tx.q.exec(ctx, `DELETE FROM agent_teams WHERE agent_id = $1`, agentID); err != nil {
			return wrap("set agent teams "+agentID, err)
		}
		for _, t := range teams {
			if _, err := tx.q.exec(ctx, `INSERT INTO agent_teams (agent_id, team) VALUES ($1, $2)`, agentID, t); err != nil {
				return wrap(fmt.Sprintf("set agent teams %s: %s", agentID, t), err)
			}
		}
		return nil
	})
}

// ShareTeam reports whether two agents have a team in common.
func (s *Store) ShareTeam(ctx context.Context, a, b string) (bool, error) {
	var n int
	err := s.q.queryRow(ctx, `SELECT count(*) FROM agent_teams x JOIN agent_teams y ON x.team = y.team
		WHERE x.agent_id = $1 AND y.agent_id = $2`, a, b).Scan(&n)
	return n > 0, wrap("share team", err)
}

// AgentPage selects agents by login.
type AgentPage struct {
	After  string // logins greater than this
	Search string // a login or display name containing this (case-sensitive)
	Team   string // only members of this team
	Limit  int
}

// AgentsPaged lists agents by login after p.After, at most p.Limit (100 when 0).
func (s *Store) AgentsPaged(ctx context.Context, p AgentPage) ([]Agent, error) {
	if p.Limit <= 0 {
		p.Limit = 100
	}
	pos := "strpos"
	if s.dialect == SQLite {
		pos = "instr"
	}
	r, err := s.q.query(ctx, `SELECT `+agentCols+` FROM agents a WHERE login > $1
		AND ($2 = '' OR `+pos+`(login, $2) > 0 OR `+pos+`(display_name, $2) > 0)
		AND ($3 = '' OR EXISTS (SELECT 1 FROM agent_teams t WHERE t.agent_id = a.id AND t.team = $3))
		ORDER BY login LIMIT $4`, p.After, p.Search, p.Team, p.Limit)
	out, err := collect(r, err, func(r rows) (Agent, error) { return scanAgent(r) })
	return out, wrap("agents page", err)
}

// ClaimRequest records that actor's request with idempotency key key made
// subject id of kind. When the key was used before it returns the kind and
// subject of that first request and ErrConflict.
func (s *Store) ClaimRequest(ctx context.Context, actor, key, kind, id string, now time.Time) (string, string, error) {
	var k, sub string
	err := s.q.queryRow(ctx, `SELECT kind, subject_id FROM admin_requests WHERE actor = $1 AND idempotency_key = $2`,
		actor, key).Scan(&k, &sub)
	if err == nil {
		return k, sub, fmt.Errorf("claim request %q: %w", key, ErrConflict)
	}
	if classify(err) != ErrNotFound {
		return "", "", wrap("claim request", err)
	}
	_, err = s.q.exec(ctx, `INSERT INTO admin_requests (actor, idempotency_key, kind, subject_id, created_at)
		VALUES ($1, $2, $3, $4, $5)`, actor, key, kind, id, ts(now))
	return "", "", wrap("claim request", err)
}

// RequestOf returns the kind and subject a request with key made, or ErrNotFound.
func (s *Store) RequestOf(ctx context.Context, actor, key string) (string, string, error) {
	var k, sub string
	err := s.q.queryRow(ctx, `SELECT kind, subject_id FROM admin_requests WHERE actor = $1 AND idempotency_key = $2`,
		actor, key).Scan(&k, &sub)
	return k, sub, wrap("request "+key, err)
}

// ForgetRequests deletes idempotency keys older than before.
func (s *Store) ForgetRequests(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.q.exec(interruptible(ctx), `DELETE FROM admin_requests WHERE created_at < $1`, ts(before))
	return n, wrap("forget requests", err)
}

// QueueRouting returns a queue's routing settings beyond the foundation's
// columns: a JSON object package admin reads and writes ("{}" by default).
func (s *Store) QueueRouting(ctx context.Context, id string) (string, error) {
	var v string
	err := s.q.queryRow(ctx, `SELECT routing FROM queues WHERE id = $1`, id).Scan(&v)
	return v, wrap("queue routing "+id, err)
}

// QueueRoutings returns the routing settings of every queue by id.
func (s *Store) QueueRoutings(ctx context.Context) (map[string]string, error) {
	r, err := s.q.query(ctx, `SELECT id, routing FROM queues`)
	type pair struct{ id, routing string }
	out, err := collect(r, err, func(r rows) (pair, error) {
		var p pair
		return p, r.Scan(&p.id, &p.routing)
	})
	if err != nil {
		return nil, wrap("queue routings", err)
	}
	m := make(map[string]string, len(out))
	for _, p := range out {
		m[p.id] = p.routing
	}
	return m, nil
}

// SetQueueRouting stores a queue's routing settings.
func (s *Store) SetQueueRouting(ctx context.Context, id, routing string) error {
	n, err := s.q.exec(ctx, `UPDATE queues SET routing = $2 WHERE id = $1`, id, routing)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("set queue routing "+id, err)
}

// AgentWork is an agent's work settings beyond skills and teams, kept as a
// JSON object in agents.work. Nil fields mean the center's defaults.
type AgentWork struct {
	Site          string        `json:"site,omitempty"`
	Capacity      *WorkCapacity `json:"capacity,omitempty"`
	WrapUpSeconds *int          `json:"wrap_up_seconds,omitempty"`
}

// WorkCapacity is how much work an agent holds at once.
type WorkCapacity struct {
	Voice           int  `json:"voice"`
	Chat            int  `json:"chat"`
	VoiceBlocksChat bool `json:"voice_blocks_chat"`
}

// AgentWork returns an agent's work settings.
func (s *Store) AgentWork(ctx context.Context, id string) (AgentWork, error) {
	var v string
	var w AgentWork
	if err := s.q.queryRow(ctx, `SELECT work FROM agents WHERE id = $1`, id).Scan(&v); err != nil {
		return w, wrap("agent work "+id, err)
	}
	if err := json.Unmarshal([]byte(v), &w); err != nil {
		return w, fmt.Errorf("agent work %s: %w", id, err)
	}
	return w, nil
}

// SetAgentWork stores an agent's work settings.
func (s *Store) SetAgentWork(ctx context.Context, id string, w AgentWork) error {
	b, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("set agent work %s: %w", id, err)
	}
	n, err := s.q.exec(ctx, `UPDATE agents SET work = $2 WHERE id = $1`, id, string(b))
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("set agent work "+id, err)
}

// DeleteQueue deletes a queue and its skills.
func (s *Store) DeleteQueue(ctx context.Context, id string) error {
	n, err := s.q.exec(ctx, `DELETE FROM queues WHERE id = $1`, id)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("delete queue "+id, err)
}

// CustomerFlags are what administration marks a customer with.
type CustomerFlags struct {
	Blacklisted bool // calls and chats are refused or screened
	DoNotCall   bool // no outbound calls (return visits, campaigns)
}

// CustomerFlagsOf returns the flags of a customer.
func (s *Store) CustomerFlagsOf(ctx context.Context, id string) (CustomerFlags, error) {
	var f CustomerFlags
	err := s.q.queryRow(ctx, `SELECT blacklisted, do_not_call FROM customers WHERE id = $1`, id).Scan(&f.Blacklisted, &f.DoNotCall)
	return f, wrap("customer flags "+id, err)
}

// CustomerUpdate changes the fields that are not nil; an empty ANI or
// account clears it.
type CustomerUpdate struct {
	ANI, Account, Name *string
	Tier               *Tier
	Flags              *CustomerFlags
}

// UpdateCustomer applies u to customer id at now.
func (s *Store) UpdateCustomer(ctx context.Context, id string, u CustomerUpdate, now time.Time) error {
	var ani, account, tier any
	setANI, setAccount := u.ANI != nil, u.Account != nil
	if setANI {
		ani = nullable(*u.ANI)
	}
	if setAccount {
		account = nullable(*u.Account)
	}
	if u.Tier != nil {
		tier = string(*u.Tier)
	}
	var bl, dnc any
	if u.Flags != nil {
		bl, dnc = u.Flags.Blacklisted, u.Flags.DoNotCall
	}
	n, err := s.q.exec(ctx, `UPDATE customers SET
		ani = CASE WHEN $2 THEN $3 ELSE ani END,
		account = CASE WHEN $4 THEN $5 ELSE account END,
		name = COALESCE($6, name), tier = COALESCE($7, tier),
		blacklisted = COALESCE($8, blacklisted), do_not_call = COALESCE($9, do_not_call),
		updated_at = $10 WHERE id = $1`,
		id, setANI, ani, setAccount, account, u.Name, tier, bl, dnc, ts(now))
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return wrap("update customer "+id, err)
}

// CustomersPaged lists customers by id after after whose calling number,
// further contact number, account or name contains search ("" for all), at most limit.
func (s *Store) CustomersPaged(ctx context.Context, after, search string, limit int) ([]Customer, error) {
	pos := "strpos"
	if s.dialect == SQLite {
		pos = "instr"
	}
	r, err := s.q.query(ctx, `SELECT `+customerCols+` FROM customers WHERE id > $1
		AND ($2 = '' OR `+pos+`(COALESCE(ani, ''), $2) > 0 OR `+pos+`(COALESCE(account, ''), $2) > 0 OR `+pos+`(name, $2) > 0
			OR EXISTS (SELECT 1 FROM customer_numbers n WHERE n.customer_id = customers.id AND `+pos+`(n.number, $2) > 0))
		ORDER BY id LIMIT $3`, after, search, limit)
	out, err := collect(r, err, func(r rows) (Customer, error) { return scanCustomer(r) })
	return out, wrap("customers page", err)
}

// CustomerNumbers returns a customer's further contact numbers, in the
// order they were set.
func (s *Store) CustomerNumbers(ctx context.Context, id string) ([]string, error) {
	r, err := s.q.query(ctx, `SELECT number FROM customer_numbers WHERE customer_id = $1 ORDER BY position`, id)
	out, err := collect(r, err, func(r rows) (string, error) {
		var n string
		return n, r.Scan(&n)
	})
	return out, wrap("customer numbers "+id, err)
}

// SetCustomerNumbers replaces a customer's further contact numbers:
// ErrConflict when one is already another customer's further number
// (NumberOwner tells who has a number in any role).
func (s *Store) SetCustomerNumbers(ctx context.Context, id string, numbers []string) error {
	if _, err := s.q.exec(ctx, `DELETE FROM customer_numbers WHERE customer_id = $1`, id); err != nil {
		return wrap("set customer numbers "+id, err)
	}
	for i, n := range numbers {
		if _, err := s.q.exec(ctx, `INSERT INTO customer_numbers (number, customer_id, position) VALUES ($1, $2, $3)`, n, id, i); err != nil {
			return wrap("set customer numbers "+id+": "+n, err)
		}
	}
	return nil
}

// NumberOwner returns the customer whose own number (ani) or further
// contact number is number ("" when nobody's).
func (s *Store) NumberOwner(ctx context.Context, number string) (string, error) {
	var id string
	err := s.q.queryRow(ctx, `SELECT id FROM customers WHERE ani = $1
		UNION ALL SELECT customer_id FROM customer_numbers WHERE number = $1 LIMIT 1`, number).Scan(&id)
	if classify(err) == ErrNotFound {
		return "", nil
	}
	return id, wrap("owner of a number", err)
}
