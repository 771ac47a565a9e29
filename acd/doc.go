// Package acd is Hotline's automatic contact distributor: it decides which
// agent serves which waiting contact, and when.
//
// The package has two layers. Router is a pure, single-threaded state machine:
// every command carries the current time, timers (offer timeout, routing
// steps, maximum wait, wrap-up) are kept in the Router and fire when a later
// command or Advance reaches their deadline, and every change is recorded as
// an Event with a sequence number. Nothing in Router sleeps, reads the wall
// clock or touches I/O, so tests and the traffic simulator drive it on
// virtual time. Engine wraps one Router in one goroutine with an injected
// Clock and exposes the same commands as a synchronous API that is safe to
// call from many goroutines.
//
// Decisions are indexed: each queue keeps, per routing stage, a heap of
// waiting contacts ordered by aged priority and a heap of ready agents
// ordered by the queue's selection policy. Adding a contact looks at the
// heads of the agent heaps of its queue; freeing an agent looks at the heads
// of the contact heaps of the queues it serves. See docs/acd.md.
package acd
