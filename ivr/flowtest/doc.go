// Package flowtest runs flow test files against a flow directory: given a
// caller (ANI, channel, clock time, back-end data) and a script of what the
// IVR says and what the caller does, it checks prompts, transfers, tickets,
// variables, events and the outcome. Time is virtual: a script's silences
// and waits advance the runner's clock, nothing sleeps.
//
// `hotline flow test DIR` calls RunDir; the file format is in
// docs/flows.md ("Testing flows").
package flowtest
