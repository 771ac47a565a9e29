package agentdesk

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// conn is one WebSocket. Its reader is the HTTP handler's goroutine; its
// writer is a goroutine the gateway owns. Frames reach the writer through
// a bounded queue that grows only as needed (an idle socket holds no
// buffer): enqueue never blocks, and a full queue closes the socket as a
// slow consumer (the session stays and resumes from its replay buffer).
type conn struct {
	ws    *websocket.Conn
	limit int

	mu      sync.Mutex
	pending [][]byte
	wake    chan struct{} // cap 1: something to write or closing

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

func newConn(ws *websocket.Conn, queue int, perSecond float64, burst int, now time.Time) *conn {
	c := &conn{ws: ws, limit: queue, wake: make(chan struct{}, 1), closing: make(chan struct{}), readDone: make(chan struct{}),
		rate: rate.NewLimiter(rate.Limit(perSecond), burst)}
	c.seen.Store(now.UnixNano())
	return c
}

// enqueue hands a frame to the writer, or closes a socket whose client is
// too slow to take it. force skips the bound (a replay after resume).
func (c *conn) enqueue(b []byte) bool { return c.put(b, false) }

func (c *conn) put(b []byte, force bool) bool {
	select {
	case <-c.closing:
		return false
	default:
	}
	c.mu.Lock()
	if !force && len(c.pending) >= c.limit {
		c.mu.Unlock()
		c.close(CloseSlowConsumer, "slow consumer: send queue full")
		return false
	}
	c.pending = append(c.pending, b)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return true
}

// close asks the writer to send a close frame with code and reason and end
// the socket. The first call wins.
func (c *conn) close(code int, reason string) {
	c.once.Do(func() {
		c.code, c.reason = code, reason
		close(c.closing)
	})
}

func (c *conn) closed() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

// write runs until the socket is closed or fails; then it closes the
// underlying connection so the reader returns too.
func (c *conn) write(ping time.Duration) {
	t := time.NewTicker(ping)
	defer t.Stop()
	defer c.ws.Close()
	for {
		select {
		case <-c.wake:
			c.mu.Lock()
			batch := c.pending
			c.pending = nil
			c.mu.Unlock()
			for _, b := range batch {
				_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
				if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
					c.close(websocket.CloseAbnormalClosure, "write failed")
					return
				}
			}
		case <-t.C:
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				c.close(websocket.CloseAbnormalClosure, "write failed")
				return
			}
		case <-c.closing:
			// What was queued before the close (the error that explains
			// it) goes first, within a second.
			c.mu.Lock()
			batch := c.pending
			c.pending = nil
			c.mu.Unlock()
			_ = c.ws.SetWriteDeadline(time.Now().Add(time.Second))
			for _, b := range batch {
				if c.ws.WriteMessage(websocket.TextMessage, b) != nil {
					break
				}
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
			return
		}
	}
}
