// Package webphone is the media side of the browser softphone: an agent's
// desk page (Chromium, Chrome, any WebRTC browser) is the agent's phone,
// and this package is the server's end of its peer connection, built on
// pion/webrtc.
//
// The browser offers (RFC 8829 JSEP: it calls createOffer when the agent
// answers a ring); Endpoint.Answer picks G.711 from the offer — PCMU or
// PCMA, whichever the browser lists first; WebRTC browsers must support
// both (RFC 7874 3), so no Opus is needed — and returns the answer and a
// Call. A Call is the agent's leg of a bridged call: 20 ms G.711 frames
// from the agent (ReadFrame) and toward the agent (WriteFrame), hang-up,
// mute, hold and DTMF toward the caller (in-band tones, RFC 4733 is not
// negotiated with the browser). The signalling (SDP, ICE candidates, ring,
// answer, hang-up) travels over the desk WebSocket; package agentdesk
// speaks it and rings the agent (its Softphone is the ivr/phone Ringer).
package webphone
