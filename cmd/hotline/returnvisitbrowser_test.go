package main

import (
	"bufio"
	"context"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/ivr/sip/siptest"
)

// TestBrowserReturnVisit is a ticket's "Call customer" button in Chromium
// (returnvisit.mjs): hotline serve with a test trunk; the supervisor
// sun.li files a fault ticket for wang.fang (dispatched to her) whose
// customer has a phone number. wang.fang, signed in and not ready, clicks
// Call customer on My tickets: her desk phone rings first (role visit),
// she answers in the browser, then the trunk is called for the ticket's
// number. The customer (the trunk's RTP socket, this test) hears her
// microphone (Chromium's fake capture of a warble) and talks back with a
// 1 kHz tone, which her page hears; she hangs up.
func TestBrowserReturnVisit(t *testing.T) {
	script, _ := filepath.Abs(filepath.Join(e2eDir, "returnvisit.mjs"))
	needBrowser(t)
	warble := filepath.Join(t.TempDir(), "warble.wav")
	if err := os.WriteFile(warble, warbleWAV(), 0o644); err != nil {
		t.Fatal(err)
	}
	trunk := siptest.NewTrunk(t, "hotline", "trunk-secret")
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open", "--softphone-ips", "127.0.0.1", "--sip-trunk-proxy", trunk.Addr,
		"--sip-trunk-from", "02110000", "--sip-trunk-user", "hotline", "--sip-trunk-password", "trunk-secret")
	waitReady(t, r.base)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()

	// The ticket, dispatched to wang.fang by her supervisor.
	const subject = "宽带故障回访 return visit"
	sup, _, err := deskttest.Dial(ctx, r.base, "/ws/desk", agentdesk.DeskProtocol, r.login(t, "sun.li"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sup.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := sup.Want("snapshot", nil, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	draft := map[string]any{"type": "fault", "category": "broadband", "subject": subject, "group": "service-desk", "assignee": "wang.fang",
		"customer": map[string]string{"phone": "13911114444"}}
	if _, err := sup.Do("ticket.create", map[string]any{"draft": draft, "key": "browser-visit"}, 10*time.Second); err != nil {
		t.Fatalf("ticket.create: %v", err)
	}
	sup.Close()

	out := os.Getenv("E2E_ARTIFACTS")
	if out == "" {
		out = filepath.Join(e2eDir, "artifacts")
	}
	out, _ = filepath.Abs(out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = filepath.Dir(script)
	cmd.Env = append(os.Environ(), "BASE_URL="+r.base, "DESK_LOGIN=wang.fang", "DESK_PASSWORD="+r.password(t, "wang.fang"),
		"SUBJECT="+subject, "ARTIFACTS="+out, "CHROMIUM=/usr/bin/chromium", "FAKE_AUDIO="+warble)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logMu sync.Mutex
	var log strings.Builder
	cmd.Stderr = &lockedWriter{mu: &logMu, w: &log}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	said := make(chan string, 4)
	scriptDone := make(chan struct{})
	go func() {
		defer close(scriptDone)
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			logMu.Lock()
			log.WriteString(lines.Text() + "\n")
			logMu.Unlock()
			select {
			case said <- lines.Text():
			default:
			}
		}
	}()
	finish := func() {
		<-scriptDone
		err := cmd.Wait()
		logMu.Lock()
		t.Logf("returnvisit.mjs:\n%s", log.String())
		logMu.Unlock()
		if err != nil {
			t.Fatalf("browser test failed: %v\nserver log:\n%s", err, tail(r.stderr.String(), 4000))
		}
	}
	connected := false
	for !connected {
		select {
		case l := <-said:
			connected = l == "CONNECTED"
		case <-scriptDone:
			finish()
			t.Fatal("the script ended before the call connected")
		case <-ctx.Done():
			t.Fatal("the call never connected")
		}
	}

	// The trunk was called for the ticket's customer.
	var inv string
	select {
	case req := <-trunk.Invites:
		if req.Recipient.User != "13911114444" {
			t.Errorf("the trunk was called for %s, want 13911114444", req.Recipient.User)
		}
		inv = string(req.Body())
	case <-ctx.Done():
		t.Fatalf("the trunk was never called: %s", tail(r.stderr.String(), 3000))
	}
	mp := regexp.MustCompile(`m=audio (\d+)`).FindStringSubmatch(inv)
	ip := regexp.MustCompile(`c=IN IP4 (\S+)`).FindStringSubmatch(inv)
	if mp == nil || ip == nil {
		t.Fatalf("no media in the call out's offer: %q", inv)
	}
	server, err := net.ResolveUDPAddr("udp", net.JoinHostPort(ip[1], mp[1]))
	if err != nil {
		t.Fatal(err)
	}
	// The customer talks (a 1 kHz tone every 20 ms) while listening.
	talk, stopTalk := context.WithCancel(ctx)
	talked := make(chan struct{})
	go func() {
		defer close(talked)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-talk.Done():
				return
			case <-tick.C:
			}
			frame := make([]byte, 160)
			for n := range frame {
				frame[n] = g711.EncodeUlawFrame(int16(8000 * math.Sin(2*math.Pi*1000*float64(i*160+n)/8000)))
			}
			p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(i), Timestamp: uint32(160 * i), SSRC: 0x7e57}, Payload: frame}
			if b, err := p.Marshal(); err == nil {
				_, _ = trunk.RTP.WriteToUDP(b, server)
			}
		}
	}()
	defer func() { stopTalk(); <-talked }()
	// Read until the customer heard 10 frames of the agent's warble.
	buf := make([]byte, 1500)
	warbles, frames := 0, 0
	for warbles < 10 {
		_ = trunk.RTP.SetReadDeadline(time.Now().Add(30 * time.Second)) // bounds a broken test only
		n, _, err := trunk.RTP.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("the customer heard %d frames, %d of the agent's warble: %v", frames, warbles, err)
		}
		var p rtp.Packet
		if p.Unmarshal(buf[:n]) != nil || p.PayloadType != 0 {
			continue
		}
		frames++
		if warbling(p.Payload) {
			warbles++
		}
	}
	t.Logf("the customer heard the agent's warble in %d of %d frames", warbles, frames)
	if _, err := io.WriteString(stdin, "HEARD\n"); err != nil {
		t.Fatalf("tell the script: %v", err)
	}
	finish()
	if !regexp.MustCompile(`msg="call out answered"`).MatchString(r.stderr.String()) {
		t.Errorf("no return visit answered in the server log")
	}
}
