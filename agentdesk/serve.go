package agentdesk

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// client is what differs between a desk and a chat socket.
type client interface {
	// hello attaches the socket to its session (resumed or new) and queues
	// the welcome and the replay or snapshot.
	hello(c *conn, f Frame) (*session, *Error)
	// handle runs one command and returns the ack's data.
	handle(s *session, c *conn, f Frame) (any, *Error)
}

const (
	helloWait  = 10 * time.Second
	floodLimit = 50 // refused frames in a row before the socket is closed
)

// serveConn hands an upgraded socket to a reader goroutine the gateway owns
// (writers start only while there is something to send), and returns: the HTTP server's per-request state
// (buffers, the request) is released, which keeps an idle socket small.
func (g *Gateway) serveConn(ws *websocket.Conn, cl client) {
	c := newConn(ws, &g.wg, g.o.SendQueue, g.o.RatePerSec, g.o.RateBurst, g.o.Clock.Now())
	c.offered = g.offered
	ws.SetReadLimit(MaxFrame)
	ws.SetPongHandler(func(string) error { c.seen.Store(g.o.Clock.Now().UnixNano()); return nil })
	err := g.do(func(h *hub) {
		h.conns[c] = true
		h.pings.add(c, g.o.Clock.Now())
		g.goTask(func() {
			g.read(c, cl)
			_ = g.do(func(h *hub) { delete(h.conns, c) })
		})
	})
	if err != nil {
		msg := websocket.FormatCloseMessage(CloseShutdown, "server shutting down")
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		ws.Close()
	}
}

// read runs one socket's commands until it closes.
func (g *Gateway) read(c *conn, cl client) {
	ws := c.ws
	defer close(c.readDone)
	defer c.close(websocket.CloseNormalClosure, "")
	// drain reads (and drops) frames after the server decided to close,
	// until the client answers the close or the writer gives up.
	drain := func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}

	_ = ws.SetReadDeadline(time.Now().Add(helloWait))
	_, b, err := ws.ReadMessage()
	if err != nil {
		return
	}
	var s *session
	g.frames.deep(func() { s = g.sayHello(c, cl, b) })
	if s == nil {
		drain()
		return
	}
	defer func() { _ = g.do(func(h *hub) { h.detach(s, c) }) }()
	_ = ws.SetReadDeadline(time.Time{})

	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if c.closed() {
			continue // closing: wait for the client's answer
		}
		g.frames.deep(func() { g.command(c, cl, s, b) })
	}
}

// framePool runs the readers' frames (deep) on a few long-lived goroutines.
// What a frame takes (JSON, the hub, the store) grows the stack of the
// goroutine that runs it and not the reader's, which stays at its first
// size while it waits for the next frame (10 000 idle readers at 2 KB
// instead of 8 KB). A goroutine started per frame did that too, but cost a
// start and the growth of a fresh stack for every frame; the workers' stacks
// have grown once. With every worker busy a frame gets a goroutine of its
// own as before, so a frame never waits for another.
type framePool struct {
	mu   sync.Mutex
	idle []chan frameJob // the idle workers' inboxes (capacity 1), last idle last
}

type frameJob struct {
	fn   func()
	done chan struct{}
}

// frameWorkers is how many workers the gateway keeps: a frame's work is
// mostly CPU, so a few per core are enough.
func frameWorkers() int { return 8 * runtime.GOMAXPROCS(0) }

// work is one worker: it runs frames until ctx ends.
func (p *framePool) work(ctx context.Context) {
	in := make(chan frameJob, 1)
	p.put(in)
	for {
		select {
		case j := <-in:
			j.fn()
			p.put(in) // idle again before the reader goes on to its next frame
			close(j.done)
		case <-ctx.Done():
			if !p.remove(in) {
				// A reader took this worker: its frame is on the way.
				j := <-in
				j.fn()
				close(j.done)
			}
			return
		}
	}
}

func (p *framePool) put(in chan frameJob) {
	p.mu.Lock()
	p.idle = append(p.idle, in)
	p.mu.Unlock()
}

// take returns an idle worker's inbox, or nil.
func (p *framePool) take() chan frameJob {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	in := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	return in
}

// remove takes in off the idle list; false: a reader took it.
func (p *framePool) remove(in chan frameJob) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.Index(p.idle, in)
	if i < 0 {
		return false
	}
	p.idle = slices.Delete(p.idle, i, i+1)
	return true
}

// deep runs fn on an idle worker, or on a goroutine of its own when none is
// idle, and waits for it.
func (p *framePool) deep(fn func()) {
	j := frameJob{fn: fn, done: make(chan struct{})}
	if in := p.take(); in != nil {
		in <- j // never blocks: an idle worker's inbox is empty
	} else {
		go func() {
			defer close(j.done)
			fn()
		}()
	}
	<-j.done
}

// sayHello answers a socket's first frame, which must be hello: it returns
// the session the socket is attached to, or nil after queueing the error
// and closing.
func (g *Gateway) sayHello(c *conn, cl client, b []byte) *session {
	f, err := DecodeFrame(b)
	if err != nil {
		c.enqueue(errorFrame("", failf(CodeBadFrame, err.Error())))
		c.close(websocket.ClosePolicyViolation, "bad hello")
		return nil
	}
	if f.Type != "hello" {
		c.enqueue(errorFrame(f.ID, failf(CodeHelloFirst, "the first frame must be hello")))
		c.close(websocket.ClosePolicyViolation, "hello first")
		return nil
	}
	s, e := cl.hello(c, f)
	if e != nil {
		c.enqueue(errorFrame(f.ID, e))
		c.close(websocket.ClosePolicyViolation, e.Code)
		return nil
	}
	return s
}

// command runs one frame after hello and queues its reply.
func (g *Gateway) command(c *conn, cl client, s *session, b []byte) {
	now := g.o.Clock.Now()
	c.seen.Store(now.UnixNano())
	if !c.rate.AllowN(now, 1) {
		c.strikes++
		if c.strikes >= floodLimit {
			c.close(CloseFlood, "flood: rate limit exceeded")
			return
		}
		c.enqueue(errorFrame("", failf(CodeRateLimited, "too many frames; slow down")))
		return
	}
	c.strikes = 0
	f, err := DecodeFrame(b)
	if err != nil {
		c.enqueue(errorFrame("", failf(CodeBadFrame, err.Error())))
		return
	}
	if v, ok := cl.(interface{ valid(time.Time) bool }); ok && !v.valid(now) {
		c.enqueue(errorFrame(f.ID, failf(CodeExpired, "your sign-in session has ended")))
		c.close(CloseLoggedOut, "session expired")
		return
	}
	if f.ID != "" {
		if prev, ok := s.replies.get(f.ID); ok {
			c.enqueue(prev)
			return
		}
	}
	var out []byte
	if f.Type == "hello" {
		out = errorFrame(f.ID, failf(CodeConflict, "hello was already said on this socket"))
	} else if data, e := cl.handle(s, c, f); e != nil {
		out = errorFrame(f.ID, e)
	} else {
		out = encode(Frame{Type: "ack", Re: f.ID, Data: raw(data)})
	}
	s.replies.put(f.ID, out)
	c.enqueue(out)
}

func errorFrame(re string, e *Error) []byte {
	return encode(Frame{Type: "error", Re: re, Data: raw(e)})
}

// welcome is the answer to hello.
type welcome struct {
	Session   string `json:"session"`
	Resumed   bool   `json:"resumed"`
	Seq       uint64 `json:"seq"` // the session's last durable sequence number
	Heartbeat int64  `json:"heartbeat_ms"`
	Lease     int64  `json:"lease_ms"`
}

// helloData is what a client says first.
type helloData struct {
	View    string `json:"view"` // desk (default) or board
	Resume  string `json:"resume"`
	LastSeq uint64 `json:"last_seq"`
}

// attach puts socket c on session s and queues what the client needs to
// be current: the frames it missed, or a snapshot when they are gone.
func (h *hub) attach(s *session, c *conn, re string, hd helloData, snapshot func() any) {
	if s.conn != nil && s.conn != c {
		s.conn.close(CloseReplaced, "session opened on another socket")
	}
	s.conn, s.expired, s.rescued = c, false, false
	missed, ok := [][]byte(nil), false
	if hd.Resume != "" && hd.Resume == s.id {
		missed, ok = s.since(hd.LastSeq)
	}
	w := welcome{Session: s.id, Resumed: ok, Seq: s.seq, Heartbeat: h.g.o.Heartbeat.Milliseconds(), Lease: h.g.o.Lease.Milliseconds()}
	if s.kind == kindCustomer {
		w.Lease = h.g.o.ChatLease.Milliseconds()
	}
	c.put(encode(Frame{Type: "welcome", Re: re, At: h.g.o.Clock.Now().UTC(), Data: raw(w)}), true)
	if ok {
		for _, b := range missed {
			c.put(b, true)
		}
		return
	}
	if hd.Resume != "" {
		c.put(errorFrame(re, failf(CodeResumeFailed, "missed frames are gone; a snapshot follows")), true)
	}
	c.put(encode(Frame{Type: "snapshot", Seq: 0, At: h.g.o.Clock.Now().UTC(), Data: raw(snapshot())}), true)
}

// pingWheel spreads the sockets' heartbeat pings over the heartbeat
// interval: each socket is pinged every Heartbeat at a phase of its own (its
// connection time), in slots of pingSlot. A ping starts the socket's writer
// goroutine; the sweep used to ping, once a second, every socket due, so at
// 10 000 desks about a thousand writers started at once each second and an
// offer decided then waited behind them for a CPU (docs/desk-protocol.md,
// "Measured"). Only the hub touches it.
type pingWheel struct {
	slot  time.Duration
	every int64             // slots in a heartbeat
	due   map[int64][]*conn // slot number → sockets to ping then
	done  int64             // the last slot pinged
}

// maxPingSlots bounds the slots per heartbeat (the hub wakes once per slot).
const maxPingSlots = 500

func newPingWheel(heartbeat time.Duration, now time.Time) pingWheel {
	slot := max(heartbeat/maxPingSlots, 10*time.Millisecond)
	w := pingWheel{slot: slot, every: max(int64(heartbeat/slot), 1), due: map[int64][]*conn{}}
	w.done = w.slotOf(now)
	return w
}

func (w *pingWheel) slotOf(t time.Time) int64 { return t.UnixNano() / int64(w.slot) }

// add schedules c's first ping a heartbeat from now.
func (w *pingWheel) add(c *conn, now time.Time) {
	n := w.slotOf(now) + w.every
	w.due[n] = append(w.due[n], c)
}

// pingIfDue pings the sockets whose turn came by now.
func (h *hub) pingIfDue(now time.Time) {
	h.pingDue = h.pings.take(now, h.conns, h.pingDue[:0])
	for _, c := range h.pingDue {
		c.ping()
	}
	clear(h.pingDue)
}

// take appends to out the open sockets (in open) of every slot up to now,
// and schedules their next ping a heartbeat after their slot, which keeps
// each socket's phase; closed sockets are dropped.
func (w *pingWheel) take(now time.Time, open map[*conn]bool, out []*conn) []*conn {
	last := w.slotOf(now)
	if last <= w.done {
		return out
	}
	visit := func(n int64) {
		for _, c := range w.due[n] {
			if !open[c] {
				continue
			}
			out = append(out, c)
			// The next heartbeat at the same phase after now: a hub held
			// up longer than a heartbeat must not leave every socket it
			// caught up with in one slot for good.
			next := n + w.every
			if next <= last {
				next += ((last-next)/w.every + 1) * w.every
			}
			w.due[next] = append(w.due[next], c)
		}
		delete(w.due, n)
	}
	if last-w.done <= int64(len(w.due))+w.every {
		for n := w.done + 1; n <= last; n++ {
			if _, ok := w.due[n]; ok {
				visit(n)
			}
		}
	} else {
		// A long jump of the clock (a test's virtual clock): visit the
		// slots that exist rather than every slot passed.
		var passed []int64
		for n := range w.due {
			if n <= last {
				passed = append(passed, n)
			}
		}
		slices.Sort(passed)
		for _, n := range passed {
			visit(n)
		}
	}
	w.done = last
	return out
}
