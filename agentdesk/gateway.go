package agentdesk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
	_ "time/tzdata" // the default center zone loads without /usr/share/zoneinfo

	"golang.org/x/time/rate"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/ivrticket"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/phone/webphone"
	"github.com/hotline10000/hotline/ivr/storeaccounts"
)

// Options are the gateway's dependencies and limits. Auth, ACD and Flows
// are required; the rest have defaults.
type Options struct {
	Auth *auth.Service
	ACD  *acd.Engine
	// KPIs, when set, gives the board's KPI tiles (the KPI engine's
	// reports, any JSON value), read with each board push.
	KPIs func(ctx context.Context) (any, error)
	// QueueDays, when set, gives the board's per-queue counts of today
	// (answered, abandoned, lost) from the KPI engine, read with each
	// board push, so the board counts as the KPIs do (in the queue first
	// entered, rebuilt after a restart). Without it the bridge's own
	// counts are shown.
	QueueDays func(ctx context.Context) (map[string]bridge.DayCount, error)
	// Bridge links the chats to the ACD. When nil, the gateway makes its
	// own over ACD, feeds it the events given to DeliverACD and runs it.
	Bridge *bridge.Bridge
	Store  *store.Store // customer panel: identity and past contacts; agent skills at login
	// Tickets serves the desk's ticket commands and the customer panel's
	// past tickets.
	Tickets *ticket.Service
	// Audit records who was shown which customer's panel; nil records none.
	Audit Auditor
	// IVRTickets creates the chat flow's tickets (a message left, a fault);
	// default ivrticket.New(Tickets).
	IVRTickets ivr.TicketCreator
	// Flows is the IVR library the chat widget runs (entry ChatEntry).
	// The gateway builds its own ivr.Runner whose Queuer is the ACD through
	// this gateway, so it can relay the conversation once an agent accepts.
	Flows      *ivr.Library
	IVRBackend ivr.Backend // self-service lookups of chat flows; nil takes their error branch
	// IVRNotices are the outage notices a chat shows as the main flow
	// starts (ivr.Config.Notices); nil: none.
	IVRNotices func(ctx context.Context, c ivr.Contact) []string
	IVRSink    ivr.Sink // the chat runs' IVR events (KPIs); nil drops them
	// SMS sends chat customers' one-time codes (the ticket desk's SMS
	// adapter); nil: chats cannot prove a number by code.
	SMS ticket.Notifier
	// CodeHasher hashes one-time codes for the store; default Auth's
	// argon2id hasher.
	CodeHasher ivr.PasswordHasher
	Codes      CodeOptions
	// PINGuard limits service-PIN attempts per account across contacts;
	// default a storeaccounts.PINGuard over Store with its default limits.
	PINGuard  ivr.PINGuard
	ChatEntry string // widget id selecting the flow; default "web"
	// Publish receives what the desk records that the ACD does not:
	// wrap-up codes and notes, marketing offers and outcomes, transfer notes.
	Publish func(event.Event)
	// Knowledge serves the desk's knowledge pane (kb.* commands) and the
	// chat flow's answer node; nil: kb commands are unavailable and the
	// answer node takes its error branch.
	Knowledge KnowledgeBase
	// Transcripts keeps every chat message as the chat shows it (masked
	// input as dots, never in clear); nil keeps none.
	Transcripts TranscriptSink

	Clock  Clock
	Logger *slog.Logger
	// OfferDelivered is told, for each offer written to an agent's socket,
	// the time from the ACD's decision to the write (the server's part of
	// offer-to-desktop); nil measures nothing. It runs on socket writers:
	// keep it cheap (a histogram's Observe).
	OfferDelivered func(time.Duration)

	// OfferTimeout and WrapUp mirror the ACD configuration so the desk can
	// show countdowns. Defaults are acd.DefaultConfig's.
	OfferTimeout time.Duration
	WrapUp       time.Duration

	Lease      time.Duration // an agent's socket may be gone this long; default 30s
	ChatRescue time.Duration // an agent gone this long loses its chats to their queues; default 3 × Lease
	ChatLease  time.Duration // a customer's socket may be gone this long; default 3m
	Heartbeat  time.Duration // clients send ping this often (told in welcome); default Lease/3
	Replay     int           // durable frames kept per session for resume; default 512
	SendQueue  int           // frames queued per socket before it is closed as slow; default 256
	RatePerSec float64       // commands per second per socket; default 20
	RateBurst  int           // default 40
	ChatStarts int           // new chats per second accepted by /chat/api/start (burst twice this); default 200 (desk.chat_starts_per_second)
	// ChatStartsPerAddress is the new chats per minute one client address
	// may start (a token bucket of ChatStartBurst); default 30 and 10.
	ChatStartsPerAddress int
	ChatStartBurst       int
	// Location is the center's time zone: the board's "today" starts at
	// its midnight. Default Asia/Shanghai.
	Location *time.Location
	// ClientAddr tells a request's client address (behind trusted
	// proxies, from X-Forwarded-For); default: the socket's peer.
	ClientAddr func(*http.Request) string
	// AllowedOrigins may open /ws/chat from other sites (the embedded
	// widget), as scheme://host[:port]. /ws/desk is same-origin only.
	AllowedOrigins []string
	// IdleLogout is the desk's auto-logout after this long without input;
	// 0 disables it. Default 30m.
	IdleLogout      time.Duration
	NotReadyReasons []string // default: break, lunch, meeting, training, after_call
	WrapUpCodes     []string // default: resolved, follow_up, ticket_created, transferred, no_answer
	TicketGroups    func(agentID string) []string
	// TicketForm is what the desk's ticket form offers (TicketFormFrom
	// the ticket settings); default: the common categories, no groups.
	TicketForm *TicketForm
	// TicketFormNow, when set, answers the form's choices at each desk
	// opening instead of TicketForm (administration changes them).
	TicketFormNow func() TicketForm
	// Softphone answers the desk pages' WebRTC offers: with it the desk
	// is the agent's phone (Gateway.Ring, the phone.* commands); nil: no
	// desk phones.
	Softphone *webphone.Endpoint
	// HoldCall puts the caller of a bridged call on hold with music, or
	// takes them off it (the voice channel's Server.Hold); the desk's
	// phone.hold calls it. Nil: hold only silences both sides.
	HoldCall func(contactID string, on bool) error
	// Calls is the voice channel's control of bridged calls (ivr/sip's
	// Server): the desk's call.* commands act on the agent's call through
	// it, whatever the agent's phone. Nil: call.hold, call.mute,
	// call.dtmf and call.hangup answer unavailable.
	Calls CallControl
	// CallOut calls a customer for an agent, the agent's phone first (a
	// ticket's return visit: ivr/sip Callbacks.Visit through the trunk):
	// nil once both answered; ended is told who hung up. Nil: ticket.call
	// answers unavailable.
	CallOut func(ctx context.Context, agentID, contactID, number string, ended func(by string)) error
}

// CallControl acts on a bridged voice call by its contact id. Errors for a
// call that has ended or is not bridged (yet) are the implementation's;
// the desk answers them as conflict.
type CallControl interface {
	Hold(contactID string, on bool) error
	Mute(contactID string, on bool) error
	SendDTMF(contactID, digits string) error
	HangupAgent(contactID string) error
	// Conference makes the call's answered consultation a three-way
	// conference.
	Conference(contactID string) error
	// Bridged says whether the call is bridged to an agent now (nil).
	Bridged(contactID string) error
	// Monitor rings the supervisor's phone (the role is the mode) and
	// joins the answered leg in mode: listen, whisper or barge.
	Monitor(ctx context.Context, contactID, supervisorID, mode string) error
	// SetMonitorMode switches a supervisor on the call to another mode.
	SetMonitorMode(contactID, supervisorID, mode string) error
}

func (o *Options) defaults() error {
	switch {
	case o.Auth == nil:
		return fmt.Errorf("%w: Auth is required", ErrOptions)
	case o.ACD == nil:
		return fmt.Errorf("%w: ACD is required", ErrOptions)
	case o.Flows == nil:
		return fmt.Errorf("%w: Flows is required", ErrOptions)
	}
	def := acd.DefaultConfig()
	setDur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	setDur(&o.OfferTimeout, def.OfferTimeout)
	setDur(&o.WrapUp, def.WrapUp)
	setDur(&o.Lease, 30*time.Second)
	setDur(&o.ChatLease, 3*time.Minute)
	setDur(&o.Heartbeat, o.Lease/3)
	setDur(&o.ChatRescue, 3*o.Lease)
	if o.IdleLogout == 0 {
		o.IdleLogout = 30 * time.Minute
	}
	if o.IVRTickets == nil && o.Tickets != nil {
		o.IVRTickets = ivrticket.New(o.Tickets)
	}
	o.Codes.defaults()
	if o.CodeHasher == nil {
		o.CodeHasher = o.Auth.Hasher()
	}
	if o.PINGuard == nil && o.Store != nil {
		clock := o.Clock
		if clock == nil {
			clock = systemClock{}
		}
		o.PINGuard = storeaccounts.NewPINGuard(o.Store, clock.Now, storeaccounts.PINLimits{})
	}
	if o.ChatEntry == "" {
		o.ChatEntry = "web"
	}
	if o.Replay <= 0 {
		o.Replay = 512
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 256
	}
	if o.RatePerSec <= 0 {
		o.RatePerSec = 20
	}
	if o.RateBurst <= 0 {
		o.RateBurst = 40
	}
	if o.ChatStarts <= 0 {
		o.ChatStarts = 200
	}
	if o.ChatStartsPerAddress <= 0 {
		o.ChatStartsPerAddress = 30
	}
	if o.ChatStartBurst <= 0 {
		o.ChatStartBurst = 10
	}
	if o.TicketForm == nil {
		f := TicketFormFrom(ticket.Settings{})
		o.TicketForm = &f
	}
	if o.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			return fmt.Errorf("%w: Location: %v", ErrOptions, err)
		}
		o.Location = loc
	}
	if o.ClientAddr == nil {
		o.ClientAddr = func(r *http.Request) string {
			if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
				return host
			}
			return r.RemoteAddr
		}
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.NotReadyReasons == nil {
		o.NotReadyReasons = []string{"break", "lunch", "meeting", "training", "after_call"}
	}
	if o.WrapUpCodes == nil {
		o.WrapUpCodes = []string{"resolved", "follow_up", "ticket_created", "transferred", "no_answer"}
	}
	return nil
}

// Gateway is the desk, chat and board WebSocket gateway.
type Gateway struct {
	o      Options
	log    *slog.Logger
	runner *ivr.Runner

	reqs    chan func(*hub)
	acdIn   chan []acd.Event
	queueIn chan queueNote // chat positions from the contact bridge

	bridge    *bridge.Bridge
	ownBridge bool          // made by New: fed and run by the gateway
	done      chan struct{} // closed when the hub stopped
	ready     chan struct{} // closed when Run started
	startMu   sync.Mutex    // orders a Restore on the caller's goroutine before the hub loop starts
	once      sync.Once
	wg        sync.WaitGroup // writers, chat runs, side tasks; Add only on the hub goroutine
	ctx       context.Context

	h       *hub                    // owned by the hub goroutine
	offered func(decided time.Time) // every socket's, from Options.OfferDelivered; nil without it
	starts  *rate.Limiter           // new chats per second, all customers together
	perAddr *addrLimiter            // new chats per client address
	frames  *framePool              // runs the readers' frames (serve.go)
	// chatTokens holds the hashes of the chat tokens the hub knows
	// (hub.tokens), written only by the hub: a chat socket's handshake
	// reads it instead of asking the hub, which is busy with the offers.
	chatTokens sync.Map
}

// New validates o and returns a Gateway; Run must run for it to serve.
func New(o Options) (*Gateway, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	g := &Gateway{o: o, log: o.Logger, reqs: make(chan func(*hub)), acdIn: make(chan []acd.Event, 1024),
		queueIn: make(chan queueNote, 1024), bridge: o.Bridge,
		done: make(chan struct{}), ready: make(chan struct{}), starts: rate.NewLimiter(rate.Limit(o.ChatStarts), 2*o.ChatStarts),
		perAddr: newAddrLimiter(o.ChatStartsPerAddress, o.ChatStartBurst), frames: &framePool{}}
	if g.bridge == nil {
		b, err := bridge.New(bridge.Options{Engine: o.ACD, Clock: o.Clock, Logger: o.Logger, Location: o.Location})
		if err != nil {
			return nil, err
		}
		g.bridge, g.ownBridge = b, true
	}
	cfg := ivr.Config{Clock: o.Clock, Sink: o.IVRSink, Backend: o.IVRBackend,
		Queuer: chatQueuer{g}, Tickets: chatTickets{g: g, next: o.IVRTickets}, PINGuard: o.PINGuard, Notices: o.IVRNotices, Logger: o.Logger}
	if o.Knowledge != nil {
		cfg.Answers = kbAnswers{kb: o.Knowledge, clock: o.Clock}
	}
	if o.SMS != nil && o.Store != nil {
		cfg.Verifier = &codeVerifier{st: o.Store, sms: o.SMS, hasher: o.CodeHasher, clock: o.Clock, o: o.Codes}
	}
	g.runner = ivr.NewRunner(o.Flows, cfg)
	g.h = newHub(g)
	if f := o.OfferDelivered; f != nil {
		g.offered = func(decided time.Time) { f(o.Clock.Now().Sub(decided)) }
	}
	return g, nil
}

// Run serves until ctx ends: it owns the hub and every goroutine the
// gateway starts, closes every socket on the way out and returns once all
// of them stopped. It returns ctx's error.
func (g *Gateway) Run(ctx context.Context) error {
	started := false
	g.once.Do(func() { started = true })
	if !started {
		return fmt.Errorf("agentdesk: Run called twice")
	}
	g.ctx = ctx
	g.startMu.Lock() // a Restore begun before Run finishes before the hub loop starts
	close(g.ready)
	g.startMu.Unlock()
	if g.ownBridge {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			_ = g.bridge.Run(ctx)
		}()
	}
	for range frameWorkers() {
		g.wg.Go(func() { g.frames.work(ctx) })
	}
	g.h.loop(ctx)
	close(g.done)
	g.wg.Wait()
	return ctx.Err()
}

// ReloadFlows makes lib serve every chat started from now on; chats in
// progress finish on the flows they started with (ivr.Runner.Reload).
func (g *Gateway) ReloadFlows(lib *ivr.Library) { g.runner.Reload(lib) }

// DeliverACD hands a batch of ACD events to the hub. It is the gateway's
// part of the Engine's Sink: it waits only while the hub's bounded queue
// (1024 batches) is full, and never after the gateway stopped.
func (g *Gateway) DeliverACD(events []acd.Event) {
	if len(events) == 0 {
		return
	}
	if g.ownBridge {
		g.bridge.Deliver(events)
	}
	select {
	case g.acdIn <- events:
	case <-g.done:
	}
}

// Sync returns once the hub has handled what was asked of it before and
// checked the leases if a sweep is due at the clock's time. Tests on a
// virtual clock call it after advancing the clock, instead of sleeping.
func (g *Gateway) Sync() error { return g.do(func(*hub) {}) }

// do runs fn on the hub goroutine and waits for it.
func (g *Gateway) do(fn func(*hub)) error {
	ran := make(chan struct{})
	select {
	case g.reqs <- func(h *hub) { fn(h); close(ran) }:
	case <-g.done:
		return ErrStopped
	}
	select {
	case <-ran:
		return nil
	case <-g.done:
		// The hub may have run fn just before stopping.
		select {
		case <-ran:
			return nil
		default:
			return ErrStopped
		}
	}
}

// goTask starts a goroutine the gateway owns. Call it on the hub goroutine.
func (g *Gateway) goTask(fn func()) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn()
	}()
}

func newID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
