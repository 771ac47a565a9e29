// Package phone is the agent's side of a voice contact: the contract
// between the voice channel (ivr/sip), which holds the caller's call, and
// the kinds of agent phone that can ring and answer it (SIP phones in
// ivr/sip, the desk's browser softphone).
//
// The flow, for one voice contact offered to an agent:
//
//	ivr/sip          Phones.Expect(CallInfo)            the call may be offered
//	bridge           Phones.Ring(ctx, contact, agent)   (bridge.Holder.Ring)
//	Phones           Ringer.Ring(ctx, agent, call)      of the agent's phone kind
//	Ringer           returns the answered Leg           or ErrBusy/ErrDeclined/ErrNoAnswer/ErrNoPhone
//	bridge           accepts and connects the contact
//	ivr/sip          Phones.Take(contact) in Transfer   relays caller <-> Leg
//	ivr/sip          Phones.Forget(contact)             when the call ends
//
// A Leg carries G.711 (PCMU or PCMA) in 20 ms frames; the voice channel
// transcodes when the caller's codec differs.
package phone
