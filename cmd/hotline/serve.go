package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/calendar"
	"github.com/hotline10000/hotline/internal/clientaddr"
	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/internal/contactrecord"
	"github.com/hotline10000/hotline/internal/demo"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/httpapi"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/knowledge/kbapi"
	"github.com/hotline10000/hotline/metrics"
	"github.com/hotline10000/hotline/metrics/kpiapi"
)

// serve runs the contact center until ctx is cancelled, then drains: it
// stops taking requests, lets those in flight finish (up to
// http.shutdown_timeout), writes every buffered event to the log and closes
// the store. Every goroutine it starts is waited for before it returns.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, e env) error {
	setGCPercent(cfg.Runtime.GCPercent, log)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("store open", "backend", st.Dialect())
	if cfg.Database.MigrateOnStart {
		applied, err := st.Migrate(ctx)
		for _, m := range applied {
			log.Info("migration applied", "migration", m.Name)
		}
		if err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		// Besides the default gauges, the scheduler's run-queue latency,
		// the GC's pauses and its CPU (assists apart): what an offer's
		// tail on a busy node is made of, and the goroutines started
		// (hotline-load reports them per chat).
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.GoRuntimeMetricsRule{
			Matcher: regexp.MustCompile(`^/(sched/latencies:seconds|sched/pauses/total/gc:seconds|sched/goroutines-created:goroutines|cpu/classes/gc/(mark/assist|total):cpu-seconds)$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)
	m := newServerMetrics(reg)

	node := cfg.NodeID
	if node == "" {
		node, _ = os.Hostname()
	}
	bus := event.NewBus(event.Options{Logger: log, OnDrop: m.eventsDropped, Node: node})
	recorder := event.NewRecorder(bus, st, event.RecorderOptions{
		Logger: log,
		OnWrite: func(n int, took time.Duration) {
			m.eventsLogged.Add(float64(n))
			m.eventLogWrite.Observe(took.Seconds())
		},
		OnRetry: func(int) { m.eventLogRetries.Inc() },
		OnFail:  func(n int) { m.eventsLost.Add(float64(n)) },
	})

	kpiOpts, err := kpiOptions(cfg)
	if err != nil {
		return err
	}
	// The KPI engine subscribes before anything publishes, then rebuilds
	// today from the log when it runs.
	kpiClock := time.Now
	if e.clock != nil {
		kpiClock = e.clock.Now
	}
	kpis := metrics.NewRunner(bus, metrics.RunnerOptions{Engine: kpiOpts, Replay: replayLog(st, log),
		Clock: kpiClock, Queues: kpiQueues(st), Intervals: kpiIntervals{st}, Logger: log.With("component", "kpi")})
	reg.MustRegister(metrics.NewCollector(kpis))

	// The administered calendars (filled from the store once the schema is
	// current); the flows and the ticket SLAs ask them first.
	cals := calendar.NewSet()
	flowSet, err := loadFlows(cfg, cals, log)
	if err != nil {
		return err
	}
	contacts := contactrecord.New(bus, st, log)
	// The audit trail: who viewed or exported a customer's record, and
	// every administrative change.
	trail := audit.New(st, audit.Options{})
	clients, err := clientaddr.New(cfg.HTTP.TrustedProxies)
	if err != nil {
		return fmt.Errorf("http.trusted_proxies: %w", err)
	}
	tickets, err := newDesk(cfg, st, bus, cals, log, trail, clients.Addr)
	if err != nil {
		return err
	}
	if len(cfg.KPI.ReportTo) > 0 && tickets.settings.Notify.SMTP.Addr == "" {
		log.Warn("kpi.report_to is set but the tickets file has no notify.smtp: the day reports will end dead in the outbox")
	}

	authSvc := auth.NewService(st, auth.Options{
		IdleTimeout: cfg.Auth.SessionIdleTimeout, MaxAge: cfg.Auth.SessionMaxAge,
		LoginLimitAccount: cfg.Auth.LoginLimitAccount, LoginLimitAddress: cfg.Auth.LoginLimitAddress,
		LoginLimitWindow: cfg.Auth.LoginLimitWindow, PasswordMinLength: cfg.Auth.PasswordMinLength,
		LoginFreeFailures: cfg.Auth.LoginFreeFailures, LoginDelay: cfg.Auth.LoginDelay, LoginDelayMax: cfg.Auth.LoginDelayMax,
		Logger: log,
	})

	phone, err := newVoice(cfg, flowSet, reg, log)
	if err != nil {
		return err
	}
	phoneRunning := false
	defer func() {
		if phone != nil && !phoneRunning {
			phone.close()
		}
	}()

	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http.addr: %w", err)
	}
	defer ln.Close()
	// The demo center is seeded once the schema exists, before the ACD
	// reads its queues.
	kb, err := newKnowledge(cfg, st, bus, log)
	if err != nil {
		return err
	}
	defer kb.close()
	seed := func(ctx context.Context) error {
		if !cfg.Demo {
			return nil
		}
		seeded, err := demo.Seed(ctx, st, authSvc, time.Now())
		if err != nil {
			return err
		}
		if seeded != nil {
			demo.Print(e.stdout, seeded, "http://"+displayAddr(ln.Addr()))
		}
		return nil
	}

	h := &health{store: st}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", h.live)
	mux.HandleFunc("GET /readyz", h.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	authSvc.Routes(mux, cfg.HTTP.MaxBodyBytes)
	tickets.routes(mux, authSvc)
	flowSet.routes(mux, authSvc)
	kbapi.New(kb.svc, nil, cfg.HTTP.MaxBodyBytes).Routes(mux, authSvc)
	contactRoutes(mux, authSvc, st, trail, clients.Addr)
	recordingRoutes(mux, authSvc, st, trail, clients.Addr, cfg.DataDir)
	mux.Handle("GET /api/v1/audit", authSvc.Require(auth.PermAudit, trail.Handler()))
	adminAPI, err := newAdmin(cfg, st, authSvc, cals, tickets, flowSet, log)
	if err != nil {
		return err
	}
	adminAPI.Routes(mux, authSvc)
	// Imported KPI inputs are judged "in the future" by the KPI engine's
	// clock (a test's shifted clock too: TestKPIsRebuiltAfterRestart
	// failed from 00:00 to 11:00 in Shanghai against the wall clock).
	kpiapi.New(kpis, func(ctx context.Context, e event.Event) error {
		_, err := bus.Publish(ctx, e)
		return err
	}, kpiClock, cfg.HTTP.MaxBodyBytes).Routes(mux, authSvc)
	// The desk, the chat widget and the board, with their sockets, are
	// served once the routing core is up.
	pages := &lateHandler{}
	// Which sites may frame the pages (clickjacking): http.frame_ancestors;
	// the chat page also the sites that embed its widget.
	framed := httpapi.FrameAncestors(cfg.HTTP.FrameAncestors, pages)
	chatSources := slices.Clone(cfg.HTTP.FrameAncestors)
	if len(cfg.Desk.AllowedOrigins) > 0 {
		chatSources = append(slices.DeleteFunc(chatSources, func(s string) bool { return s == "'none'" }), cfg.Desk.AllowedOrigins...)
	}
	chatFramed := httpapi.FrameAncestors(chatSources, pages)
	for _, p := range []string{"/desk/", "/board/", "/admin/", "/common/"} {
		mux.Handle(p, framed)
	}
	mux.Handle("/chat/", chatFramed)
	for _, p := range []string{"/ws/desk", "/ws/chat"} {
		mux.Handle(p, pages)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/desk/", http.StatusFound)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteError(w, http.StatusNotFound, "not_found", "no such endpoint")
	})
	srv := &http.Server{
		Handler:           m.instrument(recoverPanics(log, mux)),
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}

	dbg, err := startDebug(cfg.Debug.Addr, log)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	if dbg != nil {
		defer dbg.stop() // on an early return; stopping twice is harmless
		wg.Go(func() {
			if err := dbg.run(); err != nil {
				log.Warn("profiler stopped", "err", err)
			}
		})
	}
	wg.Go(func() { recorder.Run(ctx) })
	wg.Go(func() { contacts.Run(ctx) })
	wg.Go(func() {
		runKPIs(ctx, kpis, &nightly{st: st, bus: bus, kpis: kpis, opts: kpiOpts, reportTo: cfg.KPI.ReportTo, now: kpiClock,
			log: log.With("component", "kpi-batch")})
	})
	// The routing core starts once the schema is current: a node started
	// before `hotline migrate` serves its probes (not ready) and picks up
	// as soon as the migration lands.
	coreCtx, stopCore := context.WithCancel(context.WithoutCancel(ctx))
	coreDone := make(chan struct{})
	coreUp := make(chan struct{}) // closed once the routing core runs
	fatal := make(chan error, 1)
	wg.Go(func() {
		defer close(coreDone)
		if err := runCore(coreCtx, cfg, coreDeps{store: st, bus: bus, auth: authSvc, tickets: tickets, audit: trail, kb: kb.svc,
			flows: flowSet, calendars: cals, pages: pages, seed: seed, clock: e.clock, admin: adminAPI, kpis: kpis, voice: phone, log: log,
			offerDelivered:    func(d time.Duration) { m.offerDelivery.Observe(d.Seconds()) },
			transcriptSpilled: func(n int) { m.transcriptSpilled.Add(float64(n)) },
			transcriptLost:    func(n int) { m.transcriptLost.Add(float64(n)) }}, func() { h.coreRunning.Store(true); close(coreUp) }); err != nil {
			fatal <- err
		}
	})
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	wg.Go(func() {
		sweepStore(sweepCtx, st, sweepAges{sessions: cfg.Auth.SessionMaxAge, idempotencyKeys: cfg.Admin.IdempotencyKeyTTL}, log)
	})
	wg.Go(func() { kb.run(sweepCtx, coreUp, cfg.Demo) })
	// SIGHUP reloads the flows, as daemons reload their configuration.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	wg.Go(func() {
		for {
			select {
			case <-sweepCtx.Done():
				return
			case <-hup:
				_, _ = flowSet.reload()
			}
		}
	})
	// Calls drain before the routing core stops: they use it.
	phoneCtx, stopPhone := context.WithCancel(context.WithoutCancel(ctx))
	phoneDone := make(chan struct{})
	if phone != nil {
		phoneRunning = true
		wg.Go(func() {
			defer close(phoneDone)
			phone.run(phoneCtx)
		})
		for _, tp := range []string{"udp", "tcp", "tls"} {
			if a := phone.srv.Addr(tp); a != "" {
				log.Info("listening", "sip", a, "transport", tp)
			}
		}
	} else {
		close(phoneDone)
	}
	defer stopPhone()
	served := make(chan error, 1)
	wg.Go(func() { served <- srv.Serve(ln) })
	log.Info("listening", "http", ln.Addr().String())
	if e.onListen != nil {
		e.onListen(ln.Addr())
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "grace", cfg.HTTP.ShutdownTimeout)
	case err := <-served:
		runErr = fmt.Errorf("http server: %w", err)
	case runErr = <-fatal:
	}
	h.draining.Store(true)
	stopPhone() // /readyz is not ready first; then SIP refuses new calls (503) and live ones finish
	// HTTP serves on while the calls drain: /readyz answers 503 to the
	// load balancer, and the agents on those calls keep their desk's API.
	<-phoneDone
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("requests still running at the end of the grace period; closing them", "err", err)
		srv.Close()
	}
	stopSweep()
	stopCore() // stops the desk gateway, the ticket loops, then the ACD (saving its state)
	<-coreDone
	// Sign-in activity still waiting for its batch.
	authSvc.Flush(shutdownCtx)
	bus.Close() // the recorders write what is buffered, then return
	if dbg != nil {
		dbg.stop()
	}
	wg.Wait()
	if d := recorder.Dropped(); d > 0 {
		log.Warn("event log missed events", "dropped", d)
	}
	log.Info("stopped")
	return runErr
}

// health answers the liveness and readiness probes.
type health struct {
	store       *store.Store
	draining    atomic.Bool
	coreRunning atomic.Bool
}

func (h *health) live(w http.ResponseWriter, r *http.Request) {
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ready says whether this node should get traffic: the store answers, the
// schema is current, and the node is not draining.
func (h *health) ready(w http.ResponseWriter, r *http.Request) {
	notReady := func(reason string) {
		httpapi.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not_ready", "reason": reason})
	}
	if h.draining.Load() {
		notReady("shutting down")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.store.Ping(ctx); err != nil {
		notReady("store unreachable")
		return
	}
	pending, err := h.store.MigrationsPending(ctx)
	if err != nil {
		notReady("cannot read the schema version")
		return
	}
	if pending {
		notReady("migrations pending")
		return
	}
	if !h.coreRunning.Load() {
		notReady("routing core starting")
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready", "store": string(h.store.Dialect())})
}

// waitForSchema returns once no migration is pending (true) or ctx ends
// (false).
func waitForSchema(ctx context.Context, st *store.Store, log *slog.Logger) bool {
	for warned := false; ; warned = true {
		pending, err := st.MigrationsPending(ctx)
		if err == nil && !pending {
			return true
		}
		if !warned {
			log.Warn("waiting for the schema to be migrated ('hotline migrate') before routing contacts")
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(2 * time.Second):
		}
	}
}

// sweepSessions deletes sessions that ended long ago, hourly.
// sweepStore forgets, once an hour, what the store keeps only for a while:
// expired sign-in sessions and old idempotency keys.
func sweepStore(ctx context.Context, st *store.Store, ages sweepAges, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			sweepOnce(ctx, st, now, ages, log)
		}
	}
}

// sweepAges are how long the swept records live.
type sweepAges struct {
	sessions        time.Duration // auth.session_max_age
	idempotencyKeys time.Duration // admin.idempotency_key_ttl
}

func sweepOnce(ctx context.Context, st *store.Store, now time.Time, ages sweepAges, log *slog.Logger) {
	if n, err := st.DeleteSessionsBefore(ctx, now.Add(-ages.sessions)); err != nil {
		log.Warn("sweep sessions", "err", err)
	} else if n > 0 {
		log.Debug("sessions swept", "count", n)
	}
	if n, err := st.ForgetRequests(ctx, now.Add(-ages.idempotencyKeys)); err != nil {
		log.Warn("sweep idempotency keys", "err", err)
	} else if n > 0 {
		log.Debug("idempotency keys swept", "count", n)
	}
}

// recoverPanics turns a handler panic into a 500 with a JSON body, logged
// with the route, so one bad request never takes the node down.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				httpapi.WriteError(w, http.StatusInternalServerError, "internal", "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func displayAddr(a net.Addr) string {
	s := a.String()
	if strings.HasPrefix(s, "[::]:") || strings.HasPrefix(s, "0.0.0.0:") {
		return "localhost" + s[strings.LastIndex(s, ":"):]
	}
	return s
}

// serverMetrics are the node's own series (the KPIs come with package metrics).
type serverMetrics struct {
	requests        *prometheus.CounterVec
	dropped         *prometheus.CounterVec
	eventsLogged    prometheus.Counter
	eventsLost      prometheus.Counter
	eventLogRetries prometheus.Counter
	eventLogWrite   prometheus.Histogram
	offerDelivery   prometheus.Histogram
	// Transcript messages past the memory buffer (the store was behind)
	// and those never stored (buffer and spill full past the wait).
	transcriptSpilled prometheus.Counter
	transcriptLost    prometheus.Counter
}

func newServerMetrics(reg prometheus.Registerer) *serverMetrics {
	m := &serverMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_http_requests_total", Help: "HTTP requests by method and status code.",
		}, []string{"method", "code"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_events_dropped_total", Help: "Events a subscriber missed because it fell behind.",
		}, []string{"subscriber"}),
		eventsLogged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_event_log_written_total", Help: "Events written to the event log.",
		}),
		eventsLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_event_log_failed_total", Help: "Events given up by the event log: refused for their content, or still unwritten when the shutdown grace ran out.",
		}),
		eventLogRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_event_log_retries_total", Help: "Failed event-log writes that were retried (the database was unavailable).",
		}),
		eventLogWrite: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hotline_event_log_write_seconds", Help: "Time to write one batch to the event log.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
	}
	// The server's part of offer-to-desktop (docs/desk-protocol.md): from
	// the ACD's decision to the offer written to the agent's socket.
	m.offerDelivery = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "hotline_desk_offer_delivery_seconds",
		Help:    "Time from the ACD's offer decision until the offer frame was written to the agent's desk socket.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms … 4 s
	})
	m.transcriptSpilled = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hotline_transcript_spilled_total", Help: "Chat transcript messages that waited in the spill file because the store was behind (stored later, in order).",
	})
	m.transcriptLost = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hotline_transcript_lost_total", Help: "Chat transcript messages not stored: the buffer and the spill were full past desk.transcript_max_wait, or they came after shutdown.",
	})
	reg.MustRegister(m.requests, m.dropped, m.eventsLogged, m.eventsLost, m.eventLogRetries, m.eventLogWrite, m.offerDelivery,
		m.transcriptSpilled, m.transcriptLost)
	return m
}

func (m *serverMetrics) eventsDropped(subscriber string) { m.dropped.WithLabelValues(subscriber).Inc() }

func (m *serverMetrics) instrument(next http.Handler) http.Handler {
	return promhttp.InstrumentHandlerCounter(m.requests, next)
}
