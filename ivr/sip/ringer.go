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

// Ringer rings agents' registered SIP phones (phone kind "sip"): an
// INVITE to the phone's registered Contact, CANCEL when the ring is
// withdrawn (RFC 3261 9.1).
type Ringer struct{ s *Server }

var _ phone.Ringer = (*Ringer)(nil)

// Ring calls the agent's registered phone and returns the answered leg.
func (r *Ringer) Ring(ctx context.Context, agentID string, call phone.CallInfo) (phone.Leg, error) {
	s := r.s
	reg := s.reg.Load()
	if reg == nil {
		return nil, fmt.Errorf("no registrar: %w", phone.ErrNoPhone)
	}
	b, ok := reg.lookup(agentID, s.o.Now())
	if !ok {
		return nil, fmt.Errorf("agent %s has no registered sip phone: %w", agentID, phone.ErrNoPhone)
	}
	local := s.o.MediaIP
	if !local.IsValid() {
		host, _, _ := net.SplitHostPort(b.source)
		a, _ := netip.ParseAddr(host)
		var err error
		if local, err = localFor(a); err != nil {
			return nil, fmt.Errorf("local address toward %s: %w", b.source, err)
		}
	}
	conn, err := s.listenRTP(local)
	if err != nil {
		return nil, fmt.Errorf("agent leg rtp: %w", err)
	}
	rtpAddr := netip.AddrPortFrom(local, uint16(conn.LocalAddr().(*net.UDPAddr).Port))
	// The phone's registered Contact, reached where its REGISTER came
	// from (phones behind NAT register private addresses).
	target := b.contact
	if h, p, err := net.SplitHostPort(b.source); err == nil {
		target.Host = h
		if n, err := strconv.Atoi(p); err == nil {
			target.Port = n
		}
	}
	if tp := b.transport; tp != "" && !equalFold(tp, "udp") {
		target.UriParams = sip.NewParams()
		target.UriParams.Add("transport", tp)
	}
	from := &sip.FromHeader{DisplayName: call.Caller, Address: sip.Uri{Scheme: "sip", User: numberOr(call.Caller, "hotline"), Host: local.String()},
		Params: sip.NewParams()}
	from.Params.Add("tag", newID())
	dlg, err := s.dialogs.Invite(ctx, target, offerSDP(rtpAddr), from, s.contact(local, "hotline", b.transport), sip.NewHeader("Content-Type", "application/sdp"),
		sip.NewHeader("X-Hotline-Contact", call.ContactID), sip.NewHeader("X-Hotline-Queue", call.Queue))
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("invite agent %s: %w", agentID, err)
	}
	err = dlg.WaitAnswer(ctx, sipgo.AnswerOptions{})
	if err != nil {
		_ = conn.Close()
		_ = dlg.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) {
			return nil, fmt.Errorf("agent %s phone answered %d: %w", agentID, de.Res.StatusCode, ringError(de.Res.StatusCode))
		}
		return nil, fmt.Errorf("agent %s phone: %v: %w", agentID, err, phone.ErrNoAnswer)
	}
	if err := dlg.Ack(context.WithoutCancel(ctx)); err != nil {
		s.log.Debug("ack to agent phone", "agent_id", agentID, "err", err)
	}
	ans, err := ParseOffer(dlg.InviteResponse.Body())
	if err != nil {
		_ = dlg.Bye(context.WithoutCancel(ctx))
		_ = dlg.Close()
		_ = conn.Close()
		return nil, fmt.Errorf("agent %s phone's answer: %v: %w", agentID, err, phone.ErrNoPhone)
	}
	codec := media.PCMU
	if ans.PayloadType == ptPCMA {
		codec = media.PCMA
	}
	l, err := newSIPLeg(s, dlg, conn, ans.Remote, codec, ans.DTMFPayloadType, rtpAddr, s.contact(local, "hotline", b.transport))
	if err != nil {
		_ = dlg.Bye(context.WithoutCancel(ctx))
		_ = dlg.Close()
		_ = conn.Close()
		return nil, fmt.Errorf("agent %s phone's media: %w", agentID, err)
	}
	if ctx.Err() != nil {
		// Withdrawn while the phone answered: this leg is nobody's.
		_ = l.Hangup(context.WithoutCancel(ctx), "offer ended")
		return nil, ctx.Err()
	}
	return l, nil
}

// ringError maps a phone's final response to why the ring failed.
func ringError(code int) error {
	switch code {
	case 486, 600:
		return phone.ErrBusy
	case 603:
		return phone.ErrDeclined
	case 408, 480, 487:
		return phone.ErrNoAnswer
	case 404, 410:
		return phone.ErrNoPhone
	}
	return phone.ErrNoAnswer
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

func numberOr(n, def string) string {
	if n == "" {
		return def
	}
	return n
}

// offerSDP is our offer to an agent phone: PCMU and PCMA, 20 ms, and
// telephone-event (RFC 4733) for the keys pressed on the phone.
func offerSDP(local netip.AddrPort) []byte {
	ipv := "IP4"
	if local.Addr().Is6() {
		ipv = "IP6"
	}
	ip := local.Addr().String()
	id := time.Now().UnixNano()
	return fmt.Appendf(nil, "v=0\r\no=hotline %d 1 IN %s %s\r\ns=hotline\r\nc=IN %s %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 8 %d\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"+
		"a=rtpmap:%[7]d telephone-event/8000\r\na=fmtp:%[7]d 0-16\r\na=ptime:20\r\na=sendrecv\r\n",
		id, ipv, ip, ipv, ip, local.Port(), agentDTMF)
}

// agentDTMF is the telephone-event payload type we offer agent phones.
const agentDTMF = 101

// Keys delivers the keys pressed on the phone (phone.Keypad): its RFC
// 4733 events, decoded by its media.Leg, and its SIP INFO (agentInfo).
func (l *sipLeg) Keys() <-chan media.Digit { return l.m.Digits() }

// agentLeg is the agent phone's (or the trunk's) leg of req's dialog.
func (s *Server) agentLeg(req *sip.Request) *sipLeg {
	id := req.CallID()
	if id == nil {
		return nil
	}
	v, ok := s.agentLegs.Load(id.Value())
	if !ok {
		return nil
	}
	return v.(*sipLeg)
}

// agentReInvite answers a re-INVITE or an UPDATE from an agent's phone
// (or the trunk) in its dialog (RFC 3261 14.2, RFC 3311): the phone's own
// hold button, a moved address, a session refresh. An offer of the leg's
// codec is answered with our address and the RTP follows the offer; the
// phone's hold (sendonly, inactive) puts the caller of the bridged call on
// hold with music, as the desk's hold does, and its resume takes them off.
// An offer we cannot take (no codec of ours, another codec than the
// call's) is 488 and the call keeps its media; a refresh without SDP is
// 200. False: no such leg.
func (s *Server) agentReInvite(req *sip.Request, tx sip.ServerTransaction) bool {
	l := s.agentLeg(req)
	if l == nil {
		return false
	}
	if err := l.dlg.ReadRequest(req, tx); err != nil {
		respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return true
	}
	current := Offer{PayloadType: uint8(l.codec), DTMFPayloadType: l.dtmfPT, PTime: phone.FrameDuration, Direction: SendRecv}
	var answer []byte
	switch {
	case len(req.Body()) > 0:
		o, err := ParseOffer(req.Body())
		if err == nil && o.PayloadType != uint8(l.codec) {
			err = fmt.Errorf("%w: the call's codec is %s", ErrNotAcceptable, l.codec)
		}
		if err != nil {
			s.log.Debug("agent phone's offer refused", "err", err)
			respond(tx, req, 488, "Not Acceptable Here", sip.NewHeader("Warning", `304 hotline "`+warningText(err)+`"`))
			return true
		}
		if o.Remote.Addr().IsValid() && !o.Remote.Addr().IsUnspecified() {
			l.m.SetRemote(o.Remote)
		}
		o.PTime = phone.FrameDuration // the relay's frames are 20 ms
		answer = Answer(o, l.local, l.sdpSession(), l.sdpVersion.Add(1))
		l.phoneHold(o.Hold)
	case req.Method == sip.INVITE:
		// No offer: ours in the 200, its answer in the ACK (RFC 3261 14.2).
		answer = Answer(current, l.local, l.sdpSession(), l.sdpVersion.Add(1))
	}
	var res *sip.Response
	if answer != nil {
		res = sip.NewSDPResponseFromRequest(req, answer)
	} else {
		res = sip.NewResponseFromRequest(req, 200, "OK", nil)
	}
	if l.contactHdr != nil {
		res.AppendHeader(l.contactHdr)
	}
	_ = tx.Respond(res)
	return true
}

// sdpSession is the o= session id of our answers to the phone.
func (l *sipLeg) sdpSession() uint64 { return l.sdpID }

// phoneHold follows the hold button of the phone of a bridged call's
// agent: the caller hears music meanwhile (Server.Hold). Only a change of
// the phone's direction counts (a session refresh repeats it, and must
// not undo the desk's hold). A consulted agent's or a supervisor's phone
// holds nothing.
func (l *sipLeg) phoneHold(on bool) {
	if l.phoneHeld.Swap(on) == on {
		return
	}
	h := l.dlg.InviteRequest.GetHeader("X-Hotline-Contact")
	if h == nil {
		return
	}
	b, err := l.s.bridgeOf(h.Value())
	if err != nil || b.leg != phone.Leg(l) {
		return
	}
	if err := l.s.Hold(h.Value(), on); err != nil {
		l.s.log.Debug("hold from the agent's phone", "contact_id", h.Value(), "err", err)
		return
	}
	l.s.log.Info("agent phone hold", "contact_id", h.Value(), "on", on)
}

// agentInfo takes a SIP INFO from an agent's phone (a key pressed,
// application/dtmf-relay or application/dtmf); false: no such leg.
func (s *Server) agentInfo(req *sip.Request, tx sip.ServerTransaction) bool {
	l := s.agentLeg(req)
	if l == nil {
		return false
	}
	if err := l.dlg.ReadRequest(req, tx); err != nil {
		respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return true
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	d, err := media.ParseINFO(ct, req.Body())
	if err != nil {
		s.log.Debug("agent phone INFO refused", "err", err)
		refuseINFO(tx, req, err)
		return true
	}
	l.m.InjectDigit(d)
	respond(tx, req, 200, "OK")
	return true
}

// agentBye takes a BYE from an agent's phone; false: no such leg.
func (s *Server) agentBye(req *sip.Request, tx sip.ServerTransaction) bool {
	id := req.CallID()
	if id == nil {
		return false
	}
	v, ok := s.agentLegs.Load(id.Value())
	if !ok {
		return false
	}
	l := v.(*sipLeg)
	if err := l.dlg.ReadBye(req, tx); err != nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
	}
	l.bySip.Store(true)
	go l.end(context.Background(), false)
	return true
}
