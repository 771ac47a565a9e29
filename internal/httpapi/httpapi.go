// Package httpapi holds the conventions every Hotline JSON endpoint shares:
// error bodies with a stable code, bounded and strict request decoding.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrorBody is the JSON body of every 4xx and 5xx answer:
//
//	{"error": {"code": "invalid_field", "message": "…", "field": "login"}}
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong. Code is stable and meant for programs;
// Message is for people; Field names the offending request field, if any.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError writes an error body.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}

// WriteFieldError writes an error body naming the request field at fault.
func WriteFieldError(w http.ResponseWriter, status int, code, field, message string) {
	WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message, Field: field}})
}

// FieldError is a request field that failed validation.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Decode reads one JSON object of at most limit bytes from r's body into v.
// Unknown fields are ignored (clients may be newer than the server); a body
// that is not one JSON value, too large, or of the wrong types is an error
// that names the field where it can.
func Decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &FieldError{Field: "", Message: "content type must be application/json"}
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &tooBig):
			return &FieldError{Message: fmt.Sprintf("body larger than %d bytes", limit)}
		case errors.As(err, &typeErr):
			return &FieldError{Field: typeErr.Field, Message: "wrong type, want " + typeErr.Type.String()}
		case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return &FieldError{Message: "body is not valid JSON"}
		default:
			return &FieldError{Message: "body is not valid JSON"}
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &FieldError{Message: "body has data after the JSON object"}
	}
	return nil
}

// WriteDecodeError answers a Decode error with 400 (413 when too large).
func WriteDecodeError(w http.ResponseWriter, err error) {
	var fe *FieldError
	if errors.As(err, &fe) {
		status := http.StatusBadRequest
		if strings.HasPrefix(fe.Message, "body larger") {
			status = http.StatusRequestEntityTooLarge
		}
		WriteFieldError(w, status, "invalid_request", fe.Field, fe.Message)
		return
	}
	WriteError(w, http.StatusBadRequest, "invalid_request", err.Error())
}
