package main

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestBrowserAnswersBaresipCall is the Chromium proof with a real
// SIP user agent as the caller: baresip (headless, ctrl_tcp; its
// microphone a 1 kHz tone, what it receives recorded to a WAV) dials
// 10000 and presses 0 (RFC 4733); wang.fang, ready in Chromium
// (phonecall.mjs with UNTIL=listen), sees the desk ring and answers in the
// browser. Audio both ways: the page hears the caller (its stats), and
// baresip's recording, read while it grows, holds the agent's fake
// microphone (a warble). wang.fang transfers blind to fault-voice;
// li.qiang answers, hears the caller, and the recording gains more warble
// (li.qiang's microphone). sun.li listens from the board (the board's
// phone answers by itself and hears the call) and leaves; li.qiang hangs
// up, the caller hangs up. The whole recording is then checked: as long
// as the call, not silent, the agents' warble in it.
// TestBrowserAnswersSIPCall (Go caller) presses the remaining buttons.
func TestBrowserAnswersBaresipCall(t *testing.T) {
	script, _ := filepath.Abs(filepath.Join(e2eDir, "phonecall.mjs"))
	needBrowser(t)
	needBaresip(t)
	dir := t.TempDir()
	warble, mic := filepath.Join(dir, "warble.wav"), filepath.Join(dir, "mic.wav")
	writeWAV(t, warble, warblePCM(4*time.Second))
	writeWAV(t, mic, tonePCM(240*time.Second, 1000))
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open", "--softphone-ips", "127.0.0.1", "--sip-rtp-timeout", "5m")
	waitReady(t, r.base)
	sipAddr := sipUDPAddr(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	ua := startBaresip(t, mic, "<sip:13300000004@127.0.0.1>;regint=0;audio_codecs=PCMU", 300*time.Second)

	sc := runE2EScript(ctx, t, r, script, "BASE_URL="+r.base, "DESK_LOGIN=wang.fang", "DESK_NAME=王芳", "DESK_PASSWORD="+r.password(t, "wang.fang"),
		"DESK2_LOGIN=li.qiang", "DESK2_NAME=李强", "DESK2_PASSWORD="+r.password(t, "li.qiang"), "SUP_LOGIN=sun.li", "SUP_PASSWORD="+r.password(t, "sun.li"),
		"TRANSFER_QUEUE=fault-voice", "FAKE_AUDIO="+warble, "UNTIL=listen", "SHOTS=baresipcall")
	fail := func(format string, args ...any) {
		t.Helper()
		ua.send("hangup", "")
		sc.finish()
		t.Fatalf(format+"\nbaresip: %s", append(args, ua.log())...)
	}
	if !sc.await(ctx, "READY") {
		fail("the script ended before the agent was ready")
	}

	started := time.Now()
	ua.send("dial", "sip:10000@"+sipAddr)
	// Press 0 every 1.5 s until the desk rings (the key may come before
	// the menu listens); the ring follows the queueing at once, the agent
	// being ready.
	rang := regexp.MustCompile(`msg="desk phone ringing"`)
	for i := 0; !rang.MatchString(r.stderr.String()); i++ {
		if i%30 == 0 {
			ua.send("sndcode", "0")
		}
		select {
		case <-ctx.Done():
			fail("the desk never rang: %s", tail(r.stderr.String(), 3000))
		case <-sc.done:
			fail("the page gave up before the desk rang")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if !sc.await(ctx, "TRANSFERRED") {
		fail("the script ended before the transfer")
	}
	// The recording so far holds the first agent's microphone; read until
	// it holds as much again (the second agent's; bounded by ctx).
	firstAgent := warbleFrames(ua.receivedSoFar())
	t.Logf("before the transfer baresip heard %d frames of the agent's warble", firstAgent)
	if firstAgent < 10 {
		t.Errorf("baresip heard the first agent's microphone in %d frames, want at least 10", firstAgent)
	}
	for warbleFrames(ua.receivedSoFar()) < firstAgent+10 {
		select {
		case <-ctx.Done():
			fail("baresip never heard the second agent: %d warble frames, %d before the transfer", warbleFrames(ua.receivedSoFar()), firstAgent)
		case <-sc.done:
			fail("the script ended while baresip listened")
		case <-time.After(200 * time.Millisecond):
		}
	}
	sc.tell("HEARD")
	if !sc.await(ctx, "DONE") {
		fail("the script ended before the supervisor listened")
	}
	sc.finish()
	ua.send("hangup", "")
	callLen := time.Since(started)
	waitMetric(t, r, ua, "hotline_sip_calls_in_progress 0", 20*time.Second)
	ua.stop()
	if !regexp.MustCompile(`msg="leg joined the call" .*mode=listen`).MatchString(r.stderr.String()) {
		t.Errorf("no supervisor's leg joined the call to listen (server log)")
	}

	// What the caller received, whole: as long as the call, sound in most
	// of it (prompts, hold music, the agents), the agents' warble.
	pcm := ua.received()
	// The call's length is taken from the dial command, before baresip
	// set it up; on a loaded machine baresip also loses some of its
	// playout clock (82 s recorded in a call of 88 s at load 30): a tenth
	// is allowed; audio that stopped coming would fall short.
	got := time.Duration(len(pcm)) * time.Second / 8000
	if got < callLen-max(3*time.Second, callLen/10) || got > callLen+time.Second {
		t.Errorf("baresip received %v of audio in a call of %v", got, callLen)
	}
	silent := 0
	for i := 0; i+8000 <= len(pcm); i += 8000 {
		if rms(pcm[i:i+8000]) < 300 {
			silent++
		}
	}
	if seconds := len(pcm) / 8000; silent > seconds/3 {
		t.Errorf("%d of %d seconds baresip received are silent", silent, seconds)
	}
	if n := warbleFrames(pcm); n < firstAgent+10 {
		t.Errorf("the recording holds %d frames of the agents' warble, want at least %d", n, firstAgent+10)
	}
	t.Logf("baresip received %v in a call of %v: %d frames of the agents' warble, %d seconds silent", got, callLen, warbleFrames(pcm), silent)
}
