// Package flows holds the default 10000 service flows, their calendars and
// their tests, embedded so that the server runs them on a bare machine.
// `hotline flow validate ivr/flows` and `hotline flow test ivr/flows` check
// them; a center replaces them with its own directory (ivr.flows_dir).
package flows

import "embed"

// FS holds the flow files (*.yaml) and tests/*.txt.
//
//go:embed *.yaml tests
var FS embed.FS
