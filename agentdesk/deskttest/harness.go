package deskttest

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/ticketstore"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/internal/clientaddr"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/phone/webphone"
	"github.com/hotline10000/hotline/ivr/storeaccounts"
	"github.com/hotline10000/hotline/knowledge"
)

//go:embed flows
var flows embed.FS

// Password is every test account's password.
const Password = "desk-test-password-1"

// Accounts of the test center: agents alice and bob (skill general),
// supervisor sam.
var Accounts = []Account{
	{Login: "alice", Name: "Alice 李", Role: auth.RoleAgent},
	{Login: "bob", Name: "Bob 王", Role: auth.RoleAgent},
	{Login: "sam", Name: "Sam 张", Role: auth.RoleSupervisor},
}

// Team is the team of every account of Accounts.
const Team = "floor-1"

// Account is one login of the test center.
type Account struct {
	Login string
	Name  string
	Role  auth.Role
	ID    string // filled by New
}

// Options tune the harness; the zero value is a real-time center.
type Options struct {
	// Clock, when set, drives the gateway, the ACD and the IVR (virtual
	// time); nil is the wall clock.
	Clock        *Clock
	OfferTimeout time.Duration // default 15s
	WrapUp       time.Duration // default 30s
	Lease        time.Duration // default 30s
	ChatLease    time.Duration // default 3m
	Replay       int           // default 512
	SendQueue    int
	RatePerSec   float64
	RateBurst    int
	ChatStarts   int           // new chats per second; default 200
	IdleLogout   time.Duration // the desk's auto-logout; default 30m
	// ChatStartsPerAddress and ChatStartBurst limit new chats per client
	// address (default: no limit, every test client is loopback); TrustedProxies are believed for
	// X-Forwarded-For; Location is the center's zone (default Asia/Shanghai).
	ChatStartsPerAddress int
	ChatStartBurst       int
	TrustedProxies       []string
	Location             *time.Location
	// TicketRules dispatch new tickets; TicketGroups are each login's
	// ticket groups (default: everyone in "general"); TicketForm the desk
	// form's choices.
	TicketRules  []ticket.Rule
	TicketGroups map[string][]string
	TicketForm   *agentdesk.TicketForm
	// Agents adds this many extra agents agent0001… with skill general
	// (load tests); their password is Password.
	Agents int
	Logger *slog.Logger
	// Flows replaces the test center's web chat flow (flows/webchat.yaml):
	// the shipped 10000 flows, say. The chat flows' lookups go to the
	// store's customers (ivr.StoreBackend).
	Flows *ivr.Library
	// SMS receives the chat's one-time codes; nil: no codes are sent.
	SMS ticket.Notifier
	// Transcripts receives every chat message (nil: none kept).
	Transcripts agentdesk.TranscriptSink
	// KPIs gives the board's KPI tiles (agentdesk.Options.KPIs).
	KPIs func(context.Context) (any, error)
	// QueueDays gives the board's queue counts (agentdesk.Options.QueueDays).
	QueueDays func(context.Context) (map[string]bridge.DayCount, error)
	// OfferDelivered is the gateway's (agentdesk.Options.OfferDelivered).
	OfferDelivered func(time.Duration)
	// Articles, when set, gives the center a knowledge base holding them
	// (the desk's pane, the chat flow's answer node), searched by the
	// embedded index.
	Articles []knowledge.Article
	// Softphone makes the desks phones (agentdesk.Options.Softphone). With
	// it the center has a voice queue "voice" (skill general) and
	// Server.Bridge, where a test queues calls with a ring step.
	Softphone *webphone.Endpoint
	// HoldCall is the gateway's (agentdesk.Options.HoldCall).
	HoldCall func(contactID string, on bool) error
	// Calls is the gateway's (agentdesk.Options.Calls).
	Calls agentdesk.CallControl
	// CallOut is the gateway's (agentdesk.Options.CallOut).
	CallOut func(ctx context.Context, agentID, contactID, number string, ended func(by string)) error
	// WrapConn, when set, wraps every connection the server accepts
	// (the server's side of each socket): a test can stall the node's
	// writes to one client deterministically.
	WrapConn func(net.Conn) net.Conn
}

// wrapListener hands out the accepted connections wrapped.
type wrapListener struct {
	net.Listener
	wrap func(net.Conn) net.Conn
}

func (l wrapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.wrap(c), nil
}

// Server is a running test center.
type Server struct {
	URL      string // http://127.0.0.1:port
	Store    *store.Store
	Auth     *auth.Service
	ACD      *acd.Engine
	Gateway  *agentdesk.Gateway
	Tickets  *ticket.Service
	Audit    *audit.Log         // the audit trail the desk writes (panel views)
	Accounts map[string]Account // by login
	Clock    *Clock             // nil in real time
	// Knowledge is the knowledge base of Options.Articles (nil without).
	Knowledge *knowledge.Service
	// Bridge is the contact bridge over ACD, shared with the gateway; set
	// with Options.Softphone (calls are queued on it), else nil.
	Bridge *bridge.Bridge

	stop    func()
	changed *change // closed and replaced after every batch of ACD events
}

// change is a broadcast: waiters hold the current channel, and the ACD sink
// closes it after each batch of events and puts a fresh one in its place.
type change struct {
	mu sync.Mutex
	ch chan struct{}
}

func newChange() *change { return &change{ch: make(chan struct{})} }

func (c *change) current() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ch
}

func (c *change) fire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.ch)
	c.ch = make(chan struct{})
}

// Await returns once cond holds. cond is checked now and again after every
// batch of ACD events the center publishes, each time once the gateway has
// handled the batch (the engine applies a change before it publishes it,
// and Gateway.Sync handles delivered events first), so a test waits for
// the ACD and the desk instead of polling them. After d without cond
// holding, Await fails the test.
func (s *Server) Await(t testing.TB, d time.Duration, cond func() bool) {
	t.Helper()
	give := time.NewTimer(d)
	defer give.Stop()
	for {
		next := s.changed.current()
		if err := s.Gateway.Sync(); err != nil {
			t.Fatalf("deskttest: gateway: %v", err)
		}
		if cond() {
			return
		}
		select {
		case <-next:
		case <-give.C:
			t.Fatalf("deskttest: condition not met after %v of ACD events", d)
		}
	}
}

type clocks interface {
	acd.Clock
	agentdesk.Clock
}

type wall struct{}

func (wall) Now() time.Time                         { return time.Now() }
func (wall) After(d time.Duration) <-chan time.Time { return time.After(d) }
func (wall) NewTimer(d time.Duration) acd.Timer     { return acd.SystemClock().NewTimer(d) }

// New starts a test center; t.Cleanup stops it and checks that it stopped.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Start starts a test center with its data in dir. Stop stops it.
func Start(ctx context.Context, dir string, o Options) (*Server, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
		if os.Getenv("DESK_DEBUG") != "" {
			log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	}
	var clk clocks = wall{}
	if o.Clock != nil {
		clk = o.Clock
	}
	if o.OfferTimeout == 0 {
		o.OfferTimeout = 15 * time.Second
	}
	if o.WrapUp == 0 {
		o.WrapUp = 30 * time.Second
	}
	st, err := store.Open(ctx, store.Options{DataDir: dir, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	fail := func(err error) (*Server, error) { st.Close(); return nil, err }
	if _, err := st.Migrate(ctx); err != nil {
		return fail(fmt.Errorf("migrate: %w", err))
	}
	// Sign-in sessions idle out like the desk does (one setting in the
	// node's config), on the center's clock.
	idle := 8 * time.Hour
	if o.IdleLogout > 0 {
		idle = o.IdleLogout
	}
	au := auth.NewService(st, auth.Options{IdleTimeout: idle, MaxAge: 24 * time.Hour, PasswordMinLength: 8,
		Hash: auth.FastHashParams, Logger: log, Now: clk.Now})
	if err := st.UpsertSkill(ctx, store.Skill{Name: "general", Description: "General service"}); err != nil {
		return fail(err)
	}
	accounts := map[string]Account{}
	all := append([]Account(nil), Accounts...)
	for i := range o.Agents {
		all = append(all, Account{Login: fmt.Sprintf("agent%04d", i+1), Name: fmt.Sprintf("Agent %d", i+1), Role: auth.RoleAgent})
	}
	for _, a := range all {
		ag, err := au.CreateAgent(ctx, a.Login, a.Name, a.Role, Password)
		if err != nil {
			return fail(fmt.Errorf("agent %s: %w", a.Login, err))
		}
		a.ID = ag.ID
		accounts[a.Login] = a
		if err := st.SetAgentSkills(ctx, ag.ID, []store.AgentSkill{{Skill: "general", Proficiency: 5}}); err != nil {
			return fail(err)
		}
		// sam supervises alice and bob: a supervisor acts on the agents
		// of their own teams.
		if i := slices.IndexFunc(Accounts, func(x Account) bool { return x.Login == a.Login }); i >= 0 {
			if err := st.SetAgentTeams(ctx, ag.ID, []string{Team}); err != nil {
				return fail(err)
			}
		}
	}
	cfg := acd.DefaultConfig()
	cfg.OfferTimeout, cfg.WrapUp, cfg.WrapUpCap = o.OfferTimeout, o.WrapUp, 4*o.WrapUp
	cfg.Capacity.Chat = 3
	queues := []acd.Queue{
		{ID: "general", Channel: acd.Chat, Skills: []acd.Requirement{{Skill: "general", Min: 1}}, JoinEmpty: true,
			SLThreshold: 20 * time.Second, SLTarget: 0.8},
		{ID: "billing", Channel: acd.Chat, Skills: []acd.Requirement{{Skill: "general", Min: 1}}, JoinEmpty: true},
		{ID: "closed", Channel: acd.Chat, Skills: []acd.Requirement{{Skill: "nobody", Min: 1}}},
	}
	if o.Softphone != nil {
		queues = append(queues, acd.Queue{ID: "voice", Channel: acd.Voice, Skills: []acd.Requirement{{Skill: "general", Min: 1}}, JoinEmpty: true})
	}
	router, err := acd.NewRouter(cfg, queues)
	if err != nil {
		return fail(err)
	}
	var gw *agentdesk.Gateway
	changed := newChange()
	var calls *bridge.Bridge
	engine := acd.NewEngine(router, clk, acd.SinkFunc(func(evs []acd.Event) {
		if calls != nil {
			calls.Deliver(evs)
		}
		gw.DeliverACD(evs)
		changed.fire()
	}))
	if o.Softphone != nil {
		// One bridge for chats and calls, fed here and run with the center.
		if calls, err = bridge.New(bridge.Options{Engine: engine, Clock: clk, Logger: log, Location: o.Location}); err != nil {
			return fail(err)
		}
	}
	lib := o.Flows
	if lib == nil {
		if lib, err = ivr.LoadDir(flows, "flows"); err != nil {
			return fail(fmt.Errorf("flows: %w", err))
		}
	}
	var tclock ticket.Clock = ticket.SystemClock{}
	if o.Clock != nil {
		tclock = o.Clock
	}
	if o.TicketRules == nil {
		// Like a center's catch-all rule: a new ticket lands in the pool.
		o.TicketRules = []ticket.Rule{{Name: "everything", Group: "general"}}
	}
	tickets, err := ticket.NewService(ticketstore.New(st, 100), tclock, ticket.Config{Calendar: tickettest.Always{}, Logger: log, Rules: o.TicketRules})
	if err != nil {
		return fail(err)
	}
	if o.ChatStartsPerAddress == 0 {
		// Every test client comes from loopback: unlimited unless a test
		// is about the limit.
		o.ChatStartsPerAddress, o.ChatStartBurst = 1<<30, 1<<20
	}
	groups := func(string) []string { return []string{"general"} }
	if o.TicketGroups != nil {
		groups = func(id string) []string {
			for _, a := range accounts {
				if a.ID == id {
					return o.TicketGroups[a.Login]
				}
			}
			return nil
		}
	}
	clients, err := clientaddr.New(o.TrustedProxies)
	if err != nil {
		return fail(err)
	}
	trail := audit.New(st, audit.Options{Now: clk.Now})
	var kb *knowledge.Service
	var kbIndex *knowledge.Memory
	if o.Articles != nil {
		if kbIndex, err = knowledge.NewMemory(); err != nil {
			return fail(err)
		}
		kb = knowledge.NewService(knowledge.Options{Store: st, Index: kbIndex, Now: clk.Now})
		if _, err := kb.Import(ctx, o.Articles, "deskttest"); err != nil {
			kbIndex.Close()
			return fail(err)
		}
	}
	var kbDesk agentdesk.KnowledgeBase
	if kb != nil {
		kbDesk = kb
	}
	gw, err = agentdesk.New(agentdesk.Options{Auth: au, ACD: engine, Bridge: calls, Softphone: o.Softphone, HoldCall: o.HoldCall, Calls: o.Calls, CallOut: o.CallOut, Store: st, Tickets: tickets, Flows: lib, Audit: trail,
		IVRBackend: ivr.NewStoreBackend(storeaccounts.New(st, clk.Now), au.Hasher()), SMS: o.SMS,
		Clock: clk, Logger: log, OfferTimeout: o.OfferTimeout, WrapUp: o.WrapUp, Lease: o.Lease, ChatLease: o.ChatLease, Replay: o.Replay,
		IdleLogout: o.IdleLogout, OfferDelivered: o.OfferDelivered,
		SendQueue: o.SendQueue, RatePerSec: o.RatePerSec, RateBurst: o.RateBurst, ChatStarts: o.ChatStarts,
		ChatStartsPerAddress: o.ChatStartsPerAddress, ChatStartBurst: o.ChatStartBurst, ClientAddr: clients.Key, Location: o.Location,
		TicketGroups: groups, TicketForm: o.TicketForm, Transcripts: o.Transcripts, KPIs: o.KPIs,
		QueueDays: o.QueueDays, Knowledge: kbDesk})
	if err != nil {
		if kbIndex != nil {
			kbIndex.Close()
		}
		return fail(err)
	}
	mux := http.NewServeMux()
	au.Routes(mux, 1<<20)
	gw.Routes(mux)
	srv := httptest.NewUnstartedServer(mux)
	if o.WrapConn != nil {
		srv.Listener = wrapListener{Listener: srv.Listener, wrap: o.WrapConn}
	}
	srv.Start()

	runCtx, cancel := context.WithCancel(context.Background())
	engineCtx, stopEngine := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = engine.Run(engineCtx) }()
	go func() { defer wg.Done(); _ = gw.Run(runCtx) }()
	if calls != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = calls.Run(runCtx) }()
	}
	var once sync.Once
	s := &Server{URL: srv.URL, Store: st, Auth: au, ACD: engine, Gateway: gw, Tickets: tickets, Audit: trail, Accounts: accounts, Clock: o.Clock, Bridge: calls, changed: changed,
		Knowledge: kb}
	s.stop = func() {
		once.Do(func() {
			cancel()
			// The gateway stops first (chat flows cancel their contacts
			// through the ACD), then the HTTP server, then the ACD.
			waitGateway := make(chan struct{})
			go func() { srv.Close(); close(waitGateway) }()
			<-waitGateway
			stopEngine()
			wg.Wait()
			if kbIndex != nil {
				kbIndex.Close()
			}
			st.Close()
		})
	}
	return s, nil
}

// Stop stops the center and waits for every goroutine it started.
func (s *Server) Stop() { s.stop() }

// Login opens a session for login and returns its bearer token.
func (s *Server) Login(ctx context.Context, login string) (string, error) {
	tok, _, _, err := s.Auth.Login(ctx, login, Password, "127.0.0.1", "deskttest")
	if err != nil {
		return "", fmt.Errorf("login %s: %w", login, err)
	}
	return tok, nil
}

// ErrTimeout is returned by Client waits that ran out of time.
var ErrTimeout = errors.New("deskttest: timed out")
