package main

import (
	"context"
	"encoding/binary"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/store"
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
// 1 kHz tone, which her page hears; she hangs up. The call's recording is
// 8 kHz stereo, as long as the store says, the customer on the left and
// the agent on the right.
func TestBrowserReturnVisit(t *testing.T) {
	script, _ := filepath.Abs(filepath.Join(e2eDir, "returnvisit.mjs"))
	needBrowser(t)
	warble := filepath.Join(t.TempDir(), "warble.wav")
	if err := os.WriteFile(warble, warbleWAV(), 0o644); err != nil {
		t.Fatal(err)
	}
	trunk := siptest.NewTrunk(t, "hotline", "trunk-secret")
	dir := t.TempDir()
	r := start(t, "--data-dir", dir, "--ivr-always-open", "--softphone-ips", "127.0.0.1", "--sip-trunk-proxy", trunk.Addr,
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

	sc := runE2EScript(ctx, t, r, script, "BASE_URL="+r.base, "DESK_LOGIN=wang.fang", "DESK_PASSWORD="+r.password(t, "wang.fang"),
		"SUBJECT="+subject, "FAKE_AUDIO="+warble)
	if !sc.await(ctx, "CONNECTED") {
		sc.finish()
		t.Fatal("the script ended before the call connected")
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
	sc.tell("HEARD")
	sc.finish()
	stopTalk()
	<-talked
	m := regexp.MustCompile(`msg="call out answered" .*contact_id=(visit-\S+)`).FindStringSubmatch(r.stderr.String())
	if m == nil {
		t.Fatalf("no return visit answered in the server log")
	}
	if code := r.stop(); code != 0 {
		t.Fatalf("serve exited with %d: %s", code, tail(r.stderr.String(), 2000))
	}

	// The recording (issue 12, "Proof"): stereo 8 kHz, as long as the
	// store says and at least the 2 s the page listened, the customer's
	// 1 kHz tone on the left, the agent's warble on the right.
	st, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.ContactRecordings(context.Background(), m[1])
	if err != nil || len(recs) != 1 {
		t.Fatalf("recordings of %s: %+v, %v; want one", m[1], recs, err)
	}
	wav, err := os.ReadFile(filepath.Join(dir, recs[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	if len(wav) < 44 || string(wav[:4]) != "RIFF" || binary.LittleEndian.Uint16(wav[22:]) != 2 || binary.LittleEndian.Uint32(wav[24:]) != 8000 {
		t.Fatalf("recording %s is not 8 kHz stereo: % x", recs[0].Path, wav[:min(len(wav), 44)])
	}
	samples := (len(wav) - 44) / 4
	length := time.Duration(samples) * time.Second / 8000
	if length < 2*time.Second || (length-recs[0].Duration).Abs() > 100*time.Millisecond {
		t.Errorf("recording of %v, the store says %v; want at least 2s and the same", length, recs[0].Duration)
	}
	channel := func(ch int) []int16 {
		out := make([]int16, samples)
		for i := range out {
			out[i] = int16(binary.LittleEndian.Uint16(wav[44+4*i+2*ch:]))
		}
		return out
	}
	left, right := channel(0), channel(1)
	if n := blocksWith(left, 1000); n < 10 {
		t.Errorf("the customer's tone in %d blocks of the left channel, want at least 10", n)
	}
	if n := blocksWith(right, 1500) + blocksWith(right, 2000); n < 10 {
		t.Errorf("the agent's warble in %d blocks of the right channel, want at least 10", n)
	}
	if n := blocksWith(left, 1500) + blocksWith(left, 2000); n > 0 {
		t.Errorf("the agent's warble in %d blocks of the customer's (left) channel", n)
	}
}

// blocksWith counts the 20 ms blocks of pcm whose power is mostly at freq.
func blocksWith(pcm []int16, freq float64) int {
	n := 0
	for i := 0; i+160 <= len(pcm); i += 160 {
		b := pcm[i : i+160]
		var total float64
		for _, v := range b {
			total += float64(v) * float64(v)
		}
		if total < 1e6 {
			continue
		}
		k := 2 * math.Cos(2*math.Pi*freq/8000)
		var s1, s2 float64
		for _, v := range b {
			s := float64(v) + k*s1 - s2
			s2, s1 = s1, s
		}
		if s1*s1+s2*s2-k*s1*s2 > total*float64(len(b))/4 {
			n++
		}
	}
	return n
}
