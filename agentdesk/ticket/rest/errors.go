package rest

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// apiError is the JSON error body.
type apiError struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Error codes of the transport itself; domain errors use ticket.Code.
const (
	codeUnauthenticated = "unauthenticated"
	codeTooLarge        = "too_large"
	codeMediaType       = "unsupported_media_type"
	codeRateLimited     = "rate_limited"
)

// requestError is a problem with the request detected here.
type requestError struct {
	status int
	apiError
}

func (e *requestError) Error() string { return e.Message }

func badField(field, msg string) error {
	return &requestError{status: http.StatusBadRequest, apiError: apiError{Code: "invalid_field", Field: field, Message: field + ": " + msg}}
}

// statusOf maps a domain error to its HTTP status.
func statusOf(code string) int {
	switch code {
	case "invalid_field":
		return http.StatusBadRequest
	case "not_found":
		return http.StatusNotFound
	case "already_claimed", "version_conflict", "illegal_transition":
		return http.StatusConflict
	case "forbidden":
		return http.StatusForbidden
	case "idempotency_key_reused":
		return http.StatusUnprocessableEntity
	default:
		return http.StatusInternalServerError
	}
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var re *requestError
	var fe *ticket.FieldError
	var ffe *ticket.ForbiddenFieldError
	body := apiError{Code: ticket.Code(err), Message: err.Error()}
	status := statusOf(body.Code)
	switch {
	case errors.As(err, &re):
		status, body = re.status, re.apiError
	case errors.As(err, &fe):
		body.Field = fe.Field
	case errors.As(err, &ffe):
		body.Field = ffe.Field
	case status == http.StatusInternalServerError:
		h.log.ErrorContext(r.Context(), "ticket api", "method", r.Method, "path", r.URL.Path, "err", err)
		body.Message = "internal error"
	}
	writeJSON(w, status, struct {
		Error apiError `json:"error"`
	}{body})
}

// writeJSON writes v; encoding/json escapes <, > and & so text a customer
// typed can never become markup in a page that embeds the response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
