package webphone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/hotline10000/hotline/ivr/media"
)

// Config is how the server's end of the softphones reaches browsers.
type Config struct {
	// IPs are the local addresses offered to browsers as host candidates
	// (RFC 8445 5.1.1.1); empty: every address of every interface up,
	// loopback excluded. Loopback addresses listed here are offered (a
	// test, or a browser on the same host).
	IPs []string
	// PublicIPs replace the host candidates' addresses with these, for a
	// server behind a 1:1 NAT (pion's NAT1To1IPs); empty: none.
	PublicIPs []string
	// PortMin and PortMax bound the UDP ports of the calls' ICE sockets
	// (a firewall opening); both zero: any ephemeral port.
	PortMin, PortMax uint16
	Logger           *slog.Logger
}

// ICE consent timing (RFC 7675 5.1 lets consent expire after 30 s; a
// call is dead sooner for the agent).
const (
	iceDisconnected = 4 * time.Second
	iceFailed       = 12 * time.Second
	iceKeepalive    = 2 * time.Second
)

// Endpoint answers browsers' offers. It holds no calls: each Call owns its
// peer connection and ends with it.
type Endpoint struct {
	cfg Config
	se  webrtc.SettingEngine
	log *slog.Logger
}

// New checks cfg and returns an Endpoint.
func New(cfg Config) (*Endpoint, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var se webrtc.SettingEngine
	// No multicast DNS: candidates carry addresses, and the server sends
	// nothing to 224.0.0.251. Remote .local candidates are dropped; a
	// browser that hides its address behind mDNS still reaches us through
	// peer-reflexive candidates (RFC 8445 7.3.1.3).
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	// A browser that vanished without closing (a crash, a lost network)
	// ends the call after iceFailed of silence on the ICE path, like a SIP
	// call's RTP timeout, not pion's 25 s.
	se.SetICETimeouts(iceDisconnected, iceFailed, iceKeepalive)
	if len(cfg.IPs) > 0 {
		allowed := make([]netip.Addr, 0, len(cfg.IPs))
		loop := false
		for _, s := range cfg.IPs {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("webphone: IPs: %q is not an address", s)
			}
			allowed = append(allowed, a.Unmap())
			loop = loop || a.IsLoopback()
		}
		se.SetIncludeLoopbackCandidate(loop)
		se.SetIPFilter(func(ip net.IP) bool {
			a, ok := netip.AddrFromSlice(ip)
			return ok && slices.Contains(allowed, a.Unmap())
		})
	}
	if len(cfg.PublicIPs) > 0 {
		for _, s := range cfg.PublicIPs {
			if _, err := netip.ParseAddr(s); err != nil {
				return nil, fmt.Errorf("webphone: PublicIPs: %q is not an address", s)
			}
		}
		se.SetNAT1To1IPs(cfg.PublicIPs, webrtc.ICECandidateTypeHost)
	}
	if cfg.PortMin != 0 || cfg.PortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.PortMin, cfg.PortMax); err != nil {
			return nil, fmt.Errorf("webphone: ports %d-%d: %w", cfg.PortMin, cfg.PortMax, err)
		}
	}
	return &Endpoint{cfg: cfg, se: se, log: cfg.Logger}, nil
}

// Answer applies a browser's offer and returns the call and the answer to
// send back, with every candidate of ours in it (no trickle from our
// side: host candidates are known at once). The offer's audio must carry
// PCMU or PCMA (ErrNoCodec). The call is set up, not yet connected:
// Connected tells when media can flow. ctx bounds the answer's making.
func (e *Endpoint) Answer(ctx context.Context, offer string) (*Call, string, error) {
	codec, err := chooseCodec(offer)
	if err != nil {
		return nil, "", err
	}
	// One codec in the media engine: the answer names exactly one format,
	// so the browser sends what we expect.
	var me webrtc.MediaEngine
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: capability(codec), PayloadType: webrtc.PayloadType(codec)},
		webrtc.RTPCodecTypeAudio); err != nil {
		return nil, "", fmt.Errorf("webphone: codec: %w", err)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(&me), webrtc.WithSettingEngine(e.se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", fmt.Errorf("webphone: peer connection: %w", err)
	}
	c := newCall(pc, codec, e.log)
	fail := func(err error) (*Call, string, error) {
		c.Hangup(context.WithoutCancel(ctx), "setup_failed")
		return nil, "", err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	track, err := webrtc.NewTrackLocalStaticSample(capability(codec), "audio", "hotline")
	if err != nil {
		return fail(fmt.Errorf("webphone: track: %w", err))
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		return fail(fmt.Errorf("webphone: add track: %w", err))
	}
	c.start(track, sender)
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		if errors.Is(err, webrtc.ErrSenderWithNoCodecs) {
			return fail(ErrNoCodec)
		}
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fail(fmt.Errorf("webphone: local description: %w", err))
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(fmt.Errorf("webphone: gathering candidates: %w", ctx.Err()))
	}
	return c, pc.LocalDescription().SDP, nil
}

func capability(c media.Codec) webrtc.RTPCodecCapability {
	mime := webrtc.MimeTypePCMU
	if c == media.PCMA {
		mime = webrtc.MimeTypePCMA
	}
	return webrtc.RTPCodecCapability{MimeType: mime, ClockRate: media.SampleRate, Channels: 1}
}
