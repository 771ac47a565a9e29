package deskttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/internal/auth"
)

// Client speaks the desk or chat protocol over a real WebSocket. Frames
// arrive on a reader goroutine and wait in an unbounded inbox; Next, Want
// and Do take them in order.
type Client struct {
	WS      *websocket.Conn
	Session string // from welcome
	LastSeq uint64 // highest durable seq seen
	Token   string // a chat client's token, for tests that reconnect

	mu     sync.Mutex
	inbox  []agentdesk.Frame
	wake   chan struct{}
	closed error // why the reader stopped
	done   chan struct{}
	nextID int
	prefix string
}

// Dial opens a socket to path (/ws/desk?… or /ws/chat?token=…) with the
// protocol and, when token is set, the session cookie.
func Dial(ctx context.Context, base, path, proto, token string) (*Client, *http.Response, error) {
	u := "ws" + strings.TrimPrefix(base, "http") + path
	h := http.Header{}
	h.Set("Origin", base)
	if token != "" {
		h.Set("Cookie", auth.CookieName+"="+token)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	if proto != "" {
		d.Subprotocols = []string{proto}
	}
	ws, resp, err := d.DialContext(ctx, u, h)
	if err != nil {
		return nil, resp, err
	}
	c := &Client{WS: ws, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.read()
	return c, resp, nil
}

func (c *Client) read() {
	defer close(c.done)
	for {
		_, b, err := c.WS.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.closed = err
			c.mu.Unlock()
			c.poke()
			return
		}
		var f agentdesk.Frame
		if err := json.Unmarshal(b, &f); err != nil {
			c.mu.Lock()
			c.closed = fmt.Errorf("bad frame from server: %w", err)
			c.mu.Unlock()
			c.poke()
			return
		}
		c.mu.Lock()
		c.inbox = append(c.inbox, f)
		c.mu.Unlock()
		c.poke()
	}
}

func (c *Client) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Close closes the socket (without a close handshake: a dropped network)
// and waits for the reader.
func (c *Client) Close() {
	c.WS.NetConn().Close()
	<-c.done
}

// Closed waits for the server to close the socket and returns the close
// error (a *websocket.CloseError when the server said why).
func (c *Client) Closed(d time.Duration) error {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.closed
	case <-time.After(d):
		return ErrTimeout
	}
}

// Send writes a raw frame.
func (c *Client) Send(typ, id string, data any) error {
	f := map[string]any{"type": typ}
	if id != "" {
		f["id"] = id
	}
	if data != nil {
		f["data"] = data
	}
	return c.WS.WriteJSON(f)
}

// NewID returns a fresh command id.
func (c *Client) NewID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	if c.prefix == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		c.prefix = hex.EncodeToString(b)
	}
	// Ids must be unique within a session, across its sockets: the server
	// answers a known id from its reply cache without running it again.
	return c.prefix + "-" + strconv.Itoa(c.nextID)
}

// Next returns the next frame, waiting up to d.
func (c *Client) Next(d time.Duration) (agentdesk.Frame, error) {
	deadline := time.After(d)
	for {
		c.mu.Lock()
		if len(c.inbox) > 0 {
			f := c.inbox[0]
			c.inbox = c.inbox[1:]
			if f.Seq > c.LastSeq {
				c.LastSeq = f.Seq
			}
			if f.Type == "welcome" {
				var w struct {
					Session string `json:"session"`
					Seq     uint64 `json:"seq"`
				}
				_ = json.Unmarshal(f.Data, &w)
				c.Session = w.Session
				if w.Seq > c.LastSeq {
					c.LastSeq = w.Seq
				}
			}
			c.mu.Unlock()
			return f, nil
		}
		err := c.closed
		c.mu.Unlock()
		if err != nil {
			return agentdesk.Frame{}, fmt.Errorf("socket closed: %w", err)
		}
		select {
		case <-c.wake:
		case <-deadline:
			return agentdesk.Frame{}, ErrTimeout
		}
	}
}

// Want skips frames until one of type typ (ack/error frames are never
// skipped: they fail the wait) and decodes its data into v (may be nil).
func (c *Client) Want(typ string, v any, d time.Duration) (agentdesk.Frame, error) {
	end := time.Now().Add(d)
	for {
		f, err := c.Next(time.Until(end))
		if err != nil {
			return f, fmt.Errorf("waiting for %s: %w", typ, err)
		}
		if f.Type == typ {
			if v != nil && len(f.Data) > 0 {
				if err := json.Unmarshal(f.Data, v); err != nil {
					return f, err
				}
			}
			return f, nil
		}
		if (f.Type == "ack" || f.Type == "error") && typ != "ack" && typ != "error" {
			return f, fmt.Errorf("waiting for %s: got %s %s", typ, f.Type, f.Data)
		}
	}
}

// Do sends a command and waits for its reply; other frames are kept for
// later. It returns the ack's data, or an *agentdesk.Error.
func (c *Client) Do(typ string, data any, d time.Duration) (json.RawMessage, error) {
	id := c.NewID()
	if err := c.Send(typ, id, data); err != nil {
		return nil, err
	}
	return c.Reply(id, d)
}

// Reply waits for the reply to command id, leaving other frames queued.
func (c *Client) Reply(id string, d time.Duration) (json.RawMessage, error) {
	deadline := time.After(d)
	for {
		c.mu.Lock()
		for i, f := range c.inbox {
			if (f.Type == "ack" || f.Type == "error" || f.Type == "welcome") && f.Re == id {
				c.inbox = append(c.inbox[:i:i], c.inbox[i+1:]...)
				c.mu.Unlock()
				if f.Type == "error" {
					e := &agentdesk.Error{}
					_ = json.Unmarshal(f.Data, e)
					return nil, e
				}
				return f.Data, nil
			}
		}
		err := c.closed
		c.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("socket closed: %w", err)
		}
		select {
		case <-c.wake:
		case <-deadline:
			return nil, fmt.Errorf("reply to %s: %w", id, ErrTimeout)
		}
	}
}

// Hello says hello (resuming when session is set) and returns the welcome.
func (c *Client) Hello(view, session string, lastSeq uint64) (json.RawMessage, error) {
	data := map[string]any{}
	if view != "" {
		data["view"] = view
	}
	if session != "" {
		data["resume"], data["last_seq"] = session, lastSeq
	}
	id := c.NewID()
	if err := c.Send("hello", id, data); err != nil {
		return nil, err
	}
	f, err := c.Want("welcome", nil, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return f.Data, nil
}

// Drain returns the frames already received.
func (c *Client) Drain() []agentdesk.Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.inbox
	c.inbox = nil
	for _, f := range out {
		if f.Seq > c.LastSeq {
			c.LastSeq = f.Seq
		}
	}
	return out
}
