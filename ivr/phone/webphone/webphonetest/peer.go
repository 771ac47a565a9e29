// Package webphonetest is a browser stand-in for tests: a pion peer on
// loopback that offers audio like a WebRTC browser does, sends G.711 frames
// and collects what it receives.
package webphonetest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"
)

// Codecs a browser stand-in may offer, by MIME type.
const (
	PCMU = webrtc.MimeTypePCMU
	PCMA = webrtc.MimeTypePCMA
	Opus = webrtc.MimeTypeOpus
)

// Peer is the browser's end of a softphone call.
type Peer struct {
	PC    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticSample

	mu       sync.Mutex
	received [][]byte
	codec    string
	wake     chan struct{}
	up       chan struct{} // closed once the peer connection is connected
	upOnce   sync.Once
	closed   bool
	wg       sync.WaitGroup
}

// New makes a peer on loopback offering codecs in this order (the first
// is the one its own track sends when it is G.711).
func New(codecs ...string) (*Peer, error) {
	var me webrtc.MediaEngine
	for _, c := range codecs {
		p := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: c, ClockRate: 8000, Channels: 1}}
		switch c {
		case PCMU:
			p.PayloadType = 0
		case PCMA:
			p.PayloadType = 8
		case Opus:
			p.RTPCodecCapability = webrtc.RTPCodecCapability{MimeType: c, ClockRate: 48000, Channels: 2}
			p.PayloadType = 111
		default:
			return nil, fmt.Errorf("webphonetest: codec %s", c)
		}
		if err := me.RegisterCodec(p, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	api := webrtc.NewAPI(webrtc.WithMediaEngine(&me), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	p := &Peer{PC: pc, wake: make(chan struct{}, 1), up: make(chan struct{})}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			p.upOnce.Do(func() { close(p.up) })
		}
	})
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: codecs[0], ClockRate: 8000, Channels: 1}, "mic", "browser")
	if err != nil {
		pc.Close()
		return nil, err
	}
	if _, err := pc.AddTrack(track); err != nil {
		pc.Close()
		return nil, err
	}
	p.track = track
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		p.wg.Add(1)
		p.codec = t.Codec().MimeType
		p.mu.Unlock()
		defer p.wg.Done()
		for {
			pkt, _, err := t.ReadRTP()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.received = append(p.received, append([]byte(nil), pkt.Payload...))
			p.mu.Unlock()
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
	})
	return p, nil
}

// Offer makes the offer with every candidate in it (as a page does that
// waits for gathering to complete).
func (p *Peer) Offer(ctx context.Context) (string, error) {
	o, err := p.PC.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(p.PC)
	if err := p.PC.SetLocalDescription(o); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return p.PC.LocalDescription().SDP, nil
}

// Connected is closed once the peer's ICE and DTLS are up.
func (p *Peer) Connected() <-chan struct{} { return p.up }

// Answer applies the server's answer.
func (p *Peer) Answer(sdp string) error {
	return p.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
}

// Send sends one 20 ms frame.
func (p *Peer) Send(frame []byte) error {
	return p.track.WriteSample(pmedia.Sample{Data: frame, Duration: 20 * time.Millisecond})
}

// Received returns the payloads received so far and the codec they came in.
func (p *Peer) Received() ([][]byte, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.received...), p.codec
}

// WaitReceived waits until n payloads arrived or ctx ends.
func (p *Peer) WaitReceived(ctx context.Context, n int) ([][]byte, error) {
	for {
		got, _ := p.Received()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-p.wake:
		case <-ctx.Done():
			return got, fmt.Errorf("received %d of %d frames: %w", len(got), n, ctx.Err())
		}
	}
}

// Close closes the peer connection and waits for its reader.
func (p *Peer) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	err := p.PC.GracefulClose()
	p.wg.Wait()
	return err
}
