package sip

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/ivr"
)

// FlowRunner runs a contact's IVR flow on a channel (*ivr.Runner).
type FlowRunner interface {
	Run(ctx context.Context, c ivr.Contact, ch ivr.Channel) (ivr.Result, error)
}

// Options configure a Server (the sip.* configuration keys).
type Options struct {
	// UDPAddr, TCPAddr, TLSAddr are listen addresses; empty: none.
	UDPAddr, TCPAddr, TLSAddr string
	TLSConfig                 *tls.Config
	// MediaIP is the RTP address; invalid: the local address routed to
	// each caller.
	MediaIP                netip.Addr
	RTPPortMin, RTPPortMax int // 0, 0: any free port
	// Numbers maps dialled numbers to flow names.
	Numbers map[string]string
	// TrustedPeers may assert the caller's identity (P-Asserted-Identity).
	TrustedPeers     []netip.Prefix
	MaxCalls         int // 0: no limit
	InvitesPerSource int // per second; burst twice that
	RetryAfter       time.Duration
	RingDelay        time.Duration
	RTPTimeout       time.Duration
	DrainTimeout     time.Duration
	Media            Media
	Metrics          *Metrics
	Logger           *slog.Logger
	// Now is the admission clock; default time.Now.
	Now func() time.Time
	// Clock times the flows' input deadlines; default the wall clock.
	Clock ivr.Clock
	// MaxCPU is the machine's busy CPU fraction (0..1, over the last
	// second) above which INVITEs get 503; 0: no CPU check.
	MaxCPU float64
	// CPUTimes reads the machine's CPU counters; default /proc/stat.
	CPUTimes CPUTimes
}

// sipReadBuffer is the receive buffer asked for the SIP UDP socket.
const sipReadBuffer = 4 << 20

// Server is the hotline's SIP user agent server.
type Server struct {
	o   Options
	log *slog.Logger
	m   *Metrics

	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	dialogs *sipgo.DialogUA
	adm     *admission
	runner  atomic.Pointer[FlowRunner]
	agents  atomic.Pointer[Agents] // agentcall.go
	reg     atomic.Pointer[registrar]
	trunk   atomic.Pointer[Trunk] // calls out (outbound.go)
	// voicemail stores the record node's messages (voicemail.go).
	voicemail atomic.Pointer[Voicemail]
	// agentLegs are the answered agent SIP phones, by Call-ID (ringer.go).
	agentLegs sync.Map

	udp   []net.PacketConn
	tcp   []net.Listener // TCP and TLS
	ports map[string]int // listening port by transport ("udp", "tcp", "tls")
	// hosts is the address a transport listens on when that is one
	// address (not 0.0.0.0 or ::): our Contact must name it.
	hosts map[string]netip.Addr

	draining atomic.Bool
	callCtx  context.Context // ends when a drain gives up waiting: calls hang up
	stop     context.CancelFunc

	byeTimeout time.Duration // bounds our BYE transactions
	// relayGoroutines relays every bridged call with two goroutines, as
	// before session 8, also for SIP phone legs (for comparison:
	// TestBridgedCallsLoad -bridged.relaygoroutines).
	relayGoroutines bool

	mu     sync.Mutex       // guards calls, closed and calls' registration in wg
	calls  map[string]*call // by dialog id
	closed bool
	wg     sync.WaitGroup // calls being set up or running
	out    sync.WaitGroup // callbacks relaying (callback.go); added to under mu while !closed
	idle   chan struct{}  // signalled when a call ends
}

// New binds the listeners of o (errors name the address) and returns a
// server that answers once Serve runs.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Clock == nil {
		o.Clock = ivr.SystemClock{}
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = 10 * time.Second
	}
	if o.RTPTimeout <= 0 {
		o.RTPTimeout = 30 * time.Second
	}
	if o.InvitesPerSource <= 0 {
		o.InvitesPerSource = 500
	}
	if o.Media == nil {
		return nil, errors.New("sip: Media is required")
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("hotline"), sipgo.WithUserAgenTLSConfig(o.TLSConfig))
	if err != nil {
		return nil, fmt.Errorf("sip: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(o.Logger))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(o.Logger))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	s := &Server{o: o, log: o.Logger, m: o.Metrics, ua: ua, srv: srv, adm: newAdmission(o.MaxCalls, o.InvitesPerSource, o.MaxCPU, o.CPUTimes),
		calls: map[string]*call{}, ports: map[string]int{}, hosts: map[string]netip.Addr{}, idle: make(chan struct{}, 1), byeTimeout: byeTimeout}
	// RewriteContact: in-dialog requests (our BYE) go to where the
	// caller's INVITE came from, which works behind NAT.
	s.dialogs = &sipgo.DialogUA{Client: client, RewriteContact: true,
		ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "hotline", Host: "127.0.0.1"}}}
	s.callCtx, s.stop = context.WithCancel(context.Background())
	if err := s.listen(); err != nil {
		s.closeListeners()
		ua.Close()
		return nil, err
	}
	srv.OnInvite(s.onInvite)
	srv.OnAck(s.onAck)
	srv.OnBye(s.onBye)
	srv.OnOptions(s.onOptions)
	srv.OnInfo(s.onInfo)
	srv.OnUpdate(s.onUpdate)
	// Other methods: 405 with what we speak (RFC 3261 8.2.1).
	srv.OnNoRoute(func(req *sip.Request, tx sip.ServerTransaction) {
		respond(tx, req, 405, "Method Not Allowed", sip.NewHeader("Allow", allow))
	})
	srv.OnRegister(s.onRegister)
	// CANCEL is answered by the transaction layer (200, then 487 to the
	// INVITE, RFC 3261 9.2); the dialog's context ends, which stops ringing.
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {})
	return s, nil
}

func (s *Server) listen() error {
	if a := s.o.UDPAddr; a != "" {
		c, err := net.ListenPacket("udp", a)
		if err != nil {
			return fmt.Errorf("sip.udp_addr: %w", err)
		}
		if u, ok := c.(*net.UDPConn); ok {
			// Best effort (the kernel caps it at net.core.rmem_max): a
			// burst of requests waits in the queue instead of being
			// dropped. With the default 208 KiB, an overloaded run at
			// 2 000 calls/s lost ACKs and BYEs there (UDP
			// RcvbufErrors), and each lost ACK cost 200
			// retransmissions for 32 s.
			_ = u.SetReadBuffer(sipReadBuffer)
		}
		s.udp = append(s.udp, c)
		s.ports["udp"] = c.LocalAddr().(*net.UDPAddr).Port
		s.bound("udp", c.LocalAddr().(*net.UDPAddr).AddrPort().Addr())
	}
	if a := s.o.TCPAddr; a != "" {
		l, err := net.Listen("tcp", a)
		if err != nil {
			return fmt.Errorf("sip.tcp_addr: %w", err)
		}
		s.tcp = append(s.tcp, l)
		s.ports["tcp"] = l.Addr().(*net.TCPAddr).Port
		s.bound("tcp", l.Addr().(*net.TCPAddr).AddrPort().Addr())
	}
	if a := s.o.TLSAddr; a != "" {
		if s.o.TLSConfig == nil {
			return errors.New("sip.tls_addr: no certificate (sip.tls_cert, sip.tls_key)")
		}
		l, err := tls.Listen("tcp", a, s.o.TLSConfig)
		if err != nil {
			return fmt.Errorf("sip.tls_addr: %w", err)
		}
		s.tcp = append(s.tcp, l)
		s.ports["tls"] = l.Addr().(*net.TCPAddr).Port
		s.bound("tls", l.Addr().(*net.TCPAddr).AddrPort().Addr())
	}
	return nil
}

func (s *Server) bound(transport string, a netip.Addr) {
	if a = a.Unmap(); a.IsValid() && !a.IsUnspecified() {
		s.hosts[transport] = a
	}
}

// Addr is the bound address of a transport ("udp", "tcp", "tls"), "" if
// it does not listen.
func (s *Server) Addr(transport string) string {
	switch transport {
	case "udp":
		if len(s.udp) > 0 {
			return s.udp[0].LocalAddr().String()
		}
	case "tcp", "tls":
		for _, l := range s.tcp {
			if s.isTLS(l) == (transport == "tls") {
				return l.Addr().String()
			}
		}
	}
	return ""
}

// Close releases the listeners of a server whose Serve never ran.
func (s *Server) Close() error {
	s.closeListeners()
	return s.ua.Close()
}

// Attach gives the server the flows to run; until then INVITEs get 503.
func (s *Server) Attach(r FlowRunner) { s.runner.Store(&r) }

// Draining reports whether the server refuses new calls.
func (s *Server) Draining() bool { return s.draining.Load() }

// InProgress is the number of calls admitted and not ended.
func (s *Server) InProgress() int { return s.adm.inProgress() }

// Serve answers SIP until ctx ends, then drains: new calls get 503 while
// live calls go on for up to DrainTimeout; the rest are hung up (BYE).
// It returns once every call has ended and the listeners are closed.
func (s *Server) Serve(ctx context.Context) error {
	var serving sync.WaitGroup
	if s.o.MaxCPU > 0 {
		serving.Go(func() {
			s.adm.cpu.run(ctx, func(err error) { s.log.Warn("sip: no cpu-based admission", "err", err) })
		})
	}
	for _, c := range s.udp {
		serving.Go(func() { _ = s.srv.ServeUDP(c) })
	}
	for _, l := range s.tcp {
		if s.isTLS(l) {
			serving.Go(func() { _ = s.srv.ServeTLS(l) })
		} else {
			serving.Go(func() { _ = s.srv.ServeTCP(l) })
		}
	}
	<-ctx.Done()
	s.drain()
	s.closeListeners()
	serving.Wait() // the readers have handed over all they read
	awaitSipgo()
	_ = s.ua.Close()
	return nil
}

// awaitSipgo waits, for at most a second, until sipgo has handled every
// message its readers handed over. sipgo handles each datagram on a
// goroutine of its own and gives no way to wait for them; one that runs
// after its listener left sipgo's connection pool (a starved ACK, seen
// under -race) opens a client UDP socket to answer on, and only clearing
// the pool (UserAgent.Close) closes that socket again. So the listeners
// close and their readers end first, then this waits for those goroutines
// (found by where they were started), then the pool is cleared.
func awaitSipgo() {
	deadline := time.Now().Add(time.Second)
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n == len(buf) && len(buf) < 64<<20 {
			buf = make([]byte, 2*len(buf))
			continue
		}
		if !bytes.Contains(buf[:n], []byte("created by github.com/emiago/sipgo/sip.(*TransactionLayer).handleMessage")) || time.Now().After(deadline) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *Server) isTLS(l net.Listener) bool {
	return s.ports["tls"] != 0 && l.Addr().(*net.TCPAddr).Port == s.ports["tls"]
}

func (s *Server) closeListeners() {
	for _, c := range s.udp {
		_ = c.Close()
	}
	for _, l := range s.tcp {
		_ = l.Close()
	}
}

// drain refuses new calls, waits up to DrainTimeout for live ones to end,
// then ends the rest and waits for them.
func (s *Server) drain() {
	s.draining.Store(true)
	deadline := time.NewTimer(s.o.DrainTimeout)
	defer deadline.Stop()
	for s.adm.inProgress() > 0 {
		select {
		case <-s.idle:
			continue
		case <-deadline.C:
		}
		break
	}
	if n := s.adm.inProgress(); n > 0 {
		s.log.Info("sip drain: hanging up live calls", "calls", n)
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.wg.Wait()
	s.out.Wait()
}

// enter counts a call being set up; false once the server has closed.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *Server) leave() {
	s.adm.release()
	s.wg.Done()
	select {
	case s.idle <- struct{}{}:
	default:
	}
}

func (s *Server) register(c *call) {
	s.mu.Lock()
	s.calls[c.dlg.ID] = c
	s.mu.Unlock()
}

func (s *Server) unregister(c *call) {
	s.mu.Lock()
	delete(s.calls, c.dlg.ID)
	s.mu.Unlock()
}

// inDialog finds the call an in-dialog request belongs to.
func (s *Server) inDialog(req *sip.Request) *call {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[id]
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res)
}

func (s *Server) retryAfter() sip.Header {
	return sip.NewHeader("Retry-After", strconv.Itoa(int((s.o.RetryAfter+time.Second-1)/time.Second)))
}

// refuse answers an INVITE with a final error and counts it.
func (s *Server) refuse(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	s.m.attempt(code)
	respond(tx, req, code, reason, hdrs...)
}

const allow = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER"

// onOptions answers probes (RFC 3261 11.2): 200 with what we speak, or
// 503 while draining so load balancers take the node out.
func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	if s.draining.Load() || s.runner.Load() == nil {
		respond(tx, req, 503, "Service Unavailable", s.retryAfter())
		return
	}
	respond(tx, req, 200, "OK", sip.NewHeader("Allow", allow), sip.NewHeader("Accept", "application/sdp"))
}

func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params != nil && to.Params.Has("tag") {
		s.onReInvite(req, tx)
		return
	}
	src := sourceHost(req.Source())
	if s.draining.Load() {
		s.refuse(tx, req, 503, "Service Unavailable", s.retryAfter())
		return
	}
	runner := s.runner.Load()
	if runner == nil {
		s.refuse(tx, req, 503, "Service Unavailable", s.retryAfter())
		return
	}
	if why := s.adm.admit(src, s.o.Now()); why != "" {
		s.log.Debug("sip call refused", "source", src, "reason", why)
		s.refuse(tx, req, 503, "Service Unavailable", s.retryAfter())
		return
	}
	if !s.enter() {
		s.adm.release()
		s.refuse(tx, req, 503, "Service Unavailable", s.retryAfter())
		return
	}
	answered := false
	defer func() {
		if !answered {
			s.leave()
		}
	}()
	number := req.Recipient.User
	flow, ok := s.o.Numbers[number]
	if !ok {
		s.refuse(tx, req, 404, "Not Found")
		return
	}
	// An INVITE without a body is a late offer (RFC 3261 13.2.1): our
	// offer goes in the 200 and the caller's answer comes in the ACK.
	late := len(req.Body()) == 0
	var offer Offer
	var err error
	if !late {
		if offer, err = ParseOffer(req.Body()); err != nil {
			s.log.Info("sip offer refused", "source", src, "err", err)
			s.refuse(tx, req, 488, "Not Acceptable Here", sip.NewHeader("Warning", `304 hotline "`+warningText(err)+`"`))
			return
		}
	}
	peerUpdate := allowsUpdate(req)
	session, weRefresh, tooSmall := sessionInterval(req, peerUpdate)
	if tooSmall {
		s.refuse(tx, req, 422, "Session Interval Too Small", minSEHeader())
		return
	}
	// The 200 counts as the attempt's final response when it goes out,
	// not when the ACK confirms the dialog (up to 64*T1 = 32 s later):
	// read as a SIPp run ended, the counter missed every call still
	// waiting for its ACK (hotline-voicebench: 18 856 of 20 000).
	atx := &answerTx{ServerTransaction: tx, m: s.m}
	dlg, err := s.dialogs.ReadInvite(req, atx)
	if err != nil {
		s.refuse(tx, req, 400, "Bad Request")
		return
	}
	// No 100 Trying: it exists to stop the caller's INVITE retransmissions
	// when the final answer takes over 200 ms (RFC 3261 17.2.1), and ours
	// follows within the same handler, microseconds later (or a 180 does,
	// with a ring delay). Sent anyway, it cost as much as the 200 (a
	// response built and a sendto): 5 % of the CPU per call.
	local := s.o.MediaIP
	if !local.IsValid() {
		towards := offer.Remote.Addr()
		if late {
			towards, _ = netip.ParseAddr(src)
		}
		if local, err = localFor(towards); err != nil {
			s.log.Warn("sip: no local address towards the caller", "err", err)
			s.refuse(tx, req, 500, "Server Internal Error")
			return
		}
	}
	contact := s.contact(local, number, req.Transport())
	if s.o.RingDelay > 0 {
		_ = dlg.Respond(180, "Ringing", nil, contact)
		t := time.NewTimer(s.o.RingDelay)
		select {
		case <-t.C:
		case <-dlg.Context().Done(): // CANCEL (487 sent) or the transaction died
			t.Stop()
			s.m.attempt(487)
			return
		case <-s.callCtx.Done():
			t.Stop()
			s.refuse(tx, req, 503, "Service Unavailable", s.retryAfter())
			return
		}
	}
	conn, err := s.listenRTP(local)
	if err != nil {
		s.log.Warn("sip: no RTP port", "err", err)
		s.refuse(tx, req, 503, "Service Unavailable", s.retryAfter())
		return
	}
	var leg Leg
	if !late {
		if leg, err = s.o.Media.Open(LegConfig{Conn: conn, Offer: offer, Inactivity: s.o.RTPTimeout}); err != nil {
			_ = conn.Close()
			s.log.Warn("sip: media leg", "err", err)
			s.refuse(tx, req, 500, "Server Internal Error")
			return
		}
	}
	rtpAddr := netip.AddrPortFrom(local, uint16(conn.LocalAddr().(*net.UDPAddr).Port))
	c := newCall(s, dlg, leg, offer, rtpAddr, contact)
	c.contact = ivr.Contact{ID: newContactID(s.o.Now()), ANI: s.caller(req, src), Entry: number, Flow: flow}
	c.session, c.weRefresh, c.peerUpdate = session, weRefresh, peerUpdate
	c.late = late
	s.register(c)
	sdp := Answer(offer, rtpAddr, c.sessionID, c.version)
	if late {
		sdp = LateOffer(rtpAddr, c.sessionID, c.version)
	}
	res := sip.NewSDPResponseFromRequest(dlg.InviteRequest, sdp)
	res.AppendHeader(contact)
	if session > 0 {
		for _, h := range sessionHeaders(session, weRefresh) {
			res.AppendHeader(h)
		}
	}
	closeMedia := func() {
		if leg != nil {
			_ = leg.Close()
		} else {
			_ = conn.Close()
		}
	}
	if err := dlg.WriteResponse(res); err != nil {
		s.unregister(c)
		closeMedia()
		// Only a CANCEL that came before our 200 makes the attempt a 487.
		// The dialog's context also ends when the caller's BYE overtakes
		// its ACK (handlers run concurrently; under overload the ACK's
		// goroutine can start after the BYE's): that call was answered
		// (its 200 counted when sent), and counting it as 487 made 415
		// of 8 000 answered calls cancelled ones at 1 000 calls/s
		// (cmd/hotline-voicebench).
		switch {
		case !atx.answered.Load():
			if errors.Is(err, sip.ErrTransactionCanceled) || errors.Is(tx.Err(), sip.ErrTransactionCanceled) {
				s.m.attempt(487)
			} else {
				// The transaction died before our answer: nothing went out.
				s.log.Info("sip call not answered", "contact_id", c.contact.ID, "err", err)
			}
		case dlg.Context().Err() != nil:
			// The caller hung up before its ACK reached us.
		default:
			// Our 200 went out for 64*T1 and no ACK came: lost in the
			// network (or in our socket's receive queue under overload),
			// or a caller that gave up.
			s.m.unconfirmed.Inc()
			s.log.Info("sip call not confirmed", "contact_id", c.contact.ID, "err", err)
			_ = dlg.Bye(context.Background())
		}
		return
	}
	if late {
		// The dialog is confirmed: the ACK's answer was kept before that.
		answer, err := parseAnswer(c.ackAnswer())
		if err == nil {
			leg, err = s.o.Media.Open(LegConfig{Conn: conn, Offer: answer, Inactivity: s.o.RTPTimeout})
		}
		if err != nil {
			// No usable answer: end the session (RFC 3264 5, RFC 3261 13.2.1).
			s.log.Info("sip late offer not answered", "contact_id", c.contact.ID, "err", err)
			s.unregister(c)
			closeMedia()
			c.hangup("no answer to our offer")
			return
		}
		c.setLeg(leg, answer)
	}
	answered = true
	go s.run(c, *runner)
}

// run runs the call's flow and hangs up after it.
func (s *Server) run(c *call, runner FlowRunner) {
	defer s.leave()
	defer s.unregister(c)
	s.m.inProgress.Inc()
	defer s.m.inProgress.Dec()
	// One Info line per call, at its end: each line is a write to the log
	// (two per call were 4 % of the CPU per call at 1 000 calls/s).
	s.log.Debug("sip call answered", "contact_id", c.contact.ID, "number", c.contact.Entry, "flow", c.contact.Flow)
	ctx, cancel := context.WithCancel(s.callCtx)
	defer cancel()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		c.watch()
	}()
	res, err := runner.Run(ctx, c.contact, c)
	c.endBridge("call ended")
	if a := s.agents.Load(); a != nil && a.Phones != nil {
		a.Phones.Forget(c.contact.ID)
	}
	switch {
	case s.callCtx.Err() != nil:
		c.hangup("drain")
	case err != nil:
		s.log.Warn("voice flow failed", "contact_id", c.contact.ID, "err", err)
	}
	c.hangup("flow")
	<-watched
	s.m.legEnded(c.leg.Stats())
	_ = c.leg.Close()
	s.log.Info("sip call ended", "contact_id", c.contact.ID, "number", c.contact.Entry, "flow", c.contact.Flow,
		"outcome", res.Outcome, "by", c.endedBy())
}

// answerTx is an INVITE's server transaction that counts the attempt as
// 200 when the first 2xx is handed to the transport (sipgo's
// DialogServerSession.WriteResponse sends it, then waits for the ACK).
// It counts just before the send so that whoever receives the 200 sees
// it counted; a transaction already ended (CANCEL, 487 sent) is not.
type answerTx struct {
	sip.ServerTransaction
	m        *Metrics
	answered atomic.Bool
}

func (t *answerTx) Respond(res *sip.Response) error {
	if res.IsSuccess() && !t.answered.Load() {
		select {
		case <-t.Done():
		default:
			if t.answered.CompareAndSwap(false, true) {
				t.m.attempt(200)
			}
		}
	}
	return t.ServerTransaction.Respond(res)
}

// contact is our Contact for a call: the address the transport the
// INVITE came on listens on, or if that is all addresses, the local
// address towards the caller; and that transport's port.
func (s *Server) contact(local netip.Addr, user, transport string) *sip.ContactHeader {
	tp := strings.ToLower(transport)
	if h, ok := s.hosts[tp]; ok {
		// Bound to one address: in-dialog requests (the ACK) must come
		// there, whatever address the media uses.
		local = h
	}
	u := sip.Uri{Scheme: "sip", User: user, Host: local.String(), Port: s.ports[tp]}
	if tp == "tls" {
		u.Scheme = "sips"
	}
	if tp == "tcp" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", "tcp")
	}
	return &sip.ContactHeader{Address: u}
}

// listenRTP opens the call's RTP socket on local, in the configured port
// range (even ports, RFC 3550 11) or any free port.
func (s *Server) listenRTP(local netip.Addr) (net.PacketConn, error) {
	if s.o.RTPPortMin == 0 {
		return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	}
	span := (s.o.RTPPortMax - s.o.RTPPortMin) / 2
	if span < 1 {
		span = 1
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	start := int(binary.BigEndian.Uint32(b[:]) % uint32(span))
	var lastErr error
	for i := 0; i < span && i < 64; i++ {
		p := s.o.RTPPortMin + 2*((start+i)%span)
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, uint16(p))))
		if err == nil {
			return c, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("rtp ports %d-%d: %w", s.o.RTPPortMin, s.o.RTPPortMax, lastErr)
}

// caller is the calling number: P-Asserted-Identity (RFC 3325) when the
// INVITE comes from a trusted peer, else the From user.
func (s *Server) caller(req *sip.Request, src string) string {
	if h := req.GetHeader("P-Asserted-Identity"); h != nil && s.trusted(src) {
		var u sip.Uri
		if _, err := sip.ParseAddressValue(h.Value(), &u, nil); err == nil {
			if n := number(u); n != "" {
				return n
			}
		}
	}
	if f := req.From(); f != nil {
		return number(f.Address)
	}
	return ""
}

func (s *Server) trusted(src string) bool {
	a, err := netip.ParseAddr(src)
	if err != nil {
		return false
	}
	for _, p := range s.o.TrustedPeers {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// number is a URI's subscriber number: the user of sip:, the number of
// tel:, without visual separators and the +86 country code.
func number(u sip.Uri) string {
	n := u.User
	if strings.EqualFold(u.Scheme, "tel") {
		n = u.Host
		if n == "" {
			n, _, _ = strings.Cut(u.Raw(), ";")
		}
	}
	n = numberSeparators.Replace(n)
	n = strings.TrimPrefix(n, "+86")
	if len(n) > 32 {
		n = n[:32]
	}
	return n
}

func sourceHost(src string) string {
	if h, _, err := net.SplitHostPort(src); err == nil {
		return h
	}
	return src
}

// Built once: a Replacer builds its lookup table on first use, which was
// 1.5 % of the server's CPU per call when built per INVITE.
var (
	numberSeparators = strings.NewReplacer("-", "", ".", "", "(", "", ")", "", " ", "")
	warningEscapes   = strings.NewReplacer(`"`, "'", "\r", " ", "\n", " ", `\`, "/")
)

// warningText keeps a Warning header's quoted text valid.
func warningText(err error) string {
	t := warningEscapes.Replace(err.Error())
	if len(t) > 120 {
		t = t[:120]
	}
	return t
}

// newContactID is a call's contact id: "call-", then 12 hex digits of
// the milliseconds since the Unix epoch, then 8 random ones. Ids in time
// order land at the end of the store's indexes on them (the contacts key,
// events_contact), where a random id dirtied a random page of each per
// call, which every commit of the contact-record projection and of the
// event log then wrote to the WAL (docs/voice.md, "Performance").
func newContactID(now time.Time) string {
	var b [10]byte
	ms := uint64(now.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (8 * (5 - i)))
	}
	_, _ = rand.Read(b[6:])
	return "call-" + hex.EncodeToString(b[:])
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
