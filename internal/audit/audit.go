package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
)

// Actions recorded by the desk and the ticket API. Admin actions are named
// "admin.<thing>.<verb>" by package admin (e.g. "admin.queue.update").
const (
	ActionCustomerView   = "customer.view"   // a customer's panel or record was shown to someone
	ActionCustomerExport = "customer.export" // customer data left the system (CSV, contact record)
	ActionContactView    = "contact.view"    // a contact record (with transcript) was read
	ActionTicketsExport  = "tickets.export"  // a ticket list was exported as CSV
	ActionCallMonitor    = "call.monitor"    // a supervisor listened, whispered or barged in on a live call
)

// Subject kinds.
const (
	KindCustomer = "customer"
	KindContact  = "contact"
	KindTicket   = "ticket"
	KindTickets  = "tickets" // a set of tickets (an export); SubjectID is the query
)

// Record is one entry of the audit trail.
type Record struct {
	ID          string          `json:"id"`
	At          time.Time       `json:"at"`
	Actor       string          `json:"actor"`      // the agent's id ("apikey:<id>" for an API key)
	ActorRole   string          `json:"actor_role"` // the role the actor acted in
	Action      string          `json:"action"`
	SubjectKind string          `json:"subject_kind"`
	SubjectID   string          `json:"subject_id"`
	Before      json.RawMessage `json:"before,omitempty"`
	After       json.RawMessage `json:"after,omitempty"`
	Address     string          `json:"address,omitempty"` // the client's address
}

// ErrInvalid is returned for a record missing what every record needs,
// and for a query that cannot be answered (a bad cursor).
var ErrInvalid = errors.New("invalid audit record")

// Actor tells who a principal is in the trail: the agent's id, or for an
// integration "apikey:" and the key's id; and the role.
func Actor(p auth.Principal) (actor, role string) {
	if p.AgentID != "" {
		return p.AgentID, string(p.Role)
	}
	if p.APIKeyID != "" {
		return "apikey:" + p.APIKeyID, string(p.Role)
	}
	return p.Login, string(p.Role)
}

// By returns r with its actor, role and address set from p and addr.
func (r Record) By(p auth.Principal, addr string) Record {
	r.Actor, r.ActorRole = Actor(p)
	r.Address = addr
	return r
}

// Options configure a Log.
type Options struct {
	Now func() time.Time // the clock (default time.Now)
}

// Log appends to and reads the audit trail in a store.
type Log struct {
	st  *store.Store
	now func() time.Time
}

// New returns a Log over st.
func New(st *store.Store, o Options) *Log {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Log{st: st, now: o.Now}
}

// In returns a Log that writes inside tx, the store a store.WithTx callback
// received: the records commit or roll back with the change they describe.
func (l *Log) In(tx *store.Store) *Log { return &Log{st: tx, now: l.now} }

// Append writes records in one transaction and returns them as stored. An
// empty ID gets a new one and a zero At the clock's time. Each record needs
// an actor, an action and a subject kind.
func (l *Log) Append(ctx context.Context, recs ...Record) ([]Record, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	rows := make([]store.AuditRecord, len(recs))
	now := l.now()
	for i, r := range recs {
		if r.Actor == "" || r.Action == "" || r.SubjectKind == "" {
			return nil, fmt.Errorf("audit %q: %w: needs an actor, an action and a subject kind", r.Action, ErrInvalid)
		}
		if r.ID == "" {
			r.ID = uuid.Must(uuid.NewV7()).String()
		}
		if r.At.IsZero() {
			r.At = now
		}
		rows[i] = store.AuditRecord{ID: r.ID, At: r.At, Actor: r.Actor, ActorRole: r.ActorRole, Action: r.Action,
			SubjectKind: r.SubjectKind, SubjectID: r.SubjectID, Before: r.Before, After: r.After, Address: r.Address}
	}
	stored, err := l.st.AppendAudit(ctx, rows...)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return nil, fmt.Errorf("audit: %w: %w", ErrInvalid, err)
		}
		return nil, fmt.Errorf("audit: %w", err)
	}
	out := make([]Record, len(stored))
	for i, s := range stored {
		out[i] = fromStore(s)
	}
	return out, nil
}

// Change returns Before and After for a record of a change: the JSON of
// before and after (nil for nil, as for a creation or a deletion).
func Change(before, after any) (json.RawMessage, json.RawMessage, error) {
	enc := func(v any) (json.RawMessage, error) {
		if v == nil {
			return nil, nil
		}
		return json.Marshal(v)
	}
	b, err := enc(before)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: encode before: %w", err)
	}
	a, err := enc(after)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: encode after: %w", err)
	}
	return b, a, nil
}

func fromStore(s store.AuditRecord) Record {
	return Record{ID: s.ID, At: s.At, Actor: s.Actor, ActorRole: s.ActorRole, Action: s.Action,
		SubjectKind: s.SubjectKind, SubjectID: s.SubjectID, Before: s.Before, After: s.After, Address: s.Address}
}

// Query selects records. Empty fields do not filter.
type Query struct {
	SubjectKind string
	SubjectID   string // only with SubjectKind
	Actor       string
	Action      string    // an action ("customer.view") or a prefix ending in "." ("admin.")
	From, To    time.Time // At in [From, To)
	Cursor      string    // Page.Next of the page before
	Limit       int       // default 100, at most 1000
}

// Page is one page of records, newest first. Next, when not empty, is the
// cursor of the following (older) page.
type Page struct {
	Records []Record `json:"records"`
	Next    string   `json:"next,omitempty"`
}

// MaxLimit is the largest page List returns.
const MaxLimit = 1000

// List returns a page of the records q selects, newest first.
func (l *Log) List(ctx context.Context, q Query) (Page, error) {
	f := store.AuditFilter{SubjectKind: q.SubjectKind, SubjectID: q.SubjectID, Actor: q.Actor, From: q.From, To: q.To}
	if strings.HasSuffix(q.Action, ".") {
		f.ActionPrefix = q.Action
	} else {
		f.Action = q.Action
	}
	if q.Cursor != "" {
		seq, err := strconv.ParseInt(q.Cursor, 10, 64)
		if err != nil || seq <= 0 {
			return Page{}, fmt.Errorf("audit: %w: bad cursor", ErrInvalid)
		}
		f.BeforeSeq = seq
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, MaxLimit)
	f.Limit = limit + 1 // one more tells whether a next page exists
	rows, err := l.st.AuditRecords(ctx, f)
	if err != nil {
		return Page{}, fmt.Errorf("audit: %w", err)
	}
	var p Page
	if len(rows) > limit {
		rows = rows[:limit]
		p.Next = strconv.FormatInt(rows[limit-1].Seq, 10)
	}
	p.Records = make([]Record, 0, len(rows))
	for _, r := range rows {
		p.Records = append(p.Records, fromStore(r))
	}
	return p, nil
}
