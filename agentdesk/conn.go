package agentdesk

import (
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sys/unix"
	"golang.org/x/time/rate"
)

// conn is one WebSocket. Its reader is a goroutine the gateway owns; it has
// no writer goroutine while idle. Frames wait in a bounded queue that grows
// only as needed (an idle socket holds no buffer), and the sender that finds
// no writer running starts one, which drains the queue and ends: 10 000 idle
// desks cost one goroutine each, not two, and their write buffers come from
// the upgrader's shared pool only while a write is under way. Enqueue never
// blocks; a full queue cuts the socket as a slow consumer (the session
// stays and resumes from its replay buffer).
//
// Most frames need no writer at all: a frame for a socket with nothing
// queued is written at once by its sender (the hub, mostly) with one
// non-blocking writev of the WebSocket frame on the TCP socket (direct);
// only what the kernel does not take then goes to a writer goroutine. An
// offer used to wait for a CPU twice on the node, for the hub and then for
// the writer started for it, and pings started a writer each
// (docs/desk-protocol.md, "Measured"). gorilla/websocket has no
// non-blocking write, hence the frame header here: an unmasked server
// frame, RFC 6455 5.2. Every write to the socket goes through this type
// (pongs and the close handshake included), so a direct write never
// interleaves with gorilla's.
type conn struct {
	ws    *websocket.Conn
	raw   syscall.RawConn // the TCP socket, for direct writes; nil: every frame goes through a writer
	limit int
	tasks *sync.WaitGroup // the gateway's: a writer is waited for like any task

	// offered is told when a frame stamped with an offer's decision time
	// reached the socket (Options.OfferDelivered); nil: not measured.
	offered func(decided time.Time)

	mu       sync.Mutex
	pending  []outFrame
	rest     []byte    // the end of a frame a direct write began: the writer sends it first
	restAt   time.Time // the decision time of the offer rest ends, if it is one
	writing  bool      // a writer goroutine is running
	pingDue  bool
	finished bool // the socket is closed: nothing more is written

	closing  chan struct{} // closed once: the writer sends the close frame and stops
	readDone chan struct{} // closed when the reader stopped: the close handshake is over
	once     sync.Once
	code     int
	reason   string

	seen    atomic.Int64 // unix nanos of the last frame or pong from the client
	rate    *rate.Limiter
	strikes int // frames refused by the rate limit in a row (reader only)
}

const writeWait = 5 * time.Second

// outFrame is a frame waiting for the writer; decided is the ACD's decision
// time of an offer (zero for every other frame), for the delivery figure;
// op is the WebSocket opcode (websocket.TextMessage, or PongMessage).
type outFrame struct {
	b       []byte
	decided time.Time
	op      int
}

func newConn(ws *websocket.Conn, tasks *sync.WaitGroup, queue int, perSecond float64, burst int, now time.Time) *conn {
	c := &conn{ws: ws, tasks: tasks, limit: queue, closing: make(chan struct{}), readDone: make(chan struct{}),
		rate: rate.NewLimiter(rate.Limit(perSecond), burst)}
	c.seen.Store(now.UnixNano())
	if tc, ok := ws.NetConn().(*net.TCPConn); ok {
		c.raw, _ = tc.SyscallConn() // nil on error: the writer path
	}
	// The client's pings and close are answered through this type, not by
	// gorilla on the reader (its default handlers write themselves).
	ws.SetPingHandler(func(data string) error {
		c.add(outFrame{b: []byte(data), op: websocket.PongMessage}, false)
		return nil
	})
	ws.SetCloseHandler(func(int, string) error { return nil }) // the reader returns; its close answers
	return c
}

// enqueue hands a frame to the writer, or closes a socket whose client is
// too slow to take it. force skips the bound (a replay after resume).
func (c *conn) enqueue(b []byte) bool { return c.add(outFrame{b: b, op: websocket.TextMessage}, false) }

// enqueueOffer is enqueue for an offer the ACD decided at decided.
func (c *conn) enqueueOffer(b []byte, decided time.Time) bool {
	return c.add(outFrame{b: b, decided: decided, op: websocket.TextMessage}, false)
}

func (c *conn) put(b []byte, force bool) bool {
	return c.add(outFrame{b: b, op: websocket.TextMessage}, force)
}

func (c *conn) add(f outFrame, force bool) bool {
	if c.closed() {
		return false
	}
	c.mu.Lock()
	if !force && len(c.pending) >= c.limit {
		c.mu.Unlock()
		c.cut()
		return false
	}
	if c.idle() && c.direct(f.op, f.b, f.decided) {
		c.mu.Unlock()
		return true
	}
	c.pending = append(c.pending, f)
	c.kick()
	c.mu.Unlock()
	return true
}

// idle says whether a frame may be written directly: nothing is queued or
// being written and the socket is open. c.mu is held.
func (c *conn) idle() bool {
	return c.raw != nil && !c.writing && !c.finished && len(c.pending) == 0 && c.rest == nil && !c.closed()
}

// direct writes a frame on the socket without blocking, c.mu held and the
// socket idle. It returns false when nothing was written (the kernel's
// buffer is full, or the socket failed: the writer meets the error and
// ends it); a frame written in part is finished by the writer, before
// anything else.
func (c *conn) direct(op int, b []byte, decided time.Time) bool {
	var buf [10]byte
	h := frameHeader(buf[:0], op, len(b))
	var n int
	var werr error
	if err := c.raw.Write(func(fd uintptr) bool {
		n, werr = unix.Writev(int(fd), [][]byte{h, b})
		return true // one attempt: never wait for the socket here
	}); err != nil || werr != nil {
		return false
	}
	if n <= 0 {
		return false // nothing written: EAGAIN, or err, which the writer meets again
	}
	if total := len(h) + len(b); n < total {
		rest := make([]byte, 0, total-n)
		if n < len(h) {
			rest = append(append(rest, h[n:]...), b...)
		} else {
			rest = append(rest, b[n-len(h):]...)
		}
		c.rest, c.restAt = rest, decided
		c.kick()
		return true
	}
	if !decided.IsZero() && c.offered != nil {
		c.offered(decided)
	}
	return true
}

// frameHeader appends the header of an unmasked, final WebSocket frame of
// opcode op and n bytes of payload (RFC 6455 5.2).
func frameHeader(h []byte, op, n int) []byte {
	h = append(h, 0x80|byte(op))
	switch {
	case n < 126:
		return append(h, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(h, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(h, 127), uint64(n))
	}
}

// ping asks the writer for a WebSocket ping (the hub's sweep calls it every
// heartbeat); the client's pong refreshes seen.
func (c *conn) ping() {
	c.mu.Lock()
	if !c.pingDue && !(c.idle() && c.direct(websocket.PingMessage, nil, time.Time{})) {
		c.pingDue = true
		c.kick()
	}
	c.mu.Unlock()
}

// kick starts the writer unless it runs or the socket is done. c.mu is held.
// Callers are the hub and goroutines the gateway waits for, so the task
// count is above zero whenever a writer is added.
func (c *conn) kick() {
	if c.writing || c.finished {
		return
	}
	c.writing = true
	c.tasks.Add(1)
	go func() {
		defer c.tasks.Done()
		c.write()
	}()
}

// close asks the writer to send a close frame with code and reason and end
// the socket. The first call wins.
func (c *conn) close(code int, reason string) {
	c.once.Do(func() {
		c.code, c.reason = code, reason
		close(c.closing)
		c.mu.Lock()
		c.kick()
		c.mu.Unlock()
	})
}

// cut ends a slow consumer's socket at once: the TCP connection is closed,
// which also fails the write its writer is blocked in. Its queue is full
// because the client does not read, so a close frame (4008) would only
// wait behind the frames it does not take, and the writer, the queued
// frames and the socket would be held until the write deadline (writeWait)
// ran out. The session stays; the client resumes from its replay buffer.
func (c *conn) cut() {
	c.mu.Lock()
	c.finished, c.pending, c.rest = true, nil, nil
	c.mu.Unlock()
	c.close(CloseSlowConsumer, "slow consumer: send queue full")
	c.ws.Close()
}

func (c *conn) closed() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

// write drains the queue and returns once it is empty. When the socket is
// closing it sends what was queued before the close (the error that
// explains it) within a second, then the close frame, and ends the socket
// so the reader returns too; a failed write ends it at once.
func (c *conn) write() {
	for {
		c.mu.Lock()
		rest, restAt := c.rest, c.restAt
		batch, ping := c.pending, c.pingDue
		c.rest, c.restAt, c.pending, c.pingDue = nil, time.Time{}, nil, false
		closing := c.closed()
		if rest == nil && len(batch) == 0 && !ping && !closing {
			// The socket is idle again: the next frame is written
			// directly, which a deadline already passed would refuse.
			_ = c.ws.NetConn().SetWriteDeadline(time.Time{})
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		wait := writeWait
		if closing {
			wait = time.Second
		}
		_ = c.ws.SetWriteDeadline(time.Now().Add(wait))
		if rest != nil {
			nc := c.ws.NetConn()
			_ = nc.SetWriteDeadline(time.Now().Add(wait))
			if _, err := nc.Write(rest); err != nil {
				c.finish()
				return
			}
			if !restAt.IsZero() && c.offered != nil {
				c.offered(restAt)
			}
		}
		for _, f := range batch {
			var err error
			if f.op == websocket.PongMessage {
				err = c.ws.WriteControl(websocket.PongMessage, f.b, time.Now().Add(wait))
			} else {
				err = c.ws.WriteMessage(websocket.TextMessage, f.b)
			}
			if err != nil {
				c.finish()
				return
			}
			if !f.decided.IsZero() && c.offered != nil {
				c.offered(f.decided)
			}
		}
		if ping && !closing {
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				c.finish()
				return
			}
		}
		if !closing {
			continue
		}
		c.mu.Lock()
		more := len(c.pending) > 0
		c.mu.Unlock()
		if more {
			continue // the reader's last answers, still within the deadline
		}
		msg := websocket.FormatCloseMessage(c.code, c.reason)
		if c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)) == nil {
			// RFC 6455 7.1.1: let the client answer the close before
			// the TCP connection goes, so it reads our reason.
			t := time.NewTimer(time.Second)
			select {
			case <-c.readDone:
			case <-t.C:
			}
			t.Stop()
		}
		c.finish()
		return
	}
}

// finish ends the socket: nothing more is written and the reader returns.
func (c *conn) finish() {
	c.mu.Lock()
	c.finished, c.writing, c.pending, c.rest = true, false, nil, nil
	c.mu.Unlock()
	c.close(websocket.CloseAbnormalClosure, "write failed")
	c.ws.Close()
}
