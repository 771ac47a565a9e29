package sip

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
)

// Media opens the audio leg of an answered call. Package ivr/media is the
// real one (adapted in cmd/hotline); tests use fakes.
type Media interface {
	Open(cfg LegConfig) (Leg, error)
}

// LegConfig is what a leg is opened with.
type LegConfig struct {
	// Conn is the call's RTP socket; the leg owns it from now on and closes
	// it with Close.
	Conn  net.PacketConn
	Offer Offer // remote address, codec, telephone-event type, ptime, hold
	// Inactivity: no RTP from the caller for this long makes Dead fire.
	Inactivity time.Duration
}

// Digit is one DTMF key the caller pressed, and how it came.
type Digit = media.Digit

// LegStats are a leg's RTP counters.
type LegStats struct {
	Sent, Received, Lost uint64
}

// Leg is one call's audio: prompts out, DTMF in.
type Leg interface {
	// Play plays the utterance's prompts, paced. With u.BargeIn a key
	// pressed meanwhile stops playback and is returned (pressed true);
	// without, keys pressed meanwhile are discarded. ctx ending stops it.
	Play(ctx context.Context, u ivr.Utterance) (key Digit, pressed bool, err error)
	// Hold plays hold music until ctx ends (a queued caller's wait); keys
	// pressed meanwhile come on Digits.
	Hold(ctx context.Context) error
	// Digits delivers keys pressed while nothing plays.
	Digits() <-chan Digit
	// INFO takes a DTMF key carried by SIP INFO; an error means the body
	// or its type is not DTMF.
	INFO(contentType string, body []byte) error
	// Update applies a re-INVITE: new remote address, hold or unhold.
	Update(o Offer)
	// Dead is closed when the caller's RTP stopped for the inactivity
	// timeout.
	Dead() <-chan struct{}
	Stats() LegStats
	Close() error
}

// localFor is the local address the host routes to remote from: the
// address our SDP and Contact announce when none is configured. No packet
// is sent (a connected UDP socket only picks a route).
func localFor(remote netip.Addr) (netip.Addr, error) {
	if !remote.IsValid() || remote.IsUnspecified() {
		remote = netip.MustParseAddr("192.0.2.1") // any routable address: the default route
	}
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(remote, 9)))
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}
