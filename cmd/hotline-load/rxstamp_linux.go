package main

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hotline10000/hotline/ivr/media"
)

// stampConn is a TCP connection that asks the kernel for the receive time
// of what it reads (SO_TIMESTAMPNS: the control message of each recvmsg
// carries the time the last segment it returns was received). The load
// client runs 10 000 goroutines niced on the cores the node uses, so the
// time a frame is seen in user space includes how long this process waited
// for a CPU; the kernel's stamp does not, and on loopback it is within
// microseconds of the node's write. The Go runtime reads with read(2),
// which drops control messages, so Read calls recvmsg itself on the raw
// socket, waiting in the runtime's poller like any read (deadlines hold).
type stampConn struct {
	*net.TCPConn
	rc   syscall.RawConn
	oob  []byte
	last atomic.Int64 // unix nanos of the last read's kernel stamp; 0: none yet
}

// dialStamped dials TCP and turns on the kernel's receive stamps; where
// the kernel refuses them the connection is plain and stamps stay zero.
func dialStamped(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c, nil
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return c, nil
	}
	return &stampConn{TCPConn: tc, rc: rc, oob: make([]byte, syscall.CmsgSpace(32))}, nil
}

func (c *stampConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n, oobn int
	var rerr error
	err := c.rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = syscall.Recvmsg(int(fd), p, c.oob, 0)
		return !errors.Is(rerr, syscall.EAGAIN)
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	// A read without a stamp clears it: a frame must not get an earlier
	// read's time. (The kernel turns stamping on a moment after the first
	// socket asks: the first segments may come without one.)
	var ns int64
	if at := media.RecvTimestamp(c.oob[:oobn]); !at.IsZero() {
		ns = at.UnixNano()
	}
	c.last.Store(ns)
	return n, nil
}

// stamp is the kernel's receive time of the last bytes read (zero: none):
// for a frame just returned by the WebSocket reader, the time its last
// segment, or a later one read with it, arrived.
func (c *stampConn) stamp() time.Time {
	if ns := c.last.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// kernelStamp is the receive stamp of conn when it is a stampConn.
func kernelStamp(conn net.Conn) time.Time {
	if c, ok := conn.(*stampConn); ok {
		return c.stamp()
	}
	return time.Time{}
}
