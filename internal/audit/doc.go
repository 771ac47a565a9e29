// Package audit keeps the audit trail: who (an agent, in a role, from an
// address) did what (an action such as "customer.view" or
// "admin.queue.update") to which subject (a kind and an id), when, and for
// changes the subject before and after as JSON.
//
// The trail is append-only and stored (internal/store, table audit_records,
// both backends). A Log appends records, synchronously: a caller that must
// not act without a trace (an export, an admin change) appends first, or in
// the same transaction as the change (Log.In), and fails if the record
// cannot be written. List reads the trail newest first, filtered and paged;
// Handler serves it as GET /api/v1/audit to supervisors and admins.
//
// Records never hold secrets: a Before/After carries what an operator needs
// to see what changed, never passwords, PINs, codes or full ID numbers.
package audit
