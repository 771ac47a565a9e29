// Package agentdesk is the WebSocket gateway people use all day: the agent
// desktop and supervisor board (socket /ws/desk, pages /desk/ and /board/)
// and the customer web chat widget (socket /ws/chat, page /chat/ and the
// embeddable script /chat/widget.js).
//
// The gateway is an adapter: routing decisions are the acd.Engine's, chat
// flows are the ivr.Runner's, tickets are the ticket.Service's. What the
// gateway owns is delivery. One hub goroutine owns every session, chat and
// board counter; connection goroutines decode frames and call the hub
// through a small synchronous API. Each session numbers its durable frames
// and keeps the last of them in a bounded buffer, so a client that
// reconnects presents its last sequence number and gets exactly what it
// missed (or a snapshot when the gap is too old). Presence is a lease: an
// agent whose socket has been gone longer than the lease is set not ready
// with reason "disconnected", which withdraws and re-routes its offer.
//
// The protocol is specified in docs/desk-protocol.md.
package agentdesk
