package main

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
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
//
// For TCP the stamp is the one of the last segment a read copies: a read
// that ran past the end of a frame into later ones would give the frame a
// later segment's time (a starved client finds several frames waiting, and
// gorilla reads ahead into its buffer). So Read follows the node's
// WebSocket framing (RFC 6455 5.2; the node's frames are unmasked) and
// never reads past the end of a frame: the read that ends a frame carries
// the time of the segment holding its last byte (the node writes each
// frame in one write, one segment on loopback). Segments that waited
// unread are coalesced by the kernel's TCP receive queue, which keeps the
// latest stamp: for a client that fell behind, the stamp is an upper
// bound of when its frame arrived, never earlier than the truth.
type stampConn struct {
	*net.TCPConn
	rc   syscall.RawConn
	oob  []byte
	last atomic.Int64 // unix nanos of the last read's kernel stamp; 0: none yet

	// framing is false until the HTTP response of the handshake has been
	// read (tail: its last bytes so far); then the frame being read: its
	// header so far, and the payload left.
	framing bool
	tail    []byte
	hdr     []byte
	left    uint64
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
	p = p[:min(uint64(len(p)), c.want())]
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
	c.consumed(p[:n])
	return n, nil
}

// want is how many bytes may be read without passing the end of the
// current frame (or of its header, whose length is known only as it is
// read).
func (c *stampConn) want() uint64 {
	if !c.framing {
		return math.MaxUint64 // the node sends nothing after its 101 until the client's hello
	}
	if c.left > 0 {
		return c.left
	}
	if len(c.hdr) < 2 {
		return uint64(2 - len(c.hdr))
	}
	return uint64(headerLen(c.hdr) - len(c.hdr))
}

// consumed follows the framing over the bytes b just read.
func (c *stampConn) consumed(b []byte) {
	for !c.framing && len(b) > 0 {
		c.tail = append(c.tail, b[0])
		b = b[1:]
		if len(c.tail) > 4 {
			c.tail = c.tail[1:]
		}
		c.framing = string(c.tail) == "\r\n\r\n"
	}
	for len(b) > 0 {
		if c.left > 0 {
			k := min(uint64(len(b)), c.left)
			c.left -= k
			b = b[k:]
			continue
		}
		c.hdr = append(c.hdr, b[0])
		b = b[1:]
		if len(c.hdr) < 2 || len(c.hdr) < headerLen(c.hdr) {
			continue
		}
		c.left = payloadLen(c.hdr)
		c.hdr = c.hdr[:0]
	}
}

// headerLen is the length of a frame header given its first two bytes.
func headerLen(h []byte) int {
	n := 2
	switch h[1] & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if h[1]&0x80 != 0 {
		n += 4 // masked: never from a server, counted all the same
	}
	return n
}

// payloadLen reads the payload length of a complete header.
func payloadLen(h []byte) uint64 {
	switch l := h[1] & 0x7f; l {
	case 126:
		return uint64(binary.BigEndian.Uint16(h[2:4]))
	case 127:
		return binary.BigEndian.Uint64(h[2:10])
	default:
		return uint64(l)
	}
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
