package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// AuditRecord is one row of the audit trail (see package audit for what the
// fields mean). Seq is assigned by the store and orders the trail.
type AuditRecord struct {
	Seq         int64
	ID          string
	At          time.Time
	Actor       string
	ActorRole   string
	Action      string
	SubjectKind string
	SubjectID   string
	Before      json.RawMessage // nil when absent
	After       json.RawMessage
	Address     string
}

// AuditFilter selects audit records. Empty fields do not filter.
type AuditFilter struct {
	SubjectKind  string
	SubjectID    string // only with SubjectKind
	Actor        string
	Action       string // exactly this action
	ActionPrefix string // "customer." selects customer.view, customer.export, …
	From, To     time.Time
	BeforeSeq    int64 // > 0: only records older than this one (the next page)
	Limit        int   // default 100, at most 1000
}

// AppendAudit appends records to the audit trail in one transaction and
// returns them with their Seq. Records are never updated; an ID already
// present is a conflict. Text and JSON are cleaned of NUL as in the event log.
func (s *Store) AppendAudit(ctx context.Context, recs ...AuditRecord) ([]AuditRecord, error) {
	out := make([]AuditRecord, len(recs))
	for i, r := range recs {
		if r.ID == "" || r.Actor == "" || r.Action == "" || r.SubjectKind == "" || r.At.IsZero() {
			return nil, fmt.Errorf("append audit: %w: a record needs an id, a time, an actor, an action and a subject kind", ErrInvalid)
		}
		for _, js := range []json.RawMessage{r.Before, r.After} {
			if js != nil && !json.Valid(js) {
				return nil, fmt.Errorf("append audit %s: %w: before/after is not valid JSON", r.Action, ErrInvalid)
			}
		}
		out[i] = r
	}
	err := s.WithTx(ctx, func(tx *Store) error {
		for i := range out {
			r := &out[i]
			r.ID, r.Actor, r.ActorRole = cleanText(r.ID), cleanText(r.Actor), cleanText(r.ActorRole)
			r.Action, r.SubjectKind, r.SubjectID = cleanText(r.Action), cleanText(r.SubjectKind), cleanText(r.SubjectID)
			r.Address, r.At = cleanText(r.Address), ts(r.At)
			r.Before, r.After = auditJSON(r.Before), auditJSON(r.After)
			err := tx.q.queryRow(ctx, `INSERT INTO audit_records
				(id, at, actor, actor_role, action, subject_kind, subject_id, before_data, after_data, address)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq`,
				r.ID, r.At, r.Actor, r.ActorRole, r.Action, r.SubjectKind, r.SubjectID,
				jsonArg(r.Before), jsonArg(r.After), r.Address).Scan(&r.Seq)
			if err != nil {
				return wrap("append audit "+r.Action, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func auditJSON(b json.RawMessage) json.RawMessage {
	if b == nil {
		return nil
	}
	return json.RawMessage(cleanJSON(b))
}

// jsonArg passes JSON as text (NULL when absent): the SQLite column is
// TEXT and PostgreSQL casts text to json.
func jsonArg(b json.RawMessage) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// AuditRecords lists the records f selects, newest first.
func (s *Store) AuditRecords(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.SubjectKind != "" {
		where = append(where, "subject_kind = "+arg(f.SubjectKind))
		if f.SubjectID != "" {
			where = append(where, "subject_id = "+arg(f.SubjectID))
		}
	}
	if f.Actor != "" {
		where = append(where, "actor = "+arg(f.Actor))
	}
	if f.Action != "" {
		where = append(where, "action = "+arg(f.Action))
	}
	if f.ActionPrefix != "" {
		where = append(where, `action LIKE `+arg(likeEscape(f.ActionPrefix)+"%")+` ESCAPE '\'`)
	}
	if !f.From.IsZero() {
		where = append(where, "at >= "+arg(ts(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "at < "+arg(ts(f.To)))
	}
	if f.BeforeSeq > 0 {
		where = append(where, "seq < "+arg(f.BeforeSeq))
	}
	q := `SELECT seq, id, at, actor, actor_role, action, subject_kind, subject_id, before_data, after_data, address FROM audit_records`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT " + arg(f.Limit)
	r, err := s.q.query(ctx, q, args...)
	out, err := collect(r, err, func(r rows) (AuditRecord, error) {
		var a AuditRecord
		var before, after *string
		err := r.Scan(&a.Seq, &a.ID, &a.At, &a.Actor, &a.ActorRole, &a.Action, &a.SubjectKind, &a.SubjectID, &before, &after, &a.Address)
		a.At = a.At.UTC()
		if before != nil {
			a.Before = json.RawMessage(*before)
		}
		if after != nil {
			a.After = json.RawMessage(*after)
		}
		return a, err
	})
	return out, wrap("audit records", err)
}
