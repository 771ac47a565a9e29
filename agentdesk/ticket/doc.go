// Package ticket is the service-assurance desk: tickets that carry every contact
// which cannot be finished on the spot (fault reports, complaints, inquiries,
// service requests, callback requests, return visits).
//
// The package holds the rules and nothing else: the ticket model and its
// lifecycle state machine, numbering, group pools sorted by urgency, automatic
// dispatch, SLA policies measured in business time with warnings, breach and an
// escalation chain, annotations and urging, return visits, the audit history and
// the notification outbox. Persistence is reached through the Repository
// interface declared here (implemented on the SQL store in internal/store), the
// business calendar through Calendar, time through Clock and delivery through
// Notifier. HTTP lives in the rest subpackage, delivery adapters in notify.
//
// Every change runs in one repository transaction that writes the ticket (guarded
// by its version), its history entries and its outbox messages together, so a
// crash never leaves a change without its notifications or the reverse.
package ticket
