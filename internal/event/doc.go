// Package event is Hotline's in-process event stream: every domain change
// (a contact queued, an offer accepted, an agent's state, a ticket moved) is
// published as an Event on a Bus, and the store, the KPI engine and the
// WebSocket gateway subscribe.
//
// Publishing never blocks forever. Each subscriber has a bounded buffer and a
// Policy for falling behind: Drop discards the newest event for that
// subscriber at once; Wait blocks the publisher up to a deadline, then drops.
// Either way a drop is counted per subscriber (Subscription.Dropped, and the
// hotline_events_dropped_total series) and logged, never silent.
package event
