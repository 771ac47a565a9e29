package catalog

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Markdown renders docs/events.md: the envelope, every type and every
// payload field.
func Markdown() string {
	var b strings.Builder
	b.WriteString(`# The event log

<!-- Generated from internal/event/catalog; do not edit. Regenerate with
     go test ./internal/event/catalog -run TestDocs -update -->

Every domain fact is published on the node's event bus and stored in the
append-only ` + "`events`" + ` table (both backends). This is the contract the KPI
engine, replay after restart and outside consumers read: type names and JSON
field names do not change; new fields and types may be added.

Read it with ` + "`store.Events`" + ` (by contact, by time range ` + "`From ≤ at < To`" + `, by type
prefix, paged by ` + "`AfterSeq`" + `) and decode a payload with ` + "`catalog.Decode`" + `.

## Envelope (table columns)

| column | meaning |
|---|---|
| seq | the log's own order |
| id | UUIDv7, unique; appends are idempotent by it |
| type | one of the types below |
| at | when it happened (UTC), from the producer's clock |
| contact_id | the contact, when there is one |
| agent_id | the agent, when there is one |
| queue | the queue, when there is one |
| actor | who caused it: an agent id, "system", "customer", "ivr" |
| node | the id of the node that published it (config ` + "`node_id`" + `) |
| data | the JSON payload below |

Fields that are empty, zero or false are omitted from the payload; an
absent enum field reads as that enum's zero value (acd ` + "`action`" + `: hangup,
` + "`state`" + `: logged_out).

## Types

| type | payload | meaning |
|---|---|---|
`)
	var payloads []reflect.Type
	seen := map[reflect.Type]bool{}
	for _, s := range all {
		p := s.Payload()
		fmt.Fprintf(&b, "| `%s` | [%s](#%s) | %s |\n", s.Type, p.String(), anchor(p), s.Doc)
		if !seen[p] {
			seen[p] = true
			payloads = append(payloads, p)
		}
	}
	b.WriteString("\n## Payloads\n")
	for _, p := range payloads {
		fmt.Fprintf(&b, "\n### %s\n\n| field | JSON |\n|---|---|\n", p.String())
		for _, f := range Fields(p) {
			fmt.Fprintf(&b, "| `%s` | %s |\n", f.Name, f.JSON)
		}
	}
	return b.String()
}

func anchor(t reflect.Type) string {
	return strings.ToLower(strings.ReplaceAll(t.String(), ".", ""))
}

// Field is one JSON field of a payload.
type Field struct {
	Name string // JSON name
	JSON string // JSON type
	Go   string // Go field name
}

// Fields lists t's JSON fields, embedded structs flattened, in order.
func Fields(t reflect.Type) []Field {
	var out []Field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, Fields(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, Field{Name: name, JSON: jsonType(f.Type), Go: f.Name})
	}
	return out
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	durationType  = reflect.TypeFor[time.Duration]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

func jsonType(t reflect.Type) string {
	switch {
	case t == timeType:
		return "string (RFC 3339 time)"
	case t == durationType:
		return "integer (nanoseconds)"
	case t.Implements(textMarshaler) && t.Kind() != reflect.String:
		return "string (enum " + t.String() + ")"
	}
	switch t.Kind() {
	case reflect.String:
		if t.PkgPath() != "" {
			return "string (" + t.String() + ")"
		}
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint8, reflect.Uint64, reflect.Uint32, reflect.Uint:
		return "integer"
	case reflect.Float64, reflect.Float32:
		return "number"
	case reflect.Slice:
		return "array of " + jsonType(t.Elem())
	}
	return t.Kind().String()
}
