package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/sip"
)

// voice is the node's phone side: the SIP server and the shared RTP pacer.
// Its listeners are bound at start; calls get 503 until the routing core
// attaches the voice flows' runner.
type voice struct {
	srv       *sip.Server
	pacer     *media.Pacer
	stopPacer context.CancelFunc
}

// newVoice binds the sip.* listeners and decodes every prompt (a corrupt
// WAV refuses the start, naming its path). Nil when no listener is set.
func newVoice(cfg config.Config, flows *flowSet, reg prometheus.Registerer, log *slog.Logger) (*voice, error) {
	s := cfg.SIP
	if s.UDPAddr == "" && s.TCPAddr == "" && s.TLSAddr == "" {
		return nil, nil
	}
	o := sip.Options{UDPAddr: s.UDPAddr, TCPAddr: s.TCPAddr, TLSAddr: s.TLSAddr, RTPPortMin: s.RTPPortMin, RTPPortMax: s.RTPPortMax,
		MaxCalls: s.MaxCalls, MaxCPU: float64(s.MaxCPUPercent) / 100, InvitesPerSource: s.InvitesPerSource, RetryAfter: s.RetryAfter, RingDelay: s.RingDelay,
		RTPTimeout: s.RTPTimeout, DrainTimeout: s.DrainTimeout, Numbers: map[string]string{},
		Metrics: sip.NewMetrics(reg), Logger: log.With("component", "sip")}
	if s.MediaIP != "" {
		o.MediaIP = netip.MustParseAddr(s.MediaIP) // validated
	}
	for _, n := range s.Numbers {
		num, flow, _ := strings.Cut(n, "=")
		o.Numbers[strings.TrimSpace(num)] = strings.TrimSpace(flow)
	}
	for _, flow := range o.Numbers {
		if _, ok := flows.library().Flow(flow); !ok {
			return nil, &config.Error{Key: "sip.numbers", Value: flow, Reason: "no such flow"}
		}
	}
	for _, p := range s.TrustedPeers {
		pr, err := netip.ParsePrefix(p)
		if err != nil {
			a := netip.MustParseAddr(p) // validated
			pr = netip.PrefixFrom(a, a.BitLen())
		}
		o.TrustedPeers = append(o.TrustedPeers, pr)
	}
	if s.TLSAddr != "" {
		cert, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("sip.tls_cert: %w", err)
		}
		o.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	pacerCtx, stopPacer := context.WithCancel(context.Background())
	pacer := media.NewPacer(pacerCtx)
	m, err := sip.NewRTPMedia(pacer, flows.library().Prompts())
	if err != nil {
		stopPacer()
		pacer.Wait()
		// The prompt's path is within the flows directory (or built in).
		return nil, fmt.Errorf("ivr.flows_dir (%s): %w", flows.configuredSource, err)
	}
	o.Media = m
	srv, err := sip.New(o)
	if err != nil {
		stopPacer()
		pacer.Wait()
		return nil, err
	}
	if err := setTrunk(srv, s.Trunk); err != nil {
		_ = srv.Close()
		stopPacer()
		pacer.Wait()
		return nil, err
	}
	return &voice{srv: srv, pacer: pacer, stopPacer: stopPacer}, nil
}

// close releases a voice side that never ran (serve failed before it).
func (v *voice) close() {
	_ = v.srv.Close()
	v.stopPacer()
	v.pacer.Wait()
}

// run serves calls until ctx ends, drains them, then stops the pacer.
func (v *voice) run(ctx context.Context) {
	_ = v.srv.Serve(ctx)
	v.stopPacer()
	v.pacer.Wait()
}

// attachAgents makes transfers bridge callers to the agents' phones.
func (v *voice) attachAgents(a sip.Agents) {
	if v != nil {
		v.srv.AttachAgents(a)
	}
}

// hold puts a bridged caller on hold (music) or off it: the desk phone's
// hold button.
func (v *voice) hold(contactID string, on bool) error {
	if v == nil {
		return fmt.Errorf("no voice channel")
	}
	return v.srv.Hold(contactID, on)
}

// calls is the desk's control of bridged calls (nil without a voice
// channel).
func (v *voice) calls() agentdesk.CallControl {
	if v == nil {
		return nil
	}
	return v.srv
}

// attach starts taking calls with the voice runner.
func (v *voice) attach(r *ivr.Runner) {
	if v != nil {
		v.srv.Attach(r)
	}
}

// sipCredentials are the agents' SIP phone credentials in the store.
type sipCredentials struct {
	store *store.Store
	realm string
}

func (c sipCredentials) SIPUser(ctx context.Context, user string) (string, string, error) {
	x, err := c.store.AgentPhoneBySIPUser(ctx, user)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (x.SIPRealm != c.realm || x.SIPHA1 == "")) {
		return "", "", fmt.Errorf("sip user %q: %w", user, sip.ErrUnknownUser)
	}
	if err != nil {
		return "", "", err
	}
	return x.AgentID, x.SIPHA1, nil
}
