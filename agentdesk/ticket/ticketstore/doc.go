// Package ticketstore implements ticket.Repository on the SQL store
// (internal/store), SQLite or PostgreSQL. The store keeps the columns it
// indexes and searches plus the ticket's full JSON document; this package
// maps between the two and between the store's errors and the desk's.
package ticketstore
