// Package sip is the voice channel's signalling: a SIP user agent server
// (github.com/emiago/sipgo) that answers calls to the hotline's numbers,
// negotiates their audio (SDP, github.com/pion/sdp/v3), runs each call's
// IVR flow on an ivr.Channel and hangs up when the flow, the caller or a
// dead media stream ends the call.
//
// What a call hears and what keys it sends travel on its media leg, made
// by a Media (package ivr/media's adapter in cmd/hotline; fakes in tests):
// this package owns dialogs, admission, drain and the call's lifecycle,
// not RTP.
//
// One call, in order: INVITE → admission (503 with Retry-After when
// draining, at capacity or flooded by one source) → dialled number → flow
// (404 otherwise) → SDP offer (488 when no PCMU/PCMA over RTP/AVP) → (100
// Trying if nothing else is out within 200 ms) → optional 180 Ringing for sip.ring_delay (CANCEL ends it with
// 487) → 200 OK with the SDP answer → ACK → the flow runs → BYE either way.
// In-dialog re-INVITEs move the media (new address, hold/unhold); INFO
// carries DTMF (RFC 2976 with application/dtmf-relay or application/dtmf).
package sip
