package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// stalled is a client connection whose process is put off the CPU for
// two seconds between setting a write deadline and writing, as a starved
// load client is: a write whose deadline is nearer than that times out.
type stalled struct {
	net.Conn
	deadline time.Time
}

func (c *stalled) SetWriteDeadline(t time.Time) error {
	c.deadline = t
	return c.Conn.SetWriteDeadline(t)
}

func (c *stalled) Write(b []byte) (int, error) {
	if !c.deadline.IsZero() && time.Until(c.deadline) < 2*time.Second {
		return 0, os.ErrDeadlineExceeded
	}
	return c.Conn.Write(b)
}

// TestPongSurvivesAStall: the node pings, the stalled client answers, and
// the client's next message still goes out. With gorilla's default ping
// handler (a 1 s deadline) the pong write times out and the socket keeps
// that error: the read that handled the ping, or the next write, fails with
// "i/o timeout", the chat errors of the load runs.
func TestPongSurvivesAStall(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler func(*websocket.Conn)
		wantErr bool
	}{
		{"gorilla's default handler", func(*websocket.Conn) {}, true},
		{"answerPings", answerPings, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan string, 1)
			up := websocket.Upgrader{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ws, err := up.Upgrade(w, r, nil)
				if err != nil {
					return
				}
				defer ws.Close()
				_ = ws.WriteMessage(websocket.PingMessage, []byte("hb"))
				_ = ws.WriteMessage(websocket.TextMessage, []byte("go"))
				ws.SetPongHandler(func(string) error { return nil })
				_, b, err := ws.ReadMessage()
				if err != nil {
					b = []byte("read: " + err.Error())
				}
				got <- string(b)
			}))
			defer srv.Close()
			d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &stalled{Conn: c}, nil
			}}
			ws, _, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			tc.handler(ws)
			// The ping is answered on the way to the text frame.
			_, b, err := ws.ReadMessage()
			if err == nil && string(b) == "go" {
				err = ws.WriteMessage(websocket.TextMessage, []byte("hi"))
			}
			if tc.wantErr {
				if err == nil {
					t.Fatal("the socket still works after a timed-out pong; the stall is not simulated")
				}
				return
			}
			if err != nil {
				t.Fatalf("write after the pong: %v", err)
			}
			if m := <-got; m != "hi" {
				t.Fatalf("server got %q, want hi", m)
			}
		})
	}
}
