package main

import (
	"context"
	"io"
	"net"
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
