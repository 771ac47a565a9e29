package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestKernelStamp: a stamped connection reads what was sent and carries the
// kernel's receive time, which falls between the write and the read's
// return; a closed peer reads as EOF.
func TestKernelStamp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := dialStamped(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*stampConn); !ok {
		t.Fatalf("got a %T, want a stamped connection", c)
	}
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if !kernelStamp(c).IsZero() {
		t.Fatal("a stamp before anything was read")
	}
	// The kernel turns stamping on a moment after the first socket asks
	// (a deferred static key): the first reads may come without a stamp,
	// never with a wrong one.
	stamped := 0
	for i := 0; stamped < 3; i++ {
		if i == 100000 {
			t.Fatalf("%d reads, %d of them stamped", i, stamped)
		}
		before := time.Now()
		if _, err := srv.Write([]byte("offer")); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 16)
		n, err := io.ReadAtLeast(c, b, 5)
		after := time.Now()
		if err != nil || string(b[:n]) != "offer" {
			t.Fatalf("read %q %v", b[:n], err)
		}
		at := kernelStamp(c)
		if at.IsZero() {
			continue
		}
		stamped++
		if at.Before(before) || at.After(after) {
			t.Fatalf("kernel stamp %v outside the write (%v) and the read's return (%v)", at, before, after)
		}
	}
	srv.Close()
	if n, err := c.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Fatalf("after the peer closed: %d %v, want EOF", n, err)
	}
}

// TestStampReadsStopAtFrameEnds: after the handshake's HTTP response, no
// read runs past the end of a frame of the node's (any header length), so
// the read that ends a frame is stamped with its own segment's time (a 1 KB
// read took the frames after it too, and their later time). Segments the
// kernel coalesced while the client did not read share the latest one's
// stamp all the same: the stamp is an upper bound of a frame's arrival.
func TestStampReadsStopAtFrameEnds(t *testing.T) {
	frame := func(n int) []byte {
		h := []byte{0x81}
		switch {
		case n < 126:
			h = append(h, byte(n))
		case n <= 0xffff:
			h = append(h, 126, byte(n>>8), byte(n))
		default:
			h = append(h, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		}
		return append(h, strings.Repeat("x", n)...)
	}
	var stream []byte
	stream = append(stream, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"...)
	handshake := len(stream)
	var ends []int // where each frame ends in stream
	for _, n := range []int{5, 300, 70000, 0, 125, 126} {
		stream = append(stream, frame(n)...)
		ends = append(ends, len(stream))
	}
	c := &stampConn{}
	if w := c.want(); w < uint64(handshake) {
		t.Fatalf("the handshake may be read %d bytes at a time", w)
	}
	c.consumed(stream[:handshake])
	at := handshake
	for at < len(stream) {
		w := int(min(c.want(), 1024)) // gorilla's buffer
		if w <= 0 {
			t.Fatalf("no read allowed at %d", at)
		}
		next := at + w
		for _, e := range ends {
			if at < e && next > e {
				t.Fatalf("a read from %d of %d bytes runs past the frame ending at %d", at, w, e)
			}
		}
		c.consumed(stream[at:next])
		at = next
	}
	if c.left != 0 || len(c.hdr) != 0 {
		t.Fatalf("after the last frame: %d left, header %v", c.left, c.hdr)
	}
}
