// Package tickettest holds test helpers for the ticket desk: an in-memory
// Repository, a manual Clock, a recording Notifier, and Contract, the
// behaviour every Repository implementation must show (run by the in-memory
// repository's tests and by the SQL store's tests on SQLite and PostgreSQL).
package tickettest
