//go:build !linux

package main

import (
	"context"
	"net"
	"time"
)

// dialStamped is a plain dial: kernel receive stamps are read on Linux only.
func dialStamped(ctx context.Context, network, addr string) (net.Conn, error) {
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

func kernelStamp(net.Conn) time.Time { return time.Time{} }
