package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/auth"
)

// offerTimeout is the server's (serve sets it): the offer's expiry minus
// it is when the ACD made the offer.
const offerTimeout = 60 * time.Second

type report struct {
	cfg              config
	setup            time.Duration
	readying         time.Duration // every agent going ready, before the traffic
	idleHeapPerConn  float64
	idleStackPerConn float64
	idleRSSPerConn   float64
	goroutines       int
	latencies        []time.Duration // offer decided → the frame returned to the client's reader
	// kernelLatencies: offer decided → the kernel's receive stamp of the
	// frame (stampConn), free of the client's own wait for a CPU.
	kernelLatencies []time.Duration
	chats           int64
	messages        int64
	traffic         time.Duration
	errors          int64
	errorsBy        map[string]int64 // chat errors by the step that failed
	desksLost       int64            // agents whose desk failed during the traffic
	connectErrors   int
	refused         int64            // chat starts the node refused with 429 (paced, retried)
	refusedBy       map[string]int64 // the same by the limit the node named
	// serverOffers, serverP50, serverP99: the node's own offer delivery
	// (hotline_desk_offer_delivery_seconds) over the traffic, with -url.
	serverOffers         float64
	serverP50, serverP99 float64
	// node: the Go runtime's figures over the traffic, with -url.
	node nodeFigures
	// serverWork: the node's CPU seconds, bytes allocated and collections
	// over the traffic, with -url (zero: not measured).
	serverWork memory
	// clientWaits, clientSched: this tool's own scheduler latency over the
	// traffic (waits; p50, p99, p99.9 bucket bounds, -1: past the last).
	clientWaits uint64
	clientSched []time.Duration
}

func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "agents %d, customers %d, messages per chat %d each way, traffic %v (setup %v, then every agent ready in %v)\n",
		r.cfg.agents, r.cfg.customers, r.cfg.messages, r.traffic.Round(time.Millisecond), r.setup.Round(time.Millisecond), r.readying.Round(time.Millisecond))
	if r.cfg.think > 0 || r.cfg.agentThink > 0 {
		fmt.Fprintf(w, "think time: customer %v, agent %v (mean pause before each message)\n", r.cfg.think, r.cfg.agentThink)
	} else {
		fmt.Fprintln(w, "think time: none (churn: every customer chats back to back, messages without pause)")
	}
	fmt.Fprintf(w, "idle memory per desk connection: %.1f KB (Go heap+stacks, of which stacks %.1f KB), %.1f KB (RSS); server goroutines %d\n",
		r.idleHeapPerConn/1024, r.idleStackPerConn/1024, r.idleRSSPerConn/1024, r.goroutines)
	fmt.Fprintf(w, "desks connected %d of %d (failed %d)\n", r.cfg.agents-r.connectErrors, r.cfg.agents, r.connectErrors)
	if len(r.latencies) > 0 {
		fmt.Fprintf(w, "offer-to-desktop latency over %d offers, as the client's reader got the frame: %s\n", len(r.latencies), percentiles(r.latencies))
	}
	if len(r.kernelLatencies) > 0 {
		fmt.Fprintf(w, "offer-to-desktop latency over %d offers, by the kernel's receive stamp (SO_TIMESTAMPNS; without the client's wait for a CPU): %s\n",
			len(r.kernelLatencies), percentiles(r.kernelLatencies))
	}
	if r.serverOffers > 0 {
		fmt.Fprintf(w, "server-side offer delivery (ACD decision to socket write) over %.0f offers: p50 <= %v, p99 <= %v (histogram bucket bounds)\n",
			r.serverOffers, time.Duration(r.serverP50*float64(time.Second)), time.Duration(r.serverP99*float64(time.Second)))
	}
	if n := r.node; n.schedCount > 0 {
		fmt.Fprintf(w, "node scheduler latency (runnable to running, every goroutine; runtime/metrics buckets) over %.0f waits: p50 <= %v, p99 <= %v, p99.9 <= %v\n",
			n.schedCount, seconds(n.schedP50), seconds(n.schedP99), seconds(n.schedP999))
		fmt.Fprintf(w, "node GC over the traffic: %.0f stop-the-world pauses (max <= %v), GC CPU %.2f s of %.2f s (assists %.2f s)\n",
			n.pauses, seconds(n.pauseMax), n.gcCPU, n.cpu, n.assistCPU)
	}
	if sw := r.serverWork; sw.CPU > 0 && r.chats > 0 {
		n := float64(r.chats)
		fmt.Fprintf(w, "server work over the traffic: %.2f s CPU (%.1f ms per chat), %.0f MB allocated (%.0f KB per chat), %.0f collections\n",
			sw.CPU, 1000*sw.CPU/n, sw.Allocated/1e6, sw.Allocated/1024/n, sw.GCs)
		if g := r.node.goroutines; g > 0 {
			fmt.Fprintf(w, "server goroutines started over the traffic: %.0f (%.0f per chat)\n", g, g/n)
		}
	}
	if r.traffic > 0 && r.traffic < r.cfg.duration-time.Second {
		fmt.Fprintf(w, "WARNING: the traffic ran %v of %v: the run's time bound cut it short\n", r.traffic.Round(time.Second), r.cfg.duration)
	}
	if r.traffic > 0 {
		perSec := float64(r.chats) / r.traffic.Seconds()
		fmt.Fprintf(w, "chats completed %d (%.1f/s, %.0f an hour, %.2f an hour per agent); chat messages relayed %d (%.0f/s); errors %d\n",
			r.chats, perSec, 3600*perSec, 3600*perSec/float64(r.cfg.agents-r.connectErrors), r.messages, float64(r.messages)/r.traffic.Seconds(), r.errors)
		if len(r.errorsBy) > 0 {
			steps := slices.Sorted(maps.Keys(r.errorsBy))
			parts := make([]string, len(steps))
			for i, k := range steps {
				parts[i] = fmt.Sprintf("%s %d", k, r.errorsBy[k])
			}
			fmt.Fprintf(w, "chat errors by step: %s\n", strings.Join(parts, ", "))
		}
		fmt.Fprintf(w, "chat starts refused by the node's rate limit (429, retried after Retry-After) %d%s\n", r.refused, byLimit(r.refusedBy))
		fmt.Fprintf(w, "desks failed during the traffic %d\n", r.desksLost)
	}
	if len(r.clientSched) == 3 {
		b := func(d time.Duration) string {
			if d < 0 {
				return "+Inf"
			}
			return d.Round(time.Microsecond).String()
		}
		fmt.Fprintf(w, "the load tool's own scheduler latency (its goroutines' wait for a CPU) over %d waits: p50 <= %s, p99 <= %s, p99.9 <= %s\n",
			r.clientWaits, b(r.clientSched[0]), b(r.clientSched[1]), b(r.clientSched[2]))
	}
}

// nodeFigures are the node's own figures between two scrapes.
type nodeFigures struct {
	offers, offerP50, offerP99    float64
	schedCount                    float64
	schedP50, schedP99, schedP999 float64
	pauses, pauseMax              float64
	gcCPU, assistCPU, cpu         float64
	goroutines                    float64 // started (0: the node does not say)
}

func nodeFiguresOf(before, after scrape) nodeFigures {
	var n nodeFigures
	if q := quantilesOf(after.hist[metricDelivery], before.hist[metricDelivery], &n.offers, .50, .99); q != nil {
		n.offerP50, n.offerP99 = q[0], q[1]
	}
	if q := quantilesOf(after.hist[metricSched], before.hist[metricSched], &n.schedCount, .50, .99, .999); q != nil {
		n.schedP50, n.schedP99, n.schedP999 = q[0], q[1], q[2]
	}
	if q := quantilesOf(after.hist[metricGCPauses], before.hist[metricGCPauses], &n.pauses, 1); q != nil {
		n.pauseMax = q[0]
	}
	d := func(name string) float64 { return after.values[name] - before.values[name] }
	n.gcCPU, n.assistCPU, n.cpu = d(metricGCCPU), d(metricAssistCPU), d(metricProcessCPU)
	n.goroutines = d(metricGoroutines)
	return n
}

// quantilesOf is after.quantiles(before, qs...) with the count put in
// *count; nil when the node has no such histogram.
func quantilesOf(after, before buckets, count *float64, qs ...float64) []float64 {
	if len(after) == 0 {
		return nil
	}
	var q []float64
	if *count, q = after.quantiles(before, qs...); len(q) != len(qs) {
		return nil
	}
	return q
}

// seconds spells a histogram bound given in seconds.
func seconds(s float64) string {
	if math.IsInf(s, 1) {
		return "+Inf"
	}
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

// percentiles sorts d and spells its p50, p99 and max.
func percentiles(d []time.Duration) string {
	slices.Sort(d)
	p := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return fmt.Sprintf("p50 %v, p99 %v, max %v", p(.50).Round(10*time.Microsecond), p(.99).Round(10*time.Microsecond),
		d[len(d)-1].Round(10*time.Microsecond))
}

// byLimit spells the refusals by limit: " (desk.chat_starts_per_second 12)".
func byLimit(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// target is a running server to load: its URL and its memory gauge.
type target struct {
	base     string
	login    func(i int) string // the i-th agent's login; default agent0001…
	password string             // default deskttest.Password
	// offer is the server's offer timeout (acd.offer_timeout); default
	// offerTimeout.
	offer time.Duration
	mem   func() (memory, error)
	// work reads the node's CPU time, allocations and collections so far
	// (no forced collection); nil: not measured.
	work func() (memory, error)
	// scrape reads the node's /metrics (the offer delivery histogram, the
	// Go runtime's scheduler and GC figures); nil: none.
	scrape func() (scrape, error)
	stop   func()
}

// spawn starts the server as a child process (this binary, "serve").
func spawn(ctx context.Context, agents int) (*target, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "serve", "-agents", strconv.Itoa(agents))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() { stdin.Close(); _ = cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	parts := strings.Fields(line)
	if err != nil || len(parts) != 2 {
		stop()
		return nil, fmt.Errorf("server did not start: %q %v", line, err)
	}
	probe := parts[1]
	return &target{base: parts[0], mem: func() (memory, error) { return mem(probe) }, stop: stop}, nil
}

func run(ctx context.Context, cfg config, start func(context.Context, int) (*target, error)) (report, error) {
	rep := report{cfg: cfg}
	t0 := time.Now()
	tg, err := start(ctx, cfg.agents)
	if err != nil {
		return rep, err
	}
	defer tg.stop()
	base := tg.base
	before, err := tg.mem()
	if err != nil {
		return rep, err
	}

	agents := make([]*agent, cfg.agents)
	var wg sync.WaitGroup
	errs := make(chan error, cfg.agents)
	sem := make(chan struct{}, 16)
	for i := range agents {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			a, err := connectAgent(ctx, base, tg.loginOf(i), tg.passwordOr())
			if err != nil {
				errs <- err
				return
			}
			agents[i] = a
		}()
	}
	wg.Wait()
	close(errs)
	// A desk that failed to connect (a handshake timeout, say) is counted
	// and left out; a run with none connected fails.
	for err := range errs {
		if rep.connectErrors++; rep.connectErrors <= 3 {
			fmt.Fprintln(os.Stderr, "connect:", err)
		}
	}
	agents = slices.DeleteFunc(agents, func(a *agent) bool { return a == nil })
	if len(agents) == 0 {
		return rep, errors.New("no desk connected")
	}
	defer func() {
		for _, a := range agents {
			a.ws.Close()
		}
	}()
	time.Sleep(2 * time.Second)
	idle, err := tg.mem()
	if err != nil {
		return rep, err
	}
	rep.setup = time.Since(t0)
	n := float64(len(agents))
	rep.idleHeapPerConn = (float64(idle.Heap+idle.Stack) - float64(before.Heap+before.Stack)) / n
	rep.idleStackPerConn = (float64(idle.Stack) - float64(before.Stack)) / n
	rep.idleRSSPerConn = (float64(idle.RSS) - float64(before.RSS)) / n
	rep.goroutines = idle.Goroutines
	if cfg.customers == 0 {
		return rep, nil
	}

	// Traffic: every agent works its desk; customers chat until the end.
	var (
		lat   offerLatencies
		stats counters
	)
	// Every agent goes ready before the traffic is timed and measured:
	// 10 000 desks going ready in the same second, which no center sees,
	// weighed on the first offers and on the node's figures per chat.
	actx, stopAgents := context.WithCancel(ctx)
	defer stopAgents()
	agentThink := cfg.agentThinkTime()
	var awg, ready sync.WaitGroup
	ready.Add(len(agents))
	tr := time.Now()
	for _, a := range agents {
		awg.Add(1)
		go func() { defer awg.Done(); a.work(actx, tg.offerTimeoutOr(), &lat, &stats, agentThink, ready.Done) }()
	}
	allReady := make(chan struct{})
	go func() { ready.Wait(); close(allReady) }()
	select {
	case <-allReady:
	case <-ctx.Done():
		return rep, fmt.Errorf("agents going ready: %w", ctx.Err())
	}
	rep.readying = time.Since(tr)
	var scrapeBefore scrape
	if tg.scrape != nil {
		scrapeBefore, _ = tg.scrape()
	}
	var workBefore memory
	if tg.work != nil {
		workBefore, _ = tg.work()
	}
	tctx, stopTraffic := context.WithTimeout(ctx, cfg.duration)
	defer stopTraffic()
	t1 := time.Now()
	schedBefore := clientSched()
	var cwg sync.WaitGroup
	for i := range cfg.customers {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			th := cfg.customerThink(i)
			th.sleep(tctx, th.first())
			for tctx.Err() == nil {
				err := chatOnce(tctx, base, cfg.messages, i, &stats, th)
				if re := (*refusedError)(nil); errors.As(err, &re) {
					stats.refusedBy(re.limit)
					pause(tctx, re.wait)
					continue
				}
				if err != nil && tctx.Err() == nil {
					stats.failed(err)
					if stats.errors.Add(1) <= 3 {
						fmt.Fprintln(os.Stderr, "chat:", err)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	cwg.Wait()
	rep.traffic = time.Since(t1)
	rep.clientWaits, rep.clientSched = schedQuantiles(schedBefore, clientSched(), .50, .99, .999)
	stopAgents()
	for _, a := range agents {
		a.ws.Close()
	}
	awg.Wait()
	if tg.work != nil {
		if after, err := tg.work(); err == nil && workBefore.CPU > 0 {
			rep.serverWork = memory{CPU: after.CPU - workBefore.CPU, Allocated: after.Allocated - workBefore.Allocated, GCs: after.GCs - workBefore.GCs}
		}
	}
	if tg.scrape != nil && scrapeBefore.hist != nil {
		if after, err := tg.scrape(); err == nil {
			rep.node = nodeFiguresOf(scrapeBefore, after)
			rep.serverOffers, rep.serverP50, rep.serverP99 = rep.node.offers, rep.node.offerP50, rep.node.offerP99
		}
	}
	rep.latencies, rep.kernelLatencies = lat.user.all(), lat.kernel.all()
	rep.chats, rep.messages, rep.errors = stats.chats.Load(), stats.messages.Load(), stats.errors.Load()
	rep.errorsBy, rep.desksLost = stats.byStep(), stats.desksLost.Load()
	rep.refused, rep.refusedBy = stats.refused.Load(), stats.refusedByLimit()
	return rep, nil
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// refusedError is a chat start the node refused with 429 (its chat-start
// limits, agentdesk.Options.ChatStarts and desk.chat_starts_per_address):
// the customer waits as told (Retry-After) and tries again. It is counted
// apart from the errors: the node pacing new chats is not a failure.
type refusedError struct {
	wait  time.Duration
	limit string // the setting that refused it (the 429 body's "limit"); empty from older nodes
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("start refused (429), retry after %v", e.wait)
}

// retryAfter reads a Retry-After in seconds; one second when absent or
// unreadable (the node sends whole seconds).
func retryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
		return time.Duration(min(n, 60)) * time.Second
	}
	return time.Second
}

type counters struct {
	chats, messages, errors, desksLost, refused atomic.Int64

	mu      sync.Mutex
	steps   map[string]int64
	limited map[string]int64 // refused starts by the limit the node named
}

// refusedBy counts a refused start under the limit that refused it.
func (c *counters) refusedBy(limit string) {
	c.refused.Add(1)
	if limit == "" {
		limit = "unnamed"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limited == nil {
		c.limited = map[string]int64{}
	}
	c.limited[limit]++
}

func (c *counters) refusedByLimit() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.limited)
}

// stepError names the step of a chat that failed, so the report can say
// where the errors come from (a timed-out dial is the node's, a failed
// write after a missed pong deadline the client's).
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

func step(name string, err error) error {
	if err == nil {
		return nil
	}
	return &stepError{step: name, err: err}
}

func (c *counters) failed(err error) {
	name := "other"
	if se := (*stepError)(nil); errors.As(err, &se) {
		name = se.step
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		name += " (timeout)"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.steps == nil {
		c.steps = map[string]int64{}
	}
	c.steps[name]++
}

func (c *counters) byStep() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.steps)
}

// offerLatencies are the offers' latencies seen two ways.
type offerLatencies struct{ user, kernel latencies }

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }
func (l *latencies) all() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.d)
}

func mem(probe string) (memory, error) {
	resp, err := http.Get(probe + "/mem")
	if err != nil {
		return memory{}, err
	}
	defer resp.Body.Close()
	var m memory
	return m, json.NewDecoder(resp.Body).Decode(&m)
}

var dialer = websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024,
	NetDialContext: dialStamped}

// pongWait bounds the client's answer to the node's ping. gorilla's
// default ping handler gives the pong one second: a load client starved of
// CPU (nice 10, thousands of goroutines on two busy cores) can be put off
// the CPU between setting that deadline and writing, the write then fails
// with a timeout, and gorilla keeps that write error for the socket: the
// read that handled the ping or the chat's next message failed with "i/o
// timeout", an error of the client, not of the node (the 2, 0 and 26 chat
// errors of the runs of 2026-11-29 05:11; TestPongSurvivesAStall). The
// node closes a socket that stays silent for its lease, so a long deadline
// hides nothing.
const pongWait = 30 * time.Second

// answerPings replaces gorilla's default ping handler with one that waits
// pongWait for the write.
func answerPings(ws *websocket.Conn) {
	ws.SetPingHandler(func(data string) error {
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(pongWait))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
}

type agent struct {
	ws     *websocket.Conn
	mu     sync.Mutex // one writer at a time: replies may go out after a think time
	n      int
	frames chan received // from listen, once the desk is up; closed when the socket is
	quit   chan struct{} // closed: listen stops (nil: it runs until the socket closes)
	err    error         // why listen stopped, set before frames is closed
}

// received is a frame and when it came off the socket: at is when the
// reader had it, kernel the kernel's receive stamp (zero: none).
type received struct {
	b      []byte
	at     time.Time
	kernel time.Time
}

// listen reads the socket from the moment the desk is up, so the client
// answers the server's pings while it waits for the others to connect (a
// desk that does not is closed when its lease runs out). It stamps each
// frame as it is read: offer-to-desktop ends when the offer reaches the
// desk, not when the agent's worker (another goroutine of this starved
// client) gets to it.
func (a *agent) listen() {
	defer close(a.frames)
	for {
		_, b, err := a.ws.ReadMessage()
		if err != nil {
			a.err = err
			return
		}
		select {
		case a.frames <- received{b: b, at: time.Now(), kernel: kernelStamp(a.ws.UnderlyingConn())}:
		case <-a.quit:
			return
		}
	}
}

func (t *target) loginOf(i int) string {
	if t.login != nil {
		return t.login(i)
	}
	return fmt.Sprintf("agent%04d", i+1)
}

func (t *target) offerTimeoutOr() time.Duration {
	if t.offer > 0 {
		return t.offer
	}
	return offerTimeout
}

func (t *target) passwordOr() string {
	if t.password != "" {
		return t.password
	}
	return deskttest.Password
}

func connectAgent(ctx context.Context, base, login, password string) (*agent, error) {
	body, _ := json.Marshal(map[string]string{"login": login, "password": password})
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	var out struct {
		Token string `json:"token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if err != nil || out.Token == "" {
		return nil, fmt.Errorf("login %s: status %d %v", login, resp.StatusCode, err)
	}
	d := dialer
	d.Subprotocols = []string{agentdesk.DeskProtocol}
	h := http.Header{"Cookie": {auth.CookieName + "=" + out.Token}, "Origin": {base}}
	ws, _, err := d.DialContext(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws/desk", h)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", login, err)
	}
	answerPings(ws)
	a := &agent{ws: ws}
	if err := a.send("hello", nil); err != nil {
		return nil, err
	}
	for {
		f, err := a.read()
		if err != nil {
			return nil, fmt.Errorf("hello %s: %w", login, err)
		}
		if f.Type == "snapshot" {
			a.frames = make(chan received, 256)
			go a.listen()
			return a, nil
		}
	}
}

func (a *agent) send(typ string, data any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n++
	return a.ws.WriteJSON(map[string]any{"type": typ, "id": "l" + strconv.Itoa(a.n), "data": data})
}

func (a *agent) read() (agentdesk.Frame, error) {
	f, _, err := a.readAt()
	return f, err
}

// readAt is read, with when the frame came off the socket.
func (a *agent) readAt() (agentdesk.Frame, received, error) {
	var f agentdesk.Frame
	var r received
	var err error
	if a.frames != nil {
		var ok bool
		if r, ok = <-a.frames; !ok {
			err = cmp.Or(a.err, io.ErrUnexpectedEOF)
		}
	} else {
		_, r.b, err = a.ws.ReadMessage()
		r.at, r.kernel = time.Now(), kernelStamp(a.ws.UnderlyingConn())
	}
	if err != nil {
		return f, r, err
	}
	return f, r, json.Unmarshal(r.b, &f)
}

// work answers the desk like a quick agent: go ready (readied is called
// once the node acknowledged it, or the desk failed), accept every offer,
// answer every customer message (after a think time, if th has one), end
// the chat when the customer leaves, finish wrap-up at once.
func (a *agent) work(ctx context.Context, offerTimeout time.Duration, lat *offerLatencies, stats *counters, th *think, readied func()) {
	var readyOnce sync.Once
	isReady := func() { readyOnce.Do(readied) }
	defer isReady()
	var lostOnce sync.Once
	lost := func() {
		if ctx.Err() == nil {
			lostOnce.Do(func() { stats.desksLost.Add(1) })
		}
	}
	// Replies after a think time go from goroutines of their own, so that
	// the desk reads its other frames (offers) meanwhile; they end with ctx.
	var replies sync.WaitGroup
	defer replies.Wait()
	if a.send("state.ready", nil) != nil {
		lost()
		return
	}
	readyID := "l" + strconv.Itoa(a.n) // no other sender yet
	for ctx.Err() == nil {
		f, got, err := a.readAt()
		if err != nil {
			lost()
			return
		}
		if f.Re == readyID {
			isReady()
		}
		var d struct {
			Contact   string    `json:"contact_id"`
			ExpiresAt time.Time `json:"expires_at"`
			From      string    `json:"from"`
			Text      string    `json:"text"`
			MsgID     string    `json:"msg_id"`
		}
		_ = json.Unmarshal(f.Data, &d)
		switch f.Type {
		case "offer":
			decided := d.ExpiresAt.Add(-offerTimeout)
			lat.user.add(got.at.Sub(decided))
			if !got.kernel.IsZero() {
				lat.kernel.add(got.kernel.Sub(decided))
			}
			err = a.send("offer.accept", map[string]string{"contact_id": d.Contact})
		case "chat.message":
			if d.From == "customer" {
				stats.messages.Add(1)
				reply := map[string]string{"contact_id": d.Contact, "msg_id": "r" + d.MsgID, "text": "re: " + d.Text}
				if pause := th.next(); pause > 0 {
					replies.Go(func() {
						if th.sleep(ctx, pause); ctx.Err() == nil && a.send("chat.send", reply) != nil {
							lost()
						}
					})
					break
				}
				err = a.send("chat.send", reply)
			}
		case "wrapup.started":
			err = a.send("wrapup.done", map[string]string{"contact_id": d.Contact, "code": "resolved"})
		}
		if err != nil {
			lost()
			return
		}
	}
}

// chatOnce is one customer's chat: start, ask for an agent, exchange
// messages (each after a think time, if th has one), leave.
func chatOnce(ctx context.Context, base string, messages, who int, stats *counters, th *think) error {
	body, _ := json.Marshal(map[string]string{"name": "load " + strconv.Itoa(who)})
	resp, err := http.Post(base+"/chat/api/start", "application/json", bytes.NewReader(body))
	if err != nil {
		return step("start", err)
	}
	if resp.StatusCode != http.StatusOK {
		// A refused start has no token: dialing with none would fail as
		// "bad handshake" (401), which is how the node's chat-start limit
		// (429) showed in the runs before this check.
		var refusal struct {
			Limit string `json:"limit"`
		}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&refusal)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			return &refusedError{wait: retryAfter(resp.Header.Get("Retry-After")), limit: refusal.Limit}
		}
		return step("start", fmt.Errorf("status %d", resp.StatusCode))
	}
	var st struct {
		Token string `json:"token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		return step("start", fmt.Errorf("status %d: %w", resp.StatusCode, err))
	}
	d := dialer
	d.Subprotocols = []string{agentdesk.ChatProtocol}
	ws, _, err := d.DialContext(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws/chat?token="+st.Token, http.Header{"Origin": {base}})
	if err != nil {
		return step("dial", err)
	}
	defer ws.Close()
	answerPings(ws)
	stop := context.AfterFunc(ctx, func() { ws.Close() })
	defer stop()
	c := &agent{ws: ws, frames: make(chan received, 64), quit: make(chan struct{})}
	defer close(c.quit)
	go c.listen()
	if err := c.send("hello", nil); err != nil {
		return step("write", err)
	}
	// 人工 ("a person") reaches an agent in the test center's flow and in
	// the shipped 10000 flows alike.
	if err := c.send("chat.send", map[string]string{"msg_id": "0", "text": "人工"}); err != nil {
		return step("write", err)
	}
	sent, got := 0, 0
	var due <-chan time.Time // the next message goes when the customer has thought
	for {
		var f agentdesk.Frame
		select {
		case <-due:
			due = nil
			sent++
			if err := c.send("chat.send", map[string]string{"msg_id": "m" + strconv.Itoa(sent), "text": "你好 " + strconv.Itoa(sent)}); err != nil {
				return step("write", err)
			}
			continue
		case r, ok := <-c.frames:
			if !ok {
				return step("read", cmp.Or(c.err, io.ErrUnexpectedEOF))
			}
			if err := json.Unmarshal(r.b, &f); err != nil {
				return step("read", err)
			}
		}
		var m struct {
			From string `json:"from"`
		}
		_ = json.Unmarshal(f.Data, &m)
		switch {
		case f.Type == "chat.agent_joined" || (f.Type == "chat.message" && m.From == "agent"):
			if f.Type == "chat.message" {
				got++
				stats.messages.Add(1)
			}
			if sent == messages && got == messages {
				if err := c.send("chat.leave", nil); err != nil {
					return step("write", err)
				}
				continue
			}
			if sent < messages && sent == got && due == nil {
				due = th.wait(th.next())
			}
		case f.Type == "chat.ended":
			stats.chats.Add(1)
			return nil
		}
	}
}
