package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
)

// Trunk is where calls out go: a carrier's or an SBC's SIP address (the
// outbound proxy), our account there and the numbers we may call (the
// sip.trunk.* configuration keys).
type Trunk struct {
	// Proxy is the trunk's host:port; every INVITE out is sent there with a
	// loose Route (RFC 3261 16.12) and the number in the Request-URI.
	Proxy string
	// Transport is "udp" (default) or "tcp".
	Transport string
	// Domain is the host of the Request-URI and of our From; default the
	// proxy's host.
	Domain string
	// User and Password answer the trunk's digest challenge (401 or 407,
	// RFC 3261 22.2 and 22.3); User defaults to From.
	User, Password string
	// From is our calling number (the From user).
	From string
	// Plan is the numbers that may be dialled; nil refuses every number.
	Plan *DialPlan
	// RingTimeout bounds how long the called number may ring; default 45 s.
	RingTimeout time.Duration
}

// OriginKind says who places a call out.
type OriginKind uint8

// The only originators. The IVR is none of them: no flow node dials, and an
// INVITE from a peer to a number we do not answer gets 404; it is never
// relayed to the trunk.
const (
	// OriginSystem: the node itself (an ACD callback it owes a customer).
	OriginSystem OriginKind = iota + 1
	// OriginAgent: an agent whose desk session or API token the caller of
	// Dial has authenticated (a ticket's return visit).
	OriginAgent
)

// Origin is who places a call out and what for; the log names both.
type Origin struct {
	Kind    OriginKind
	Agent   string // OriginAgent: the authenticated agent's id
	Contact string // the contact or ticket the call is for
}

func (o Origin) check() error {
	switch {
	case o.Kind == OriginSystem:
		return nil
	case o.Kind == OriginAgent && o.Agent != "":
		return nil
	}
	return ErrOriginRefused
}

// SetTrunk configures the trunk calls out take; nil: no calls out. The
// proxy's address is resolved now so a typo refuses the start.
func (s *Server) SetTrunk(t *Trunk) error {
	if t == nil {
		s.trunk.Store(nil)
		return nil
	}
	c := *t
	if c.Transport == "" {
		c.Transport = "udp"
	}
	c.Transport = strings.ToLower(c.Transport)
	if c.Transport != "udp" && c.Transport != "tcp" {
		return fmt.Errorf("sip.trunk.transport %q: want udp or tcp", t.Transport)
	}
	host, port, err := net.SplitHostPort(c.Proxy)
	if err != nil {
		return fmt.Errorf("sip.trunk.proxy %q: %w", c.Proxy, err)
	}
	if _, err := strconv.Atoi(port); err != nil {
		return fmt.Errorf("sip.trunk.proxy %q: bad port", c.Proxy)
	}
	if c.Domain == "" {
		c.Domain = host
	}
	if c.User == "" {
		c.User = c.From
	}
	if c.From == "" {
		return errors.New("sip.trunk.from: the calling number is required")
	}
	if c.RingTimeout <= 0 {
		c.RingTimeout = 45 * time.Second
	}
	s.trunk.Store(&c)
	return nil
}

// Trunked says whether calls out are configured.
func (s *Server) Trunked() bool { return s.trunk.Load() != nil }

// CheckNumber says whether the trunk's dial plan allows a number: nil, or
// an error wrapping ErrNoTrunk or ErrForbiddenNumber. The desk asks before
// ringing the agent, so a refused number never rings anybody.
func (s *Server) CheckNumber(number string) error {
	t := s.trunk.Load()
	if t == nil {
		return ErrNoTrunk
	}
	return t.Plan.Check(Normalize(number))
}

// Dial calls a number through the trunk for the originator and returns
// the answered leg (RTP straight to the far end, like an agent's SIP
// phone). ctx ending while it rings cancels the call (CANCEL). Errors wrap
// ErrNoTrunk, ErrOriginRefused, ErrForbiddenNumber (nothing is sent) or
// ErrCustomerUnreachable.
func (s *Server) Dial(ctx context.Context, o Origin, number string) (phone.Leg, error) {
	t := s.trunk.Load()
	if t == nil {
		return nil, ErrNoTrunk
	}
	if err := o.check(); err != nil {
		s.log.Warn("call out refused", "origin", o.Kind, "agent_id", o.Agent, "contact_id", o.Contact, "err", err)
		return nil, err
	}
	n := Normalize(number)
	if err := t.Plan.Check(n); err != nil {
		s.log.Warn("call out refused", "origin", o.Kind, "agent_id", o.Agent, "contact_id", o.Contact, "number", maskNumber(n), "err", err)
		return nil, err
	}
	if s.draining.Load() {
		return nil, ErrClosed
	}
	host, portText, _ := net.SplitHostPort(t.Proxy)
	port, _ := strconv.Atoi(portText)
	local := s.o.MediaIP
	if !local.IsValid() {
		remote, err := resolve(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("trunk %s: %w", t.Proxy, err)
		}
		if local, err = localFor(remote); err != nil {
			return nil, fmt.Errorf("local address toward the trunk: %w", err)
		}
	}
	conn, err := s.listenRTP(local)
	if err != nil {
		return nil, fmt.Errorf("call out rtp: %w", err)
	}
	rtpAddr := netip.AddrPortFrom(local, uint16(conn.LocalAddr().(*net.UDPAddr).Port))
	to := sip.Uri{Scheme: "sip", User: n, Host: t.Domain}
	route := sip.Uri{Scheme: "sip", Host: host, Port: port, UriParams: sip.NewParams()}
	route.UriParams.Add("lr", "")
	if t.Transport == "tcp" {
		to.UriParams = sip.NewParams()
		to.UriParams.Add("transport", "tcp")
		route.UriParams.Add("transport", "tcp")
	}
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: t.From, Host: t.Domain}, Params: sip.NewParams()}
	from.Params.Add("tag", newID())
	rctx, cancel := context.WithTimeout(ctx, t.RingTimeout)
	defer cancel()
	hdrs := []sip.Header{from, s.contact(local, t.From, t.Transport), &sip.RouteHeader{Address: route},
		sip.NewHeader("Content-Type", "application/sdp")}
	if o.Contact != "" {
		hdrs = append(hdrs, sip.NewHeader("X-Hotline-Contact", o.Contact))
	}
	dlg, err := s.dialogs.Invite(rctx, to, offerSDP(rtpAddr), hdrs...)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("call out to %s: %w", maskNumber(n), err)
	}
	err = dlg.WaitAnswer(rctx, sipgo.AnswerOptions{Username: t.User, Password: t.Password})
	if err != nil {
		_ = conn.Close()
		_ = dlg.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) {
			return nil, fmt.Errorf("call out to %s: trunk answered %d %s: %w", maskNumber(n), de.Res.StatusCode, de.Res.Reason, ErrCustomerUnreachable)
		}
		if rctx.Err() != nil {
			return nil, fmt.Errorf("call out to %s: no answer in %s: %w", maskNumber(n), t.RingTimeout, ErrCustomerUnreachable)
		}
		return nil, fmt.Errorf("call out to %s: %v: %w", maskNumber(n), err, ErrCustomerUnreachable)
	}
	if err := dlg.Ack(context.WithoutCancel(ctx)); err != nil {
		s.log.Debug("ack to trunk", "err", err)
	}
	ans, err := ParseOffer(dlg.InviteResponse.Body())
	if err != nil {
		bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), s.byeTimeout)
		_ = dlg.Bye(bctx)
		bcancel()
		_ = dlg.Close()
		_ = conn.Close()
		return nil, fmt.Errorf("call out to %s: the answer's sdp: %v: %w", maskNumber(n), err, ErrCustomerUnreachable)
	}
	codec := media.PCMU
	if ans.PayloadType == ptPCMA {
		codec = media.PCMA
	}
	s.log.Info("call out answered", "origin", o.Kind, "agent_id", o.Agent, "contact_id", o.Contact, "number", maskNumber(n), "codec", codec.String())
	l, err := newSIPLeg(s, dlg, conn, ans.Remote, codec)
	if err != nil {
		_ = dlg.Bye(context.WithoutCancel(ctx))
		_ = dlg.Close()
		_ = conn.Close()
		return nil, fmt.Errorf("call out to %s: media: %w", maskNumber(n), err)
	}
	return l, nil
}

func resolve(ctx context.Context, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, nil
	}
	as, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(as) == 0 {
		return netip.Addr{}, fmt.Errorf("resolve %s: %w", host, err)
	}
	return as[0].Unmap(), nil
}

// maskNumber keeps a number's first three and last four digits for logs.
func maskNumber(n string) string {
	if len(n) <= 7 {
		return n
	}
	return n[:3] + strings.Repeat("*", len(n)-7) + n[len(n)-4:]
}

func (k OriginKind) String() string {
	switch k {
	case OriginSystem:
		return "system"
	case OriginAgent:
		return "agent"
	}
	return "none"
}
