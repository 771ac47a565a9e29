package store

import "github.com/google/uuid"

// newUUID returns a time-ordered UUIDv7 (RFC 9562): rows inserted together
// sit together in primary-key indexes.
func newUUID() string { return uuid.Must(uuid.NewV7()).String() }
