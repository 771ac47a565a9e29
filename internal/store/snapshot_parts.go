package store

import (
	"context"
	"time"
)

// SaveSnapshotDelta saves a snapshot kept in parts, in one transaction:
// head replaces its data (as SaveSnapshot), the parts in put are written
// and those in gone removed. replace drops every part not in put first
// (the first save of a process, which knows nothing of what an earlier one
// left). A snapshot whose bulk is many small pieces that change a few at a
// time (the ACD's agents) is saved this way, so a save writes what
// changed, not the whole document.
func (s *Store) SaveSnapshotDelta(ctx context.Context, name string, head []byte, put map[string][]byte, gone []string, replace bool, at time.Time) error {
	return s.WithTx(ctx, func(tx *Store) error {
		if err := tx.saveHead(ctx, name, head, at); err != nil {
			return err
		}
		if replace {
			if _, err := tx.q.exec(ctx, `DELETE FROM snapshot_parts WHERE name = $1`, name); err != nil {
				return wrap("save snapshot parts "+name, err)
			}
		}
		if s.dialect == Postgres {
			return tx.savePartsPostgres(ctx, name, put, gone)
		}
		for _, key := range gone {
			if _, err := tx.q.exec(ctx, `DELETE FROM snapshot_parts WHERE name = $1 AND part = $2`, name, key); err != nil {
				return wrap("save snapshot parts "+name, err)
			}
		}
		for key, data := range put {
			_, err := tx.q.exec(ctx, `INSERT INTO snapshot_parts (name, part, data) VALUES ($1, $2, $3)
				ON CONFLICT (name, part) DO UPDATE SET data = excluded.data`, name, key, string(data))
			if err != nil {
				return wrap("save snapshot parts "+name, err)
			}
		}
		return nil
	})
}

// savePartsPostgres writes the parts in two statements (arrays), not one
// round trip per part.
func (s *Store) savePartsPostgres(ctx context.Context, name string, put map[string][]byte, gone []string) error {
	if len(gone) > 0 {
		if _, err := s.q.exec(ctx, `DELETE FROM snapshot_parts WHERE name = $1 AND part = ANY($2::text[])`, name, gone); err != nil {
			return wrap("save snapshot parts "+name, err)
		}
	}
	if len(put) == 0 {
		return nil
	}
	keys, data := make([]string, 0, len(put)), make([]string, 0, len(put))
	for k, v := range put {
		keys, data = append(keys, k), append(data, string(v))
	}
	_, err := s.q.exec(ctx, `INSERT INTO snapshot_parts (name, part, data)
		SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS p (k, v)
		ON CONFLICT (name, part) DO UPDATE SET data = excluded.data`, name, keys, data)
	return wrap("save snapshot parts "+name, err)
}

// SnapshotParts returns the parts saved with name's head, by key; none
// for a snapshot saved whole.
func (s *Store) SnapshotParts(ctx context.Context, name string) (map[string][]byte, error) {
	r, err := s.q.query(ctx, `SELECT part, data FROM snapshot_parts WHERE name = $1`, name)
	if err != nil {
		return nil, wrap("load snapshot parts "+name, err)
	}
	defer r.Close()
	out := map[string][]byte{}
	for r.Next() {
		var key string
		var data []byte
		if err := r.Scan(&key, &data); err != nil {
			return nil, wrap("load snapshot parts "+name, err)
		}
		out[key] = data
	}
	return out, wrap("load snapshot parts "+name, r.Err())
}
