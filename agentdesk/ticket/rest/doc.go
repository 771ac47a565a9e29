// Package rest is the REST/JSON interface of the ticket desk, for the agent
// desktop and for outside systems (operations/EOMS-style): create with an
// idempotency key, get, search and page, lifecycle actions, comments, urging,
// claim, dispatch, merge, pool views, CSV export, and the public status check
// by ticket number and phone number.
//
// Handler is an http.Handler to mount under a prefix (it serves /tickets…,
// /pools/{group} and /public/ticket-status). The caller's identity comes from
// the authentication middleware in front of it through a ticket.Identify
// function; every route but the customer status check under /public/
// requires one.
//
// Errors are JSON: {"error": {"code": "...", "field": "...", "message": "..."}}
// with a 4xx status naming the offending field where there is one.
package rest
