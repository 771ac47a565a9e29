// Package auth authenticates people and programs and decides what they may
// do. Agents, supervisors and admins log in with a password (argon2id) and
// get a session token; integrations present an API key. Every HTTP and
// WebSocket entry point asks one middleware, Require, for a Permission; the
// role → permission table in roles.go is the whole policy.
//
// Tokens are random 256-bit values; the store keeps only their SHA-256, so a
// copy of the database logs nobody in. Sessions end after a configurable
// idle time (the 10000 rule: an unattended desk logs itself out), after an
// absolute maximum age, or when revoked. Failed logins are rate-limited per
// account and per client address.
package auth
