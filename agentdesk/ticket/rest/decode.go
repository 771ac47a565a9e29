package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxBody bounds request bodies.
const maxBody = 64 << 10

// decode reads one JSON object into v strictly: unknown fields, wrong types,
// trailing data and oversized bodies are errors naming the field.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &requestError{status: http.StatusUnsupportedMediaType,
				apiError: apiError{Code: codeMediaType, Message: "content type must be application/json"}}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return badField("body", "one JSON object expected")
	}
	return nil
}

func decodeError(err error) error {
	var tooBig *http.MaxBytesError
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &tooBig):
		return &requestError{status: http.StatusRequestEntityTooLarge,
			apiError: apiError{Code: codeTooLarge, Field: "body", Message: fmt.Sprintf("body larger than %d bytes", maxBody)}}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return badField(field, "wrong type "+typ.Value)
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badField("body", "malformed JSON")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badField(strings.Trim(f, `"`), "unknown field")
	}
	return badField("body", err.Error())
}
