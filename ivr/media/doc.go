// Package media is the voice channel's media plane: RTP legs that play the
// IVR's G.711 prompts paced at the packet time, with barge-in, and that
// receive the caller's keypad digits three ways (RFC 4733 telephone-events,
// SIP INFO bodies handed in by the signalling, and in-band tones found with
// a Goertzel detector on the decoded audio).
//
// ivr/sip owns the signalling and the sockets; it builds one Leg per call
// with NewLeg, all legs sharing one Pacer. Prompts are loaded and checked
// once at start (LoadPrompts) so a corrupt WAV refuses the start with its
// path rather than failing a caller.
//
// Why not diago's media layer: its RTP packet writer paces each stream with
// its own time.Ticker (one timer and one goroutine wake per stream every
// 20 ms). The Pacer instead runs a few shard goroutines (one per CPU), each
// waking on a 5 ms grid and sending the packets of the legs due in that
// slot, so the cost per leg is a send, not a timer wake-up; see
// docs/voice-media.md for the measured figures. The RTP packet format comes
// from github.com/pion/rtp and the G.711 tables from github.com/zaf/g711.
package media
