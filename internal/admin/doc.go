// Package admin is the administration API under /api/v1/admin/: agents
// (roles, teams, skills applied at once to a logged-in agent through the
// ACD), skills, queues (applied live to the router) and customers (tier,
// flags, CSV import and export).
//
// Every change is role-checked (the admin role for everything; a
// supervisor for the skills of agents in their own teams), guarded by
// If-Match against the row's version (ETag; a stale one is 409), made
// idempotent on creation by an Idempotency-Key, and written with its audit
// record (internal/audit) in one transaction: the change and its record
// commit or roll back together. docs/administration.md is the reference.
package admin
