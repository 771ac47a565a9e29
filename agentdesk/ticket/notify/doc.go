// Package notify delivers ticket outbox messages: an SMS gateway spoken to
// over HTTP/JSON, signed webhooks, and e-mail over SMTP, behind one
// ticket.Notifier (Router) that picks the adapter by the message's medium.
//
// Every adapter hands the message Key to the far end as an idempotency key
// (Idempotency-Key header, client_ref, Message-ID), so a retry after a crash
// between sending and recording is recognisable there. Failures the far end
// will never accept (4xx, SMTP 5xx, unknown webhook, malformed address) wrap
// ticket.ErrUndeliverable and are not retried; the rest are.
package notify
