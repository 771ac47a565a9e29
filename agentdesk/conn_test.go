package agentdesk

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// connPair is a node-side conn and its client over loopback TCP.
type connPair struct {
	c     *conn
	cl    *websocket.Conn
	tasks sync.WaitGroup
}

// newConnPair upgrades one loopback socket; rcvbuf > 0 shrinks the
// client's receive buffer and the node's send buffer, so that large frames
// fill them.
func newConnPair(t *testing.T, rcvbuf int) *connPair {
	t.Helper()
	p := &connPair{}
	got := make(chan *websocket.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		if rcvbuf > 0 {
			raw, _ := ws.NetConn().(*net.TCPConn).SyscallConn()
			_ = raw.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, rcvbuf) })
		}
		got <- ws
	}))
	t.Cleanup(srv.Close)
	nd := &net.Dialer{}
	if rcvbuf > 0 {
		nd.Control = func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) })
		}
	}
	d := websocket.Dialer{NetDialContext: nd.DialContext}
	cl, _, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.cl = cl
	p.c = newConn(<-got, &p.tasks, 1000, 1000, 1000, time.Now())
	t.Cleanup(func() {
		p.c.close(websocket.CloseNormalClosure, "")
		cl.Close()
		p.c.ws.Close()
		p.tasks.Wait()
	})
	return p
}

// next reads the client's next data frame.
func (p *connPair) next(t *testing.T) string {
	t.Helper()
	_, b, err := p.cl.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDirectWriteNeedsNoWriter: a frame for an idle socket is on the wire
// when enqueue returns, written by the caller: no writer goroutine was
// started for it (the hub's frames and pings used to start one each), and
// an offer's delivery is reported at once.
func TestDirectWriteNeedsNoWriter(t *testing.T) {
	p := newConnPair(t, 0)
	if p.c.raw == nil {
		t.Fatal("a TCP socket without its raw connection")
	}
	var reported []time.Time
	p.c.offered = func(at time.Time) { reported = append(reported, at) }
	decided := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	for i, f := range []string{"short", strings.Repeat("中", 100)} { // a 7-bit and a 16-bit length
		if !p.c.enqueueOffer([]byte(f), decided) {
			t.Fatalf("frame %d refused", i)
		}
		p.c.mu.Lock()
		writing := p.c.writing
		p.c.mu.Unlock()
		if writing {
			t.Fatalf("frame %d (%d bytes) started a writer", i, len(f))
		}
		if got := p.next(t); got != f {
			t.Fatalf("frame %d: got %d bytes, want %d", i, len(got), len(f))
		}
	}
	if len(reported) != 2 || !reported[0].Equal(decided) {
		t.Fatalf("offers reported %v, want 2 at %v", reported, decided)
	}
	// A ping goes directly too; the client's pong handler sees it.
	pinged := make(chan struct{}, 1)
	p.cl.SetPingHandler(func(string) error { pinged <- struct{}{}; return nil })
	p.c.ping()
	p.c.mu.Lock()
	left := p.c.writing || p.c.pingDue
	p.c.mu.Unlock()
	if left {
		t.Fatal("the ping was left to a writer")
	}
	p.c.enqueue([]byte("after the ping"))
	if got := p.next(t); got != "after the ping" {
		t.Fatalf("got %q", got)
	}
	select {
	case <-pinged:
	default:
		t.Fatal("the client read past the ping without seeing it")
	}
}

// TestDirectWriteInPart: a frame the kernel takes only in part is finished
// by a writer before the frames queued after it, whole and in order, when
// the client reads again; the client's ping is answered in between without
// tearing a frame.
func TestDirectWriteInPart(t *testing.T) {
	p := newConnPair(t, 4096)
	big := strings.Repeat("大", 200000) // 600 KB (a 64-bit length): far more than the two buffers
	if !p.c.enqueue([]byte(big)) {
		t.Fatal("refused")
	}
	p.c.mu.Lock()
	partial := p.c.rest != nil || p.c.writing
	p.c.mu.Unlock()
	if !partial {
		t.Fatal("600 KB went out whole through 4 KB buffers: the test tests nothing")
	}
	p.c.enqueue([]byte("second"))
	pong := make(chan string, 1)
	p.cl.SetPongHandler(func(s string) error { pong <- s; return nil })
	if err := p.cl.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := p.cl.WriteMessage(websocket.TextMessage, []byte("after the ping")); err != nil {
		t.Fatal(err)
	}
	// The node's reader (this goroutine stands for it) handles the ping
	// before it returns the message sent after it.
	read := make(chan string, 1)
	go func() {
		_, b, _ := p.c.ws.ReadMessage()
		read <- string(b)
	}()
	if got := p.next(t); got != big {
		t.Fatalf("the big frame came back as %d bytes, want %d", len(got), len(big))
	}
	if got := p.next(t); got != "second" {
		t.Fatalf("got %q, want the frame queued after the partial one", got)
	}
	if got := <-read; got != "after the ping" {
		t.Fatalf("the node read %q", got)
	}
	p.c.enqueue([]byte("third"))
	if got := p.next(t); got != "third" {
		t.Fatalf("got %q", got)
	}
	select {
	case s := <-pong:
		if s != "are you there" {
			t.Fatalf("pong %q", s)
		}
	default:
		t.Fatal("the client's ping was not answered before the frames after it")
	}
}
