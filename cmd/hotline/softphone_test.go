package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"
)

// TestBrowserAnswersSIPCall is the desk phone the whole way: hotline serve
// with its desk phones on loopback; the demo agent wang.fang signs in in
// Chromium (phonecall.mjs) and goes ready; a SIP caller (this test, over
// UDP) dials 10000 and presses 0 (RFC 4733): the flow queues the call,
// the desk rings, the agent answers in the browser and the call is
// bridged. The caller plays a 1 kHz tone, which the page hears (audio
// energy in its stats); the page's microphone is Chromium's fake capture
// of a warble (1500/2000 Hz) written here, which the caller hears. Then
// the agent transfers the call blind, with the desk's call tools, to the
// fault-voice queue, which li.qiang (a second page) serves: li.qiang's
// desk rings, li.qiang answers, and the caller hears li.qiang's
// microphone (more warble frames after the transfer than before). The
// supervisor sun.li listens from the board (its page's phone answers by
// itself and hears the call), leaves. li.qiang consults wang.fang with the
// desk's buttons (Consult; wang.fang answers and hears him), cancels,
// consults again, makes it a conference (the caller hears the agents
// again), completes the transfer (the caller hears wang.fang). The caller
// goes quiet and wang.fang mutes; sun.li whispers (Whisper on the board):
// wang.fang hears the supervisor, the caller does not (no warble in 50
// frames); sun.li barges in (the board card's Barge): the caller hears
// the supervisor. sun.li leaves, wang.fang hangs up, the caller hangs up.
func TestBrowserAnswersSIPCall(t *testing.T) {
	script, _ := filepath.Abs(filepath.Join(e2eDir, "phonecall.mjs"))
	needBrowser(t)
	warble := filepath.Join(t.TempDir(), "warble.wav")
	if err := os.WriteFile(warble, warbleWAV(), 0o644); err != nil {
		t.Fatal(err)
	}
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open", "--softphone-ips", "127.0.0.1")
	waitReady(t, r.base)
	m := regexp.MustCompile(`msg=listening sip=(\S+) transport=udp`).FindStringSubmatch(r.stderr.String())
	if m == nil {
		t.Fatalf("no SIP listener logged: %s", r.stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()

	// The script's turns: READY (the agent is ready: the call comes),
	// TRANSFERRED (the second agent talks to the caller: this test checks
	// the caller hears them and answers HEARD).
	sc := runE2EScript(ctx, t, r, script, "BASE_URL="+r.base, "DESK_LOGIN=wang.fang", "DESK_NAME=王芳", "DESK_PASSWORD="+r.password(t, "wang.fang"),
		"DESK2_LOGIN=li.qiang", "DESK2_NAME=李强", "DESK2_PASSWORD="+r.password(t, "li.qiang"), "SUP_LOGIN=sun.li", "SUP_PASSWORD="+r.password(t, "sun.li"),
		"TRANSFER_QUEUE=fault-voice", "FAKE_AUDIO="+warble)
	if !sc.await(ctx, "READY") {
		sc.finish()
		t.Fatal("the script ended before the agent was ready")
	}

	caller := dialSIP(t, m[1])
	// Press 0 until the desk rings (the digit may come before the menu
	// listens); the ring follows the queueing at once, the agent being
	// ready.
	rang := regexp.MustCompile(`msg="desk phone ringing"`)
	for i := 0; !rang.MatchString(r.stderr.String()); i++ {
		if i%30 == 0 {
			caller.digit('0')
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the desk never rang: %s", tail(r.stderr.String(), 3000))
		case <-sc.done:
			sc.finish()
			t.Fatalf("the page gave up before the desk rang")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if !sc.await(ctx, "TRANSFERRED") {
		caller.hangup()
		sc.finish()
		t.Fatal("the script ended before the transfer")
	}
	firstAgent := caller.warble.Load()
	t.Logf("before the transfer the caller heard %d frames of the agent's warble", firstAgent)
	if firstAgent < 10 {
		t.Errorf("the caller heard the first agent's microphone in %d frames, want at least 10", firstAgent)
	}
	// Read until the caller has heard the second agent (bounded by ctx).
	for caller.warble.Load() < firstAgent+10 {
		select {
		case <-ctx.Done():
			t.Fatalf("the caller never heard the second agent: %d warble frames, %d before the transfer", caller.warble.Load(), firstAgent)
		case <-sc.done:
			sc.finish()
			t.Fatal("the script ended while the caller listened")
		case <-time.After(20 * time.Millisecond):
		}
	}
	// hears reads until the caller heard n more warble frames.
	hears := func(n int64, what string) {
		from := caller.warble.Load()
		for caller.warble.Load() < from+n {
			select {
			case <-ctx.Done():
				t.Fatalf("the caller never heard %s: %d warble frames", what, caller.warble.Load()-from)
			case <-sc.done:
				sc.finish()
				t.Fatalf("the script ended while the caller listened for %s", what)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	sc.tell("HEARD")

	// The consultation: the caller hears hold music while the agents talk,
	// both agents once it is a conference, the consulted agent once the
	// transfer is complete.
	for _, turn := range []struct{ word, what string }{{"CONFERENCE", "the conference"}, {"COMPLETED", "the agent who took the call"}} {
		if !sc.await(ctx, turn.word) {
			caller.hangup()
			sc.finish()
			t.Fatalf("the script ended before %s", turn.word)
		}
		hears(10, turn.what)
		sc.tell("HEARD")
	}
	// Whisper and barge: the caller goes quiet and the agent mutes, so the
	// only warble left is the supervisor's microphone.
	if !sc.await(ctx, "QUIET") {
		caller.hangup()
		sc.finish()
		t.Fatal("the script ended before the whisper")
	}
	caller.quiet.Store(true)
	sc.tell("OK")
	if !sc.await(ctx, "WHISPER") {
		caller.hangup()
		sc.finish()
		t.Fatal("the script ended before the whisper was heard by the agent")
	}
	// The agent hears the supervisor now; over the next 50 frames (1 s)
	// the caller must not.
	w0, f0 := caller.warble.Load(), caller.frames.Load()
	for caller.frames.Load() < f0+50 {
		select {
		case <-ctx.Done():
			t.Fatal("the caller stopped hearing anything during the whisper")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if heardWhisper := caller.warble.Load() - w0; heardWhisper > 2 {
		t.Errorf("the caller heard the supervisor's whisper in %d of 50 frames", heardWhisper)
		sc.tell("HEARD")
	} else {
		sc.tell("NOT-HEARD")
	}
	if !sc.await(ctx, "BARGE") {
		caller.hangup()
		sc.finish()
		t.Fatal("the script ended before the barge")
	}
	hears(10, "the supervisor barge in")
	sc.tell("HEARD")
	sc.finish()
	caller.hangup()
	t.Logf("the caller heard %d frames, %d of them the agents' warble (%d before the transfer)", caller.frames.Load(), caller.warble.Load(), firstAgent)
	if !regexp.MustCompile(`msg="leg joined the call" .*mode=listen`).MatchString(r.stderr.String()) {
		t.Errorf("no supervisor's leg joined the call to listen (server log)")
	}
}

// warbleWAV is 4 s of the agents' warble (warblePCM) as a WAV file, for
// Chromium's fake microphone.
func warbleWAV() []byte { return wavFile(warblePCM(4 * time.Second)) }

// sipCaller is a bare SIP UA over UDP (RFC 3261): one INVITE with a PCMU
// offer, ACK, RTP both ways, RFC 4733 digits, BYE.
type sipCaller struct {
	t              *testing.T
	sip, media     *net.UDPConn
	server, remote *net.UDPAddr
	callID, tag    string
	toTag          string
	cseq           int
	ssrc           uint32

	mu     sync.Mutex // the RTP sender's sequence and timestamp
	seq    uint16
	ts     uint32
	stop   chan struct{}
	wg     sync.WaitGroup
	frames atomic.Int64 // RTP frames received
	warble atomic.Int64 // frames whose power is the agent's warble
	quiet  atomic.Bool  // send silence instead of the tone
}

func dialSIP(t *testing.T, server string) *sipCaller {
	t.Helper()
	c := &sipCaller{t: t, callID: strconv.FormatInt(time.Now().UnixNano(), 36) + "@softphone-test", tag: "t" + strconv.Itoa(os.Getpid()),
		cseq: 1, ssrc: 0x50f7, stop: make(chan struct{})}
	var err error
	if c.sip, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	if c.media, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.hangup(); c.sip.Close(); c.media.Close() })
	if c.server, err = net.ResolveUDPAddr("udp", server); err != nil {
		t.Fatal(err)
	}
	port := c.media.LocalAddr().(*net.UDPAddr).Port
	sdp := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0 101\r\n"+
		"a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n", port)
	c.send(c.request("INVITE", "z9hG4bK"+c.callID[:8]+"i", sdp))
	var answer string
	deadline := time.Now().Add(30 * time.Second)
	for answer == "" {
		msg := c.read(deadline)
		status, _, _ := strings.Cut(msg, "\r\n")
		switch {
		case strings.HasPrefix(status, "SIP/2.0 1"):
		case strings.HasPrefix(status, "SIP/2.0 200"):
			c.toTag = regexp.MustCompile(`(?mi)^(?:To|t):.*;tag=([^;\s]+)`).FindStringSubmatch(msg)[1]
			_, answer, _ = strings.Cut(msg, "\r\n\r\n")
		default:
			t.Fatalf("INVITE answered %q", status)
		}
	}
	mp := regexp.MustCompile(`m=audio (\d+)`).FindStringSubmatch(answer)
	ip := regexp.MustCompile(`c=IN IP4 (\S+)`).FindStringSubmatch(answer)
	if mp == nil || ip == nil {
		t.Fatalf("no media in the answer: %q", answer)
	}
	c.remote, _ = net.ResolveUDPAddr("udp", net.JoinHostPort(ip[1], mp[1]))
	c.cseq-- // the ACK has the INVITE's number
	c.send(c.request("ACK", "z9hG4bK"+c.callID[:8]+"a", ""))
	c.cseq++
	c.wg.Add(3)
	go c.talk()
	go c.listen()
	go c.answerRequests()
	return c
}

func (c *sipCaller) request(method, branch, body string) string {
	to := "<sip:10000@" + c.server.String() + ">"
	if c.toTag != "" {
		to += ";tag=" + c.toTag
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s sip:10000@%s SIP/2.0\r\n", method, c.server)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n", c.sip.LocalAddr(), branch)
	fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:13912345678@127.0.0.1>;tag=%s\r\nTo: %s\r\n", c.tag, to)
	fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d %s\r\nContact: <sip:13912345678@%s>\r\n", c.callID, c.cseq, method, c.sip.LocalAddr())
	if body != "" {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	if method != "ACK" {
		c.cseq++
	}
	return b.String()
}

func (c *sipCaller) send(msg string) {
	if _, err := c.sip.WriteToUDP([]byte(msg), c.server); err != nil {
		c.t.Errorf("send: %v", err)
	}
}

func (c *sipCaller) read(deadline time.Time) string {
	buf := make([]byte, 8192)
	_ = c.sip.SetReadDeadline(deadline)
	n, _, err := c.sip.ReadFromUDP(buf)
	if err != nil {
		c.t.Fatalf("no answer to the INVITE: %v", err)
	}
	return string(buf[:n])
}

// answerRequests answers the server's requests in the dialog (a BYE)
// with 200, and ignores retransmitted responses.
func (c *sipCaller) answerRequests() {
	defer c.wg.Done()
	buf := make([]byte, 8192)
	for {
		_ = c.sip.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, from, err := c.sip.ReadFromUDP(buf)
		select {
		case <-c.stop:
			return
		default:
		}
		if err != nil {
			continue
		}
		msg := string(buf[:n])
		if strings.HasPrefix(msg, "SIP/2.0") {
			continue
		}
		var resp strings.Builder
		resp.WriteString("SIP/2.0 200 OK\r\n")
		for _, line := range strings.Split(msg, "\r\n") {
			h := strings.ToLower(line)
			if strings.HasPrefix(h, "via:") || strings.HasPrefix(h, "from:") || strings.HasPrefix(h, "to:") ||
				strings.HasPrefix(h, "call-id:") || strings.HasPrefix(h, "cseq:") {
				resp.WriteString(line + "\r\n")
			}
		}
		resp.WriteString("Content-Length: 0\r\n\r\n")
		_, _ = c.sip.WriteToUDP([]byte(resp.String()), from)
	}
}

// talk sends a 1 kHz tone every 20 ms until the call ends.
func (c *sipCaller) talk() {
	defer c.wg.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		frame := make([]byte, 160)
		for n := range frame {
			frame[n] = g711.EncodeUlawFrame(int16(8000 * math.Sin(2*math.Pi*1000*float64(i*160+n)/8000)))
			if c.quiet.Load() {
				frame[n] = g711.EncodeUlawFrame(0)
			}
		}
		c.mu.Lock()
		c.seq++
		c.ts += 160
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: c.seq, Timestamp: c.ts, SSRC: c.ssrc}, Payload: frame}
		c.mu.Unlock()
		if b, err := p.Marshal(); err == nil {
			_, _ = c.media.WriteToUDP(b, c.remote)
		}
	}
}

// listen counts the frames heard and those carrying the agent's warble.
func (c *sipCaller) listen() {
	defer c.wg.Done()
	buf := make([]byte, 1500)
	for {
		_ = c.media.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := c.media.Read(buf)
		select {
		case <-c.stop:
			return
		default:
		}
		if err != nil {
			continue
		}
		var p rtp.Packet
		if p.Unmarshal(buf[:n]) != nil || p.PayloadType != 0 || len(p.Payload) == 0 {
			continue
		}
		c.frames.Add(1)
		if warbling(p.Payload) {
			c.warble.Add(1)
		}
	}
}

// warbling reports whether a µ-law frame is the agent's warble.
func warbling(ulaw []byte) bool {
	pcm := make([]int16, len(ulaw))
	for i, b := range ulaw {
		pcm[i] = g711.DecodeUlawFrame(b)
	}
	return isWarble(pcm)
}

// digit sends an RFC 4733 event for key: three packets of the event and
// three end packets (2.5.1.4), on the audio's timestamp clock.
func (c *sipCaller) digit(key byte) {
	ev := strings.IndexByte("0123456789*#", key)
	c.mu.Lock()
	defer c.mu.Unlock()
	start := c.ts + 160
	for i := range 6 {
		c.seq++
		dur := uint16(160 * (i + 1))
		end := byte(0)
		if i >= 3 {
			end, dur = 0x80, 160*4
		}
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, Marker: i == 0, SequenceNumber: c.seq, Timestamp: start, SSRC: c.ssrc},
			Payload: []byte{byte(ev), end | 10, byte(dur >> 8), byte(dur)}}
		if b, err := p.Marshal(); err == nil {
			_, _ = c.media.WriteToUDP(b, c.remote)
		}
	}
	c.ts += 160 * 4
}

// hangup sends BYE (once) and stops the media.
func (c *sipCaller) hangup() {
	select {
	case <-c.stop:
		return
	default:
	}
	close(c.stop)
	c.wg.Wait()
	c.send(c.request("BYE", "z9hG4bK"+c.callID[:8]+"b", ""))
}
