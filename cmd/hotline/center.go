package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/ticket/ivrticket"
	"github.com/hotline10000/hotline/internal/admin"
	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/internal/calendar"
	"github.com/hotline10000/hotline/internal/clientaddr"
	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/transcript"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/sip"
	"github.com/hotline10000/hotline/ivr/storeaccounts"
	"github.com/hotline10000/hotline/knowledge"
	"github.com/hotline10000/hotline/metrics"
)

// acdSnapshot is the store snapshot holding the ACD's queues and agents.
const acdSnapshot = bridge.SnapshotName

// center is the routing core of a node: the ACD engine, restored from the
// store's last snapshot, the contact bridge between it and the channels,
// and the engine's events published on the bus, from which every consumer
// reads them (bridge.Publisher); the contact bridge and the desk gateway
// get the same events from the engine's sink directly.
type center struct {
	engine   *acd.Engine
	bridge   *bridge.Bridge
	saver    *bridge.Saver
	restored bridge.Loaded
	log      *slog.Logger

	mu    sync.Mutex // guards sinks
	sinks []acd.Sink // further consumers of ACD events (the desk gateway)
}

// acdConfig turns the node's configuration into the engine's.
func acdConfig(cfg config.Config) acd.Config {
	c := acd.DefaultConfig()
	c.OfferTimeout = cfg.ACD.OfferTimeout
	c.WrapUp = cfg.ACD.WrapUp
	c.WrapUpCap = cfg.ACD.WrapUpCap
	c.Aging = cfg.ACD.Aging
	c.RejectToReady = cfg.ACD.RejectToReady
	c.Capacity.Chat = cfg.ACD.ChatCapacity
	c.Capacity.VoiceBlocksChat = cfg.ACD.VoiceBlocksChat
	return c
}

// acdQueues reads the queue definitions from the store, with the routing
// settings administration gives them (admin.LoadQueues).
func acdQueues(ctx context.Context, st *store.Store, cals *calendar.Set) ([]acd.Queue, error) {
	return admin.LoadQueues(ctx, st, cals)
}

// newCenter builds the engine: from the saved snapshot when there is one (a
// restart keeps every waiting chat and callback in its place), else empty.
// cals answers the queues' opening calendars (nil: always open).
func newCenter(ctx context.Context, cfg config.Config, st *store.Store, bus *event.Bus, cals *calendar.Set, log *slog.Logger) (*center, error) {
	queues, err := acdQueues(ctx, st, cals)
	if err != nil {
		return nil, fmt.Errorf("acd: %w", err)
	}
	loaded, err := bridge.Load(ctx, st, store.ErrNotFound, acdConfig(cfg), queues, log)
	if err != nil {
		return nil, fmt.Errorf("acd: %w", err)
	}
	c := &center{log: log, restored: loaded}
	// One sink, on the engine's delivery goroutine, in the engine's order:
	// each batch goes on the bus (the event log, contact records, KPIs,
	// Prometheus) and then, the same events, to the contact bridge and the
	// desk gateway. They used to follow the bus through a Feed goroutine, one
	// more goroutine hand-over on every offer's way to the agent's socket
	// (docs/desk-protocol.md, "Measured"); this path cannot drop either:
	// a gateway that falls behind delays delivery, never routing decisions.
	publish := bridge.Publisher(bus)
	c.engine = acd.NewEngine(loaded.Router, acd.SystemClock(), acd.SinkFunc(func(evs []acd.Event) {
		publish.Deliver(evs)
		c.bridge.Deliver(evs)
		c.mu.Lock()
		sinks := c.sinks
		c.mu.Unlock()
		for _, s := range sinks {
			s.Deliver(evs)
		}
	}))
	zone, err := time.LoadLocation(cfg.Center.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("center.time_zone: %w", err)
	}
	c.bridge, err = bridge.New(bridge.Options{Engine: c.engine, Logger: log.With("component", "bridge"), Location: zone})
	if err != nil {
		return nil, err
	}
	c.saver = bridge.NewSaver(c.bridge, st, cfg.ACD.SnapshotInterval)
	return c, nil
}

// addSink gives another consumer the engine's events, in order.
func (c *center) addSink(s acd.Sink) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sinks = append(c.sinks, s)
}

// run drives the engine and the contact bridge until ctx ends, saving
// their state as the bridge's Saver decides, and a last time after the
// engine has stopped.
func (c *center) run(ctx context.Context) {
	engineCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { _ = c.engine.Run(engineCtx) })
	wg.Go(func() { _ = c.bridge.Run(engineCtx) })
	// Restored contacts no channel took back (Restore) get their grace
	// period; accepted chats connect.
	c.bridge.Restored(engineCtx, c.restored.Contacts)
	c.saver.Run(ctx)
	stopEngine()
	wg.Wait()
	// The engine answers Snapshot after Run returned: this save holds
	// every command it took.
	if err := c.saver.Save(context.Background()); err != nil {
		c.log.Warn("acd snapshot not saved", "err", err)
	}
}

// coreDeps are what the routing core and the desk gateway are built from.
type coreDeps struct {
	store   *store.Store
	bus     *event.Bus
	auth    *auth.Service
	tickets *desk
	audit   *audit.Log
	kb      *knowledge.Service // the desk's knowledge pane and the chat flow's answers
	flows   *flowSet
	// calendars are the administered calendars, filled from the store
	// before anything asks them (nil: none).
	calendars *calendar.Set
	pages     *lateHandler
	seed      func(context.Context) error // fills an empty store (the demo center)
	admin     *admin.API                  // applies its changes to the engine once it runs
	clock     agentdesk.Clock             // nil: the wall clock
	kpis      *metrics.Runner             // the board's KPI tiles (nil: none)
	voice     *voice                      // nil: no SIP listener
	// offerDelivered observes the ACD-decision-to-socket time of each
	// offer (hotline_desk_offer_delivery_seconds); nil: not measured.
	offerDelivered func(time.Duration)
	// transcriptSpilled and transcriptLost count the transcript writer's
	// spilled and lost messages (nil: not counted).
	transcriptSpilled, transcriptLost func(int)
	log                               *slog.Logger
}

// ivrNotices answers the flows' outage notices from administration's
// announcements: for the caller's number, or the number a chat customer
// typed (a claim, but a notice shows nothing private).
func (d coreDeps) ivrNotices() func(context.Context, ivr.Contact) []string {
	if d.admin == nil {
		return nil
	}
	now := time.Now
	if d.clock != nil {
		now = d.clock.Now
	}
	return func(_ context.Context, c ivr.Contact) []string {
		number := c.ANI
		if p, ok := c.Vars["phone"].(string); ok && strings.HasPrefix(number, "web:") {
			number = p
		}
		return d.admin.IVRNotices(now(), number)
	}
}

// runCore builds the ACD engine and the desk gateway once the schema is
// current, serves them until ctx ends, and stops them in order: the
// gateway first (its sessions may still call the engine), the ticket loops,
// then the engine, whose state is saved last.
func runCore(ctx context.Context, cfg config.Config, d coreDeps, ready func()) error {
	if !waitForSchema(ctx, d.store, d.log) {
		return nil
	}
	if err := d.seed(ctx); err != nil {
		return err
	}
	if d.calendars != nil {
		if err := admin.LoadCalendars(ctx, d.store, d.calendars); err != nil {
			return fmt.Errorf("administered calendars: %w", err)
		}
	}
	// An uploaded flow set activated through administration serves
	// instead of the configured flows; one that no longer loads (a
	// calendar it names was deleted) leaves the configured flows serving.
	if err := admin.InstallActiveFlows(ctx, d.store, d.flows); err != nil {
		d.log.Error("the activated flow set does not load; the configured flows serve", "err", err)
	}
	// Ticket settings saved through administration win over the file's.
	if ts, err := admin.StoredTicketSettings(ctx, d.store); err != nil {
		return fmt.Errorf("administered ticket settings: %w", err)
	} else if ts != nil {
		if err := d.tickets.Apply(ctx, ts); err != nil {
			d.log.Error("the administered ticket settings do not apply; the settings file's serve", "err", err)
		}
	}
	if d.admin != nil {
		d.admin.SetTickets(d.tickets)
		if err := d.admin.LoadNotices(ctx); err != nil {
			return fmt.Errorf("ivr notices: %w", err)
		}
	}
	core, err := newCenter(ctx, cfg, d.store, d.bus, d.calendars, d.log)
	if err != nil {
		return err
	}
	centerZone, err := time.LoadLocation(cfg.Center.TimeZone)
	if err != nil {
		return fmt.Errorf("center.time_zone: %w", err)
	}
	clients, err := clientaddr.New(cfg.HTTP.TrustedProxies)
	if err != nil {
		return fmt.Errorf("http.trusted_proxies: %w", err)
	}
	ticketForm := agentdesk.TicketFormFrom(d.tickets.settings.Settings)
	// Past its buffer the writer spills to the data dir rather than lose
	// a message the chat acknowledged (internal/transcript).
	transcripts := transcript.NewWriter(d.store, transcript.Options{Retention: cfg.Desk.TranscriptRetention,
		SpillDir: cfg.DataDir, SpillMax: int64(cfg.Desk.TranscriptSpillMiB) << 20, MaxWait: cfg.Desk.TranscriptMaxWait,
		OnSpilled: d.transcriptSpilled, OnLost: d.transcriptLost, Logger: d.log.With("component", "transcript")})
	var tiles func(context.Context) (any, error)
	var queueDays func(context.Context) (map[string]bridge.DayCount, error)
	if d.kpis != nil {
		tiles = func(ctx context.Context) (any, error) {
			// A busy or rebuilding engine leaves the tiles as they were
			// rather than holding the board back.
			ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			defer cancel()
			return d.kpis.Tiles(ctx)
		}
		// The board's queue counts are the KPI engine's: one truth with
		// SL01/SL03 and Prometheus.
		queueDays = func(ctx context.Context) (map[string]bridge.DayCount, error) {
			ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			defer cancel()
			days, err := d.kpis.QueueDays(ctx)
			if err != nil {
				return nil, err
			}
			out := make(map[string]bridge.DayCount, len(days))
			for q, v := range days {
				out[q] = bridge.DayCount(v)
			}
			return out, nil
		}
	}
	softphone, err := newSoftphone(cfg, d.log)
	if err != nil {
		return err
	}
	var cbs *callbacks // calls back to customers and return visits, with a trunk
	gw, err := agentdesk.New(agentdesk.Options{
		Auth: d.auth, ACD: core.engine, Bridge: core.bridge, Store: d.store, Clock: d.clock, KPIs: tiles, QueueDays: queueDays,
		Softphone: softphone, HoldCall: d.voice.hold, Calls: d.voice.calls(),
		// A ticket's return visit calls out through the trunk (set up
		// below with the agents' phones).
		CallOut: func(ctx context.Context, agentID, contactID, number string, ended func(string)) error {
			if cbs == nil {
				return sip.ErrNoTrunk
			}
			return cbs.cb.Visit(ctx, agentID, contactID, number, ended)
		},
		Tickets: d.tickets.service, Flows: d.flows.library(), Audit: d.audit, Knowledge: d.kb,
		IVRBackend: ivr.NewStoreBackend(storeaccounts.New(d.store, time.Now), d.auth.Hasher()),
		IVRSink:    ivrSink(d.bus),
		// Chat customers prove a claimed number by a code sent through the
		// ticket desk's SMS adapter; PIN attempts are limited per account.
		SMS:   d.tickets.settings.Notify.Router().SMS,
		Codes: agentdesk.CodeOptions{TTL: cfg.IVR.CodeTTL, Attempts: cfg.IVR.CodeAttempts, PerPhone: cfg.IVR.CodesPerPhone},
		PINGuard: storeaccounts.NewPINGuard(d.store, time.Now, storeaccounts.PINLimits{Max: cfg.IVR.PINMaxFailures,
			Window: cfg.IVR.PINWindow, Lock: cfg.IVR.PINLock}),
		Publish: func(e event.Event) {
			_, _ = d.bus.Publish(context.Background(), e)
		},
		Transcripts:          transcripts,
		OfferTimeout:         cfg.ACD.OfferTimeout,
		WrapUp:               cfg.ACD.WrapUp,
		IdleLogout:           cfg.Auth.SessionIdleTimeout,
		AllowedOrigins:       cfg.Desk.AllowedOrigins,
		Location:             centerZone,
		ClientAddr:           clients.Key,
		ChatStartsPerAddress: cfg.Desk.ChatStartsPerAddress,
		ChatStartBurst:       cfg.Desk.ChatStartBurst,
		ChatStarts:           cfg.Desk.ChatStartsPerSecond,
		TicketForm:           &ticketForm,
		TicketFormNow:        d.tickets.form,
		IVRNotices:           d.ivrNotices(),
		TicketGroups: func(agentID string) []string {
			a, err := d.store.Agent(context.Background(), agentID)
			if err != nil {
				return nil
			}
			return d.tickets.directory().GroupsOf(a.Login)
		},
		OfferDelivered: d.offerDelivered,
		Logger:         d.log.With("component", "agentdesk"),
	})
	if err != nil {
		return fmt.Errorf("agentdesk: %w", err)
	}
	core.addSink(acd.SinkFunc(gw.DeliverACD))
	// The agents' phones: a voice offer rings the agent's phone of their
	// kind (ivr/phone); each kind registers its Ringer here.
	phones := phone.New(phone.Options{Settings: d.store, DefaultKind: cfg.Phones.DefaultKind, Logger: d.log.With("component", "phones")})
	if softphone != nil {
		// The desk page is a phone (softphone.enabled).
		phones.Register(phone.KindBrowser, gw)
	}
	if d.voice != nil {
		phones.Register(phone.KindSIP, d.voice.srv.AttachRegistrar(sip.RegistrarOptions{Realm: cfg.Phones.Realm,
			Credentials: sipCredentials{store: d.store, realm: cfg.Phones.Realm}, Failures: cfg.Phones.RegisterFailures,
			Lock: cfg.Phones.RegisterLock, MaxExpires: cfg.Phones.MaxExpires,
			PerSource: cfg.Phones.RegistersPerSource, Burst: cfg.Phones.RegisterBurst}))
		// Voice runs the same flows with the same back ends as chat; its
		// contacts queue through the contact bridge.
		var ivrClock ivr.Clock = ivr.SystemClock{}
		if d.clock != nil {
			ivrClock = d.clock
		}
		// A voice contact offered rings the agent's phone (ivr/phone); the
		// answered leg is bridged to the caller by the flow's transfer.
		var recorder sip.Recorder
		if cfg.Phones.Record {
			recorder = callRecorder{store: d.store, dataDir: cfg.DataDir, log: d.log,
				queues: recordQueues(cfg.Phones.RecordQueues), engine: core.engine}
		}
		voiceHolder := bridge.Holder{Channel: acd.Voice, Ring: phones.Ring, Consulter: d.voice.srv}
		if cbs = d.voice.callbacks(cfg.SIP.Trunk, d.store, phones, core, recorder); cbs != nil {
			voiceHolder.Callback = cbs.holder
			cbs.voice = voiceHolder
			cbs.resume(ctx, d.log)
			core.addSink(acd.SinkFunc(cbs.follow))
		}
		runner := ivr.NewRunner(d.flows.library(), ivr.Config{Clock: ivrClock, Sink: ivrSink(d.bus),
			Backend: ivr.NewStoreBackend(storeaccounts.New(d.store, time.Now), d.auth.Hasher()),
			Queuer:  phones.Queuer(core.bridge.Queuer(voiceHolder)),
			Tickets: ivrticket.New(d.tickets.service),
			PINGuard: storeaccounts.NewPINGuard(d.store, time.Now, storeaccounts.PINLimits{Max: cfg.IVR.PINMaxFailures,
				Window: cfg.IVR.PINWindow, Lock: cfg.IVR.PINLock}),
			Notices: d.ivrNotices(),
			Logger:  d.log.With("component", "ivr", "channel", "voice")})
		d.flows.onReload(runner.Reload)
		agents := sip.Agents{Phones: phones, AgentLeft: core.engine.End,
			ConsultLeft: core.engine.CancelConsult, ConsultTakeOver: core.engine.CompleteConsult, Recorder: recorder}
		d.voice.attachAgents(agents)
		d.voice.srv.AttachVoicemail(callRecorder{store: d.store, dataDir: cfg.DataDir, log: d.log})
		d.voice.attach(runner)
	}
	if d.admin != nil {
		d.admin.SetRouting(core.engine)
		d.admin.SetDesk(deskAnnouncer{gw})
	}
	gw.Restore(core.restored.Kept)
	d.flows.onReload(gw.ReloadFlows)
	pages := http.NewServeMux()
	gw.Routes(pages)
	d.pages.set(pages)

	engineCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	gwCtx, stopGateway := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	gwDone := make(chan struct{})
	wg.Go(func() {
		defer close(gwDone)
		if err := gw.Run(gwCtx); err != nil && gwCtx.Err() == nil {
			d.log.Error("desk gateway stopped", "err", err)
		}
	})
	wg.Go(func() { d.tickets.run(gwCtx, d.log) })
	if cbs != nil {
		wg.Go(func() { cbs.cb.Run(gwCtx) })
	}
	if r := cfg.Phones.RecordRetention; r > 0 {
		wg.Go(func() { runRecordingRetention(gwCtx, d.store, cfg.DataDir, r, time.Hour, time.Now, d.log) })
	}
	// Announcements created or withdrawn on another node sharing the store
	// reach this node's IVR notices within one admin.notice_refresh.
	if every := cfg.Admin.NoticeRefresh; d.admin != nil && every > 0 {
		wg.Go(func() {
			t := time.NewTicker(every)
			defer t.Stop()
			d.admin.WatchNotices(gwCtx, t.C)
		})
	}
	// The transcript writer outlives the gateway, so the last messages of
	// a drain are stored.
	trCtx, stopTranscripts := context.WithCancel(context.WithoutCancel(ctx))
	wg.Go(func() { transcripts.Run(trCtx) })
	wg.Go(func() {
		<-ctx.Done()
		stopGateway()
		<-gwDone
		stopTranscripts()
		stopEngine()
	})
	ready()
	core.run(engineCtx)
	stopGateway()
	<-gwDone
	stopTranscripts()
	wg.Wait()
	return nil
}
