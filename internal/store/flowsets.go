package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// FlowSet is an uploaded set of IVR flows: the zip as uploaded, and what
// package admin learnt from it.
type FlowSet struct {
	Version    int64 // 1, 2, … in upload order
	Digest     string
	Flows      []string // the flow names
	Note       string   // the uploader's words
	Tests      string   // the flow tests' result as package admin wrote it ("": none)
	UploadedBy string
	UploadedAt time.Time
}

// ActiveFlowSet is the flow set that serves: Version 0 means the
// configured flows (ivr.flows_dir or the built-in ones). Previous is what
// served before the last activation (0: the configured flows).
type ActiveFlowSet struct {
	Version     int64
	Previous    int64
	ActivatedBy string
	ActivatedAt time.Time // zero: never activated
}

// AddFlowSet stores an uploaded flow set under the next version and
// returns that version.
func (s *Store) AddFlowSet(ctx context.Context, fs FlowSet, archive []byte) (int64, error) {
	flows, err := json.Marshal(fs.Flows)
	if err != nil {
		return 0, fmt.Errorf("add flow set: %w", err)
	}
	var v int64
	err = s.WithTx(ctx, func(tx *Store) error {
		if err := tx.q.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM flow_sets`).Scan(&v); err != nil {
			return wrap("add flow set", err)
		}
		_, err := tx.q.exec(ctx, `INSERT INTO flow_sets (version, archive, digest, flows, note, tests, uploaded_by, uploaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, v, base64.StdEncoding.EncodeToString(archive), fs.Digest,
			string(flows), fs.Note, fs.Tests, fs.UploadedBy, ts(fs.UploadedAt))
		return wrap("add flow set", err)
	})
	return v, err
}

const flowSetCols = `version, digest, flows, note, tests, uploaded_by, uploaded_at`

func scanFlowSet(r row) (FlowSet, error) {
	var f FlowSet
	var flows string
	if err := r.Scan(&f.Version, &f.Digest, &flows, &f.Note, &f.Tests, &f.UploadedBy, &f.UploadedAt); err != nil {
		return f, err
	}
	f.UploadedAt = f.UploadedAt.UTC()
	if err := json.Unmarshal([]byte(flows), &f.Flows); err != nil {
		return f, fmt.Errorf("flow set %d: flows: %w", f.Version, err)
	}
	return f, nil
}

// FlowSet returns the flow set of version v (without its archive).
func (s *Store) FlowSet(ctx context.Context, v int64) (FlowSet, error) {
	f, err := scanFlowSet(s.q.queryRow(ctx, `SELECT `+flowSetCols+` FROM flow_sets WHERE version = $1`, v))
	return f, wrap(fmt.Sprintf("flow set %d", v), err)
}

// FlowSets lists the flow sets newest first, those older than before
// (0: from the newest), at most limit.
func (s *Store) FlowSets(ctx context.Context, before int64, limit int) ([]FlowSet, error) {
	if before <= 0 {
		before = 1 << 62
	}
	r, err := s.q.query(ctx, `SELECT `+flowSetCols+` FROM flow_sets WHERE version < $1 ORDER BY version DESC LIMIT $2`, before, limit)
	out, err := collect(r, err, func(r rows) (FlowSet, error) { return scanFlowSet(r) })
	return out, wrap("flow sets", err)
}

// FlowSetArchive returns the zip of flow set v as uploaded.
func (s *Store) FlowSetArchive(ctx context.Context, v int64) ([]byte, error) {
	var enc string
	if err := s.q.queryRow(ctx, `SELECT archive FROM flow_sets WHERE version = $1`, v).Scan(&enc); err != nil {
		return nil, wrap(fmt.Sprintf("flow set %d archive", v), err)
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("flow set %d archive: %w", v, err)
	}
	return b, nil
}

// ActiveFlowSet returns the flow set that serves (Version 0: the
// configured flows, also when none was ever activated).
func (s *Store) ActiveFlowSet(ctx context.Context) (ActiveFlowSet, error) {
	var a ActiveFlowSet
	var v, p sql.NullInt64
	err := s.q.queryRow(ctx, `SELECT version, previous, activated_by, activated_at FROM flow_set_active WHERE id = 1`).
		Scan(&v, &p, &a.ActivatedBy, &a.ActivatedAt)
	if errors.Is(classify(err), ErrNotFound) {
		return ActiveFlowSet{}, nil
	}
	if err != nil {
		return a, wrap("active flow set", err)
	}
	a.Version, a.Previous, a.ActivatedAt = v.Int64, p.Int64, a.ActivatedAt.UTC()
	return a, nil
}

// SetActiveFlowSet records that flow set a.Version (0: the configured
// flows) serves from now on.
func (s *Store) SetActiveFlowSet(ctx context.Context, a ActiveFlowSet) error {
	null := func(v int64) any {
		if v == 0 {
			return nil
		}
		return v
	}
	_, err := s.q.exec(ctx, `INSERT INTO flow_set_active (id, version, previous, activated_by, activated_at)
		VALUES (1, $1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version, previous = excluded.previous,
			activated_by = excluded.activated_by, activated_at = excluded.activated_at`,
		null(a.Version), null(a.Previous), a.ActivatedBy, ts(a.ActivatedAt))
	return wrap("set active flow set", err)
}
