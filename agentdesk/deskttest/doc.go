// Package deskttest assembles a real in-process Hotline desk for tests and
// tools: a SQLite store in a temporary directory, the auth service with
// agents and a supervisor, an acd.Engine whose sink feeds the gateway, the
// web chat flow, the ticket service, and an HTTP server on 127.0.0.1:0
// serving the gateway's pages and sockets and the login API. Client is a
// WebSocket client that speaks the desk protocol.
package deskttest
