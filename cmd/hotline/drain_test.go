package main

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// A stop with a call live: the node is not ready at once (/readyz 503),
// SIP refuses new work with 503 while the call goes on and HTTP serves on
// (503 on /readyz, the agents' desks keep their API), and once the caller
// hangs up serve exits cleanly.
func TestStopDrainsLiveCall(t *testing.T) {
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open", "--sip-drain-timeout", "10m")
	waitReady(t, r.base)
	addr := sipUDPAddr(t, r)
	caller := dialSIP(t, addr)
	stopped := make(chan int, 1)
	go func() { stopped <- r.stop() }()

	probe, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	server, _ := net.ResolveUDPAddr("udp", addr)
	refused := false
	for i := 0; !refused; i++ {
		if i == 100 {
			t.Fatal("SIP never refused an OPTIONS while draining")
		}
		branch := fmt.Sprintf("z9hG4bKdrain%d", i)
		msg := "OPTIONS sip:10000@" + addr + " SIP/2.0\r\nVia: SIP/2.0/UDP " + probe.LocalAddr().String() + ";branch=" + branch + "\r\n" +
			"From: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:10000@" + addr + ">\r\nCall-ID: drain-probe-" + branch + "\r\nCSeq: 1 OPTIONS\r\n" +
			"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
		if _, err := probe.WriteToUDP([]byte(msg), server); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		_ = probe.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := probe.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("OPTIONS while stopping: %v", err)
		}
		status, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		switch {
		case strings.HasPrefix(status, "SIP/2.0 503"):
			refused = true
		case strings.HasPrefix(status, "SIP/2.0 200"):
		default:
			t.Fatalf("OPTIONS while stopping: %s", status)
		}
		// Not ready from the moment the stop began: never 200 here. Once
		// SIP refuses, HTTP still serves (the calls drain) and says 503.
		resp, err := client.Get(r.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				t.Fatalf("/readyz 200 while stopping (OPTIONS: %s)", status)
			}
		}
		if refused && (err != nil || resp.StatusCode != 503) {
			t.Fatalf("/readyz while SIP drains a live call: %v %v, want 503 (HTTP serves until the calls end)", err, resp)
		}
	}
	select {
	case code := <-stopped:
		t.Fatalf("serve exited (%d) with the call still live", code)
	default:
	}
	caller.hangup()
	if code := <-stopped; code != 0 {
		t.Fatalf("exit %d after the call ended: %s", code, tail(r.stderr.String(), 2000))
	}
}
