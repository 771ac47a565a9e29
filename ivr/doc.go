// Package ivr is Hotline's interactive voice (and chat) response: the flow
// language, its loader and validator, and the runner that executes a flow on
// any Channel — the scripted test channel (package flowtest), the chat channel
// in this package, and SIP (package ivr/sip).
//
// A Library is loaded from a directory of YAML flow files (LoadDir), validated
// as a whole and swapped into a Runner atomically (Runner.Reload): runs in
// progress keep the Library they started with. The runner never touches the
// wall clock, a socket or a file: time comes from a Clock, input from the
// Channel, self-service data from a Backend, queueing from a Queuer, tickets
// from a TicketCreator, and every step leaves as an Event through a Sink.
//
// See docs/flows.md for the flow language and the event/KPI contract.
package ivr
