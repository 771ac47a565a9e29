// Package store is Hotline's SQL store: agents and their skills, queues,
// customers, contact records, sessions, API keys and the append-only event log.
//
// One API sits over two backends. The embedded default is SQLite through the
// pure-Go modernc.org/sqlite driver, a file under the data directory in WAL
// mode; production is PostgreSQL through pgx/v5's connection pool. Repository
// methods are written once: both dialects accept $N placeholders, ON CONFLICT
// and RETURNING, and the few statements that differ branch on Dialect.
//
// Schema changes are versioned goose migrations embedded in the binary, one
// directory per dialect. Migrate is safe to run twice and from two processes at
// once: PostgreSQL serialises runners with an advisory lock, SQLite with an
// exclusive lock on the data directory that the store holds while it is open.
//
// Constraint violations surface as typed errors (ErrConflict, ErrReference,
// ErrInvalid) and missing rows as ErrNotFound, whatever the backend.
package store
