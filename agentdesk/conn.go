package agentdesk

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
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
type conn struct {
	ws    *websocket.Conn
	limit int
	tasks *sync.WaitGroup // the gateway's: a writer is waited for like any task

	// offered is told when a frame stamped with an offer's decision time
	// reached the socket (Options.OfferDelivered); nil: not measured.
	offered func(decided time.Time)

	mu       sync.Mutex
	pending  []outFrame
	writing  bool // a writer goroutine is running
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
// time of an offer (zero for every other frame), for the delivery figure.
type outFrame struct {
	b       []byte
	decided time.Time
}

func newConn(ws *websocket.Conn, tasks *sync.WaitGroup, queue int, perSecond float64, burst int, now time.Time) *conn {
	c := &conn{ws: ws, tasks: tasks, limit: queue, closing: make(chan struct{}), readDone: make(chan struct{}),
		rate: rate.NewLimiter(rate.Limit(perSecond), burst)}
	c.seen.Store(now.UnixNano())
	return c
}

// enqueue hands a frame to the writer, or closes a socket whose client is
// too slow to take it. force skips the bound (a replay after resume).
func (c *conn) enqueue(b []byte) bool { return c.add(outFrame{b: b}, false) }

// enqueueOffer is enqueue for an offer the ACD decided at decided.
func (c *conn) enqueueOffer(b []byte, decided time.Time) bool {
	return c.add(outFrame{b: b, decided: decided}, false)
}

func (c *conn) put(b []byte, force bool) bool { return c.add(outFrame{b: b}, force) }

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
	c.pending = append(c.pending, f)
	c.kick()
	c.mu.Unlock()
	return true
}

// ping asks the writer for a WebSocket ping (the hub's sweep calls it every
// heartbeat); the client's pong refreshes seen.
func (c *conn) ping() {
	c.mu.Lock()
	if !c.pingDue {
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
	c.finished, c.pending = true, nil
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
		batch, ping := c.pending, c.pingDue
		c.pending, c.pingDue = nil, false
		closing := c.closed()
		if len(batch) == 0 && !ping && !closing {
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
		for _, f := range batch {
			if err := c.ws.WriteMessage(websocket.TextMessage, f.b); err != nil {
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
	c.finished, c.writing, c.pending = true, false, nil
	c.mu.Unlock()
	c.close(websocket.CloseAbnormalClosure, "write failed")
	c.ws.Close()
}
