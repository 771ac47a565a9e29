package agentdesk

import "errors"

// Error codes carried by error frames. They are stable: clients branch on
// them, so a code is never renamed or reused.
const (
	CodeBadFrame     = "bad_frame"       // not a JSON envelope, or data does not decode
	CodeUnknownType  = "unknown_type"    // no such command
	CodeHelloFirst   = "hello_first"     // the first frame must be hello
	CodeInvalid      = "invalid"         // a field is missing or out of range
	CodeForbidden    = "forbidden"       // the role or the contact ownership does not allow it
	CodeNotFound     = "not_found"       // no such contact, offer, chat or ticket
	CodeConflict     = "conflict"        // not allowed in the current state (accept twice, send to a closed chat)
	CodeRateLimited  = "rate_limited"    // too many frames; slow down
	CodeUnavailable  = "unavailable"     // a back end (acd, store, tickets) failed
	CodeResumeFailed = "resume_expired"  // the session to resume is unknown or expired; a snapshot follows
	CodeExpired      = "session_expired" // the sign-in session ended (logout, expiry, revocation); the socket closes
)

// Close codes (RFC 6455 7.4.2 leaves 4000–4999 to applications).
const (
	CloseSlowConsumer = 4008 // the send queue overflowed (recorded only: the connection is cut, conn.cut)
	CloseReplaced     = 4009 // the same session was opened on another socket
	CloseLeaseExpired = 4010 // no heartbeat within the lease
	CloseFlood        = 4029 // the rate limit was exceeded repeatedly
	CloseLoggedOut    = 4030 // a supervisor logged the agent out, or the chat ended long ago
	CloseShutdown     = 1001 // the server is going away (RFC 6455 1001)
)

// Sentinel errors.
var (
	ErrStopped = errors.New("agentdesk: gateway stopped")
	ErrOptions = errors.New("agentdesk: invalid options")
)

// Error is a command's failure as the client sees it.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func failf(code, msg string) *Error { return &Error{Code: code, Message: msg} }
