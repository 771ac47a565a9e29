package store

import (
	"context"
	"fmt"
	"time"
)

// Outcome is how a contact ended. Every contact gets exactly one.
type Outcome string

const (
	OutcomeSelfService  Outcome = "self_service"  // ended in the IVR without an agent request
	OutcomeIVRAbandoned Outcome = "ivr_abandoned" // hung up in the IVR before asking for an agent
	OutcomeAnswered     Outcome = "answered"      // an agent talked to the customer
	OutcomeAbandoned    Outcome = "abandoned"     // left while queued or while an agent was offered
	OutcomeSystemLost   Outcome = "system_lost"   // no agent, queue timeout, platform teardown
	OutcomeMessage      Outcome = "message"       // left a message or callback request instead of waiting
)

// Contact is one customer interaction on one channel, from arrival to end.
type Contact struct {
	ID         string
	Channel    Channel
	CustomerID string // empty when the customer was not identified
	ANI        string // calling number or chat identity
	EntryPoint string // dialled number (DNIS) or chat widget id
	QueueID    string // the agent queue it first entered, if any
	AgentID    string // the agent who answered, if any
	StartedAt  time.Time
	QueuedAt   *time.Time
	AnsweredAt *time.Time
	EndedAt    *time.Time
	Outcome    Outcome // empty while the contact is open
	// Holds counts the times an agent put the contact on hold; Hold is
	// their total length (millisecond precision).
	Holds int
	Hold  time.Duration
}

const contactCols = `id, channel, customer_id, ani, entry_point, queue_id, agent_id, started_at, queued_at, answered_at, ended_at, outcome, holds, hold_ms`

func scanContact(r row) (Contact, error) {
	var c Contact
	var customer, queue, agent, outcome *string
	var holdMS int64
	err := r.Scan(&c.ID, &c.Channel, &customer, &c.ANI, &c.EntryPoint, &queue, &agent,
		&c.StartedAt, &c.QueuedAt, &c.AnsweredAt, &c.EndedAt, &outcome, &c.Holds, &holdMS)
	c.Hold = time.Duration(holdMS) * time.Millisecond
	c.CustomerID, c.QueueID, c.AgentID = deref(customer), deref(queue), deref(agent)
	c.Outcome = Outcome(deref(outcome))
	c.StartedAt = c.StartedAt.UTC()
	c.QueuedAt, c.AnsweredAt, c.EndedAt = utcPtr(c.QueuedAt), utcPtr(c.AnsweredAt), utcPtr(c.EndedAt)
	return c, err
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// CreateContact records a contact's arrival; ID is filled when empty.
func (s *Store) CreateContact(ctx context.Context, c Contact) (Contact, error) {
	if c.ID == "" {
		c.ID = newUUID()
	}
	c.StartedAt = ts(c.StartedAt)
	_, err := s.q.exec(ctx, `INSERT INTO contacts (id, channel, customer_id, ani, entry_point, started_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		c.ID, string(c.Channel), nullable(c.CustomerID), c.ANI, c.EntryPoint, c.StartedAt)
	return c, wrap("create contact", err)
}

// Contact returns the contact with id.
func (s *Store) Contact(ctx context.Context, id string) (Contact, error) {
	c, err := scanContact(s.q.queryRow(ctx, `SELECT `+contactCols+` FROM contacts WHERE id = $1`, id))
	return c, wrap("contact "+id, err)
}

// MarkQueued records the contact's first entry into an agent queue. Later
// entries (re-queue, overflow, transfer) keep the first: the agent request
// belongs to the queue it first entered.
func (s *Store) MarkQueued(ctx context.Context, id, queueID string, at time.Time) error {
	return s.updateOpenContact(ctx, "mark queued", id,
		`UPDATE contacts SET queue_id = COALESCE(queue_id, $2), queued_at = COALESCE(queued_at, $3)
		 WHERE id = $1 AND ended_at IS NULL`, queueID, ts(at))
}

// MarkAnswered records the agent who connected with the contact.
func (s *Store) MarkAnswered(ctx context.Context, id, agentID string, at time.Time) error {
	return s.updateOpenContact(ctx, "mark answered", id,
		`UPDATE contacts SET agent_id = $2, answered_at = COALESCE(answered_at, $3)
		 WHERE id = $1 AND ended_at IS NULL`, agentID, ts(at))
}

// AddHold records one hold of an open contact, d long.
func (s *Store) AddHold(ctx context.Context, id string, d time.Duration) error {
	if d < 0 {
		return wrap("add hold "+id, fmt.Errorf("%w: negative hold %v", ErrInvalid, d))
	}
	return s.updateOpenContact(ctx, "add hold", id,
		`UPDATE contacts SET holds = holds + 1, hold_ms = hold_ms + $2 WHERE id = $1 AND ended_at IS NULL`,
		d.Milliseconds())
}

// EndContact records the contact's one outcome. Ending a contact twice is
// ErrConflict and leaves the first outcome in place.
func (s *Store) EndContact(ctx context.Context, id string, outcome Outcome, at time.Time) error {
	return s.updateOpenContact(ctx, "end contact", id,
		`UPDATE contacts SET outcome = $2, ended_at = $3 WHERE id = $1 AND ended_at IS NULL`,
		string(outcome), ts(at))
}

func (s *Store) updateOpenContact(ctx context.Context, op, id, q string, args ...any) error {
	n, err := s.q.exec(ctx, q, append([]any{id}, args...)...)
	if err != nil {
		return wrap(op+" "+id, err)
	}
	if n == 1 {
		return nil
	}
	var ended *time.Time
	if err := s.q.queryRow(ctx, `SELECT ended_at FROM contacts WHERE id = $1`, id).Scan(&ended); err != nil {
		return wrap(op+" "+id, err)
	}
	return wrap(op+" "+id, fmt.Errorf("%w: contact already ended", ErrConflict))
}

// ContactFilter selects contacts for a history view.
type ContactFilter struct {
	CustomerID string
	ANI        string
	Since      time.Time // inclusive; zero for no bound
	Limit      int       // default 50, at most 1000
}

// Contacts lists contacts matching f, newest first.
func (s *Store) Contacts(ctx context.Context, f ContactFilter) ([]Contact, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	if f.CustomerID == "" && f.ANI == "" {
		return nil, fmt.Errorf("contacts: %w: a customer id or an ANI is required", ErrInvalid)
	}
	// One indexed column leads the search; the other, if given, filters.
	lead, val, other := "customer_id", f.CustomerID, f.ANI
	cond := "($4 = '' OR ani = $4)"
	if val == "" {
		lead, val, other = "ani", f.ANI, ""
	}
	r, err := s.q.query(ctx, `SELECT `+contactCols+` FROM contacts
		WHERE `+lead+` = $1 AND started_at >= $2 AND `+cond+`
		ORDER BY started_at DESC, id DESC LIMIT $3`,
		val, ts(f.Since), f.Limit, other)
	out, err := collect(r, err, func(r rows) (Contact, error) { return scanContact(r) })
	return out, wrap("contacts", err)
}
