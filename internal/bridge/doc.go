// Package bridge is the channel-neutral link between a customer's channel
// (web chat today, SIP voice next) and the ACD engine.
//
// A channel queues its contacts through the Bridge (it implements
// ivr.Queuer for every channel) and gets back a Handle per contact. The
// Bridge gets the engine's events from the engine's sink, right after
// Publisher has put them on the bus (publisher.go): it fans each contact's ACD events
// out to the Handle of the channel holding it, as ivr.QueueEvents; it tells
// waiting contacts their places and expected waits as the router computes
// them (aged priority, not arrival order); it connects a contact when its
// agent accepts (chat) or, for channels with a ring step (voice), rings the
// agent's leg when the contact is offered and connects once the agent
// answers; and it takes contacts out of the ACD in one step with the
// reason that decides their outcome (acd.Engine.Leave).
//
// Contacts survive a restart of the node: the Saver keeps the engine's
// snapshot in the store (every interval, soon after a contact comes or
// goes, and last at shutdown) together with what each channel needs to
// take its contacts back (Handle.Keep). On start, Restore hands the
// channels their contacts back; a contact no channel holds again within
// the grace period ends as system_lost, so no restored contact can keep an
// agent busy for good.
package bridge
