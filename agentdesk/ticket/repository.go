package ticket

import (
	"context"
	"time"
)

// Repository persists tickets. Every change the Service makes runs inside one
// InTx call, which commits the ticket, its history, annotations and outbox
// messages together or nothing; fn's error rolls everything back and is
// returned as is. Implementations must make Lock serialise writers of one
// ticket (SELECT … FOR UPDATE or a write transaction) and Update check the
// version, so two claimers of one ticket see one winner.
type Repository interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	// NextSequence allocates the next ticket sequence number of day
	// ("20060102"), unique across every node and increasing per node. It runs
	// outside any transaction, so the day's counter is never held while a
	// ticket is written; numbers of failed creations are lost (gaps).
	NextSequence(ctx context.Context, day string) (int64, error)
}

// Tx is the work available inside one transaction. Missing rows give
// ErrNotFound.
type Tx interface {
	// Create inserts t and sets t.ID. A used non-empty IdempotencyKey gives
	// ErrDuplicateKey.
	Create(ctx context.Context, t *Ticket) error
	// Get reads a ticket; Lock reads it for update (held until the end of the
	// transaction).
	Get(ctx context.Context, id int64) (*Ticket, error)
	Lock(ctx context.Context, id int64) (*Ticket, error)
	ByNumber(ctx context.Context, number string) (*Ticket, error)
	ByKey(ctx context.Context, idempotencyKey string) (*Ticket, error)
	// Update writes t if the stored version is prev (t.Version is prev+1),
	// else ErrConflict. It also stores t.SLA.NextDue and t.SLA.Deadline in
	// their indexed columns.
	Update(ctx context.Context, t *Ticket, prev int64) error
	// Search lists tickets matching f, in f.Sort order, f.Limit at most from
	// f.Offset.
	Search(ctx context.Context, f Filter) ([]*Ticket, error)
	// Due lists ids of open tickets whose SLA.NextDue is at or before now,
	// earliest first, limit at most (an indexed range scan).
	Due(ctx context.Context, now time.Time, limit int) ([]int64, error)

	AddHistory(ctx context.Context, e []Entry) error
	History(ctx context.Context, ticket int64) ([]Entry, error)
	AddNote(ctx context.Context, a *Annotation) error // sets a.ID
	Notes(ctx context.Context, ticket int64) ([]Annotation, error)

	// Enqueue adds messages to the outbox; a message whose Key exists is
	// skipped.
	Enqueue(ctx context.Context, m []Message) error
	// ClaimMessages takes up to limit queued messages whose NextTry is at or
	// before now, earliest first, skipping rows other transactions hold; it
	// increments Attempts and pushes NextTry to now+lease before returning
	// them, so a courier that dies mid-send lets another retry after the lease.
	ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error)
	// SaveMessage records a delivery outcome: State, Outcome, NextTry, SentAt.
	SaveMessage(ctx context.Context, m Message) error
	// Messages lists a ticket's outbox messages, oldest first.
	Messages(ctx context.Context, ticket int64) ([]Message, error)
}

// Sort orders search results.
type Sort string

// The sort orders.
const (
	Newest  Sort = "newest"  // created_at descending (default)
	Oldest  Sort = "oldest"  // created_at ascending
	Urgency Sort = "urgency" // SLA.Deadline ascending, no deadline last, then priority, then oldest
	Visits  Sort = "visit"   // return visit due time ascending, none last
)

// Filter selects tickets. Empty fields match anything.
type Filter struct {
	Statuses []Status `json:"status,omitempty"`
	Type     Type     `json:"type,omitempty"`
	Category string   `json:"category,omitempty"`
	Priority Priority `json:"priority,omitempty"`
	Group    string   `json:"group,omitempty"`
	Assignee string   `json:"assignee,omitempty"`
	Region   string   `json:"region,omitempty"`
	Phone    string   `json:"phone,omitempty"`
	Text     string   `json:"q,omitempty"` // substring of subject or description
	Open     bool     `json:"open,omitempty"`
	From     time.Time
	To       time.Time // created in [From, To)
	VisitDue time.Time // non-zero: only tickets whose return visit is due by then (Ticket.VisitDue)
	Sort     Sort
	Limit    int
	Offset   int
}

// MaxPage is the largest page Search returns.
const MaxPage = 500

// Validate checks the filter; errors name the query parameter.
func (f *Filter) Validate() error {
	for _, s := range f.Statuses {
		if !s.Valid() {
			return fieldErr("status", "unknown status %q", s)
		}
	}
	switch {
	case f.Type != "" && !f.Type.Valid():
		return fieldErr("type", "unknown type %q", f.Type)
	case f.Priority != "" && !f.Priority.Valid():
		return fieldErr("priority", "unknown priority %q", f.Priority)
	case f.Sort != "" && f.Sort != Newest && f.Sort != Oldest && f.Sort != Urgency && f.Sort != Visits:
		return fieldErr("sort", "unknown sort %q", f.Sort)
	case f.Limit < 0 || f.Limit > MaxPage:
		return fieldErr("limit", "must be between 1 and %d", MaxPage)
	case f.Offset < 0:
		return fieldErr("offset", "must not be negative")
	case !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To):
		return fieldErr("to", "must be after from")
	}
	for _, c := range []struct{ name, v string }{{"group", f.Group}, {"assignee", f.Assignee}, {"region", f.Region}, {"category", f.Category}} {
		if err := checkName(c.name, c.v); err != nil {
			return err
		}
	}
	if f.Phone != "" {
		if err := checkPhone("phone", f.Phone); err != nil {
			return err
		}
	}
	if err := checkText("q", f.Text, 0, maxSubject); err != nil {
		return err
	}
	if f.Sort == "" {
		f.Sort = Newest
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	return nil
}
