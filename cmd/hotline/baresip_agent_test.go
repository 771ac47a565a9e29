package main

import (
	"context"
	"encoding/binary"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/store"
)

// TestBaresipAgentPhone: baresip (Debian's baresip-core, headless) is an
// agent's REGISTERED SIP phone through one whole call in `hotline serve`:
// it registers with the digest credentials the administration API gave
// wang.fang, a caller dials 10000 and presses 0 (RFC 4733), the ACD
// offers the call to wang.fang (ready on the desk), the server rings
// baresip, which answers by itself (answermode=auto); the caller hears
// baresip's microphone (a 1500/2000 Hz warble) and baresip hears the
// caller's 1 kHz tone (its sndfile recording). wang.fang transfers the
// call blind to li.qiang, whose phone rings and answers; baresip's leg is
// hung up. li.qiang hangs up, the caller is taken to the post-contact
// survey and rates 1; the flow thanks and hangs up. The event log holds
// the rating for the contact.
func TestBaresipAgentPhone(t *testing.T) {
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip-core; .ci/test does)")
	}
	data := t.TempDir()
	r := start(t, "--data-dir", data, "--ivr-always-open", "--sip-rtp-timeout", "5m")
	waitReady(t, r.base)
	sipAddr := sipUDPAddr(t, r)
	call := adminCaller(t, r)
	const wait = 10 * time.Second

	// wang.fang's phone is baresip, registered with digest credentials.
	wangID, liID := agentID(t, call, "wang.fang"), agentID(t, call, "li.qiang")
	if code, out := call("PUT", "/api/v1/admin/agents/"+wangID+"/phone", `{"kind":"sip","sip_user":"8001","sip_password":"desk-phone-8001"}`); code != 200 {
		t.Fatalf("set phone: %d %v", code, out)
	}
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	if err := os.Mkdir(rec, 0o755); err != nil {
		t.Fatal(err)
	}
	writeWarble(t, filepath.Join(dir, "mic.wav"), 90*time.Second)
	ctrl := freePort(t)
	cfg := strings.Join([]string{
		"poll_method epoll", "sip_listen 127.0.0.1:" + freeSIPPort(t), "net_interface 127.0.0.1",
		"audio_player aubridge,nil", "audio_alert aubridge,nil", "audio_source aufile," + filepath.Join(dir, "mic.wav"),
		"audio_buffer 20-160", "jitter_buffer_delay 5-10", "rtcp_mux no",
		"module_path /usr/lib/baresip/modules", "module g711.so", "module aufile.so", "module aubridge.so", "module sndfile.so",
		"module_tmp account.so", "module_app menu.so", "module_app ctrl_tcp.so",
		"ctrl_tcp_listen 127.0.0.1:" + ctrl, "snd_path " + rec, ""}, "\n")
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	account := "<sip:8001@" + sipAddr + ">;auth_pass=desk-phone-8001;regint=300;answermode=auto;audio_codecs=PCMA\n"
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(account), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", dir, "-t", "180")
	var out syncBuffer // written by exec's copying goroutine while the test reads it
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var conn net.Conn
	for i := 0; ; i++ { // baresip takes a moment to listen
		if conn, err = net.Dial("tcp", "127.0.0.1:"+ctrl); err == nil {
			break
		}
		if i == 200 {
			t.Fatalf("baresip ctrl_tcp: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer conn.Close()
	// The registration is what lets the server ring it (baresip
	// registers as it starts; the server logs the binding).
	for i := 0; !strings.Contains(r.stderr.String(), `msg="sip phone registered"`); i++ {
		if i == 200 {
			t.Fatalf("baresip did not register\nbaresip: %s\nserver: %s", tail(out.String(), 1500), tail(r.stderr.String(), 1500))
		}
		time.Sleep(100 * time.Millisecond)
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		_, _ = io.Copy(io.Discard, conn)
	}()
	defer func() { conn.Close(); <-drained }()

	desk := func(login string) *deskttest.Client {
		t.Helper()
		d, _, err := deskttest.Dial(context.Background(), r.base, "/ws/desk", agentdesk.DeskProtocol, r.login(t, login))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		if _, err := d.Hello("", "", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Want("snapshot", nil, wait); err != nil {
			t.Fatal(err)
		}
		return d
	}
	wang := desk("wang.fang")
	if _, err := wang.Do("state.ready", nil, wait); err != nil {
		t.Fatalf("ready: %v", err)
	}

	// The caller presses 0 (agent) until the offer reaches wang.fang.
	caller := dialSIP(t, sipAddr)
	offered := make(chan string, 1)
	go func() {
		var offer struct {
			Contact string `json:"contact_id"`
		}
		if _, err := wang.Want("offer", &offer, 40*time.Second); err == nil {
			offered <- offer.Contact
		}
		close(offered)
	}()
	var contact string
	for i := 0; contact == ""; i++ {
		if i == 40 {
			t.Fatalf("no offer to wang.fang: %s", tail(r.stderr.String(), 2000))
		}
		caller.digit('0')
		select {
		case contact = <-offered:
		case <-time.After(time.Second):
		}
	}
	if contact == "" {
		t.Fatalf("no offer to wang.fang: %s", tail(r.stderr.String(), 2000))
	}
	// baresip answers by itself; the caller hears its warble.
	for i := 0; caller.warble.Load() < 25; i++ {
		if i == 300 {
			t.Fatalf("the caller heard %d warble frames of %d from baresip\nbaresip: %s\nserver: %s",
				caller.warble.Load(), caller.frames.Load(), tail(out.String(), 1500), tail(r.stderr.String(), 1500))
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // a second of the caller's tone for baresip's recording

	// li.qiang, ready now (so the ACD gave the call to wang.fang first),
	// takes the blind transfer on a SIP phone of the test's.
	phone := giveSIPPhone(t, call, sipAddr, "li.qiang", "8002", "desk-phone-8002")
	li := desk("li.qiang")
	if _, err := li.Do("state.ready", nil, wait); err != nil {
		t.Fatalf("ready: %v", err)
	}
	if _, err := wang.Do("call.transfer", map[string]string{"contact_id": contact, "agent_id": liID, "note": "baresip test"}, wait); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	var ended struct {
		Contact string `json:"contact_id"`
		Reason  string `json:"reason"`
	}
	if _, err := wang.Want("contact.ended", &ended, wait); err != nil || ended.Contact != contact || ended.Reason != "transferred" {
		t.Fatalf("wang.fang's desk: contact.ended %+v, %v", ended, err)
	}
	select {
	case <-phone.Invites:
	case <-time.After(30 * time.Second):
		t.Fatalf("li.qiang's phone never rang: %s", tail(r.stderr.String(), 2000))
	}
	// Bridged: the caller's audio reaches li.qiang's phone.
	buf := make([]byte, 1500)
	_ = phone.RTP.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := phone.RTP.ReadFromUDP(buf); err != nil {
		t.Fatalf("li.qiang's phone heard nothing: %v", err)
	}
	if err := phone.Hangup(); err != nil {
		t.Fatal(err)
	}

	// The survey: the caller rates 1 until the flow hangs up.
	for i := 0; ; i++ {
		if _, body := get(t, r.base+"/metrics"); strings.Contains(body, "hotline_sip_calls_in_progress 0") {
			break
		}
		if i == 30 {
			t.Fatalf("the call did not end after the survey: %s", tail(r.stderr.String(), 2000))
		}
		caller.digit('1')
		time.Sleep(time.Second)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	caller.hangup()
	if code := r.stop(); code != 0 {
		t.Fatalf("serve exited with %d: %s", code, tail(r.stderr.String(), 2000))
	}

	// baresip heard the caller's 1 kHz tone.
	files, _ := filepath.Glob(filepath.Join(rec, "*-dec.wav"))
	if len(files) != 1 {
		t.Fatalf("baresip's received audio files %v, want one\n%s", files, tail(out.String(), 1500))
	}
	if n := toneFrames(readPCM(t, files[0]), 1000); n < 25 {
		t.Errorf("baresip heard the caller's tone in %d frames of 20 ms, want at least 25", n)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Events(ctx, store.EventFilter{TypePrefix: "ivr.survey_result"})
	if err != nil {
		t.Fatal(err)
	}
	rated := false
	for _, e := range evs {
		rated = rated || e.ContactID == contact
	}
	if !rated {
		t.Errorf("no survey result for %s in %d survey events", contact, len(evs))
	}
}

func agentID(t *testing.T, call func(method, path, body string) (int, map[string]any), login string) string {
	t.Helper()
	_, list := call("GET", "/api/v1/admin/agents?limit=100", "")
	for _, a := range list["agents"].([]any) {
		if a := a.(map[string]any); a["login"] == login {
			return a["id"].(string)
		}
	}
	t.Fatalf("no agent %s", login)
	return ""
}

// writeWarble writes an 8 kHz 16-bit mono WAV of d alternating 1500 and
// 2000 Hz every 100 ms (what sipCaller.listen counts as the agent).
func writeWarble(t *testing.T, path string, d time.Duration) {
	t.Helper()
	n := int(d / time.Second * 8000)
	var b []byte
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(36+2*n))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1) // PCM
	b = binary.LittleEndian.AppendUint16(b, 1) // mono
	b = binary.LittleEndian.AppendUint32(b, 8000)
	b = binary.LittleEndian.AppendUint32(b, 16000)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(2*n))
	phase := 0.0
	for i := range n {
		f := 1500.0
		if (i/800)%2 == 1 {
			f = 2000
		}
		phase += 2 * math.Pi * f / 8000
		b = binary.LittleEndian.AppendUint16(b, uint16(int16(12000*math.Sin(phase))))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// toneFrames counts the 20 ms frames of pcm whose power is mostly at freq.
func toneFrames(pcm []int16, freq float64) int {
	k := 2 * math.Cos(2*math.Pi*freq/8000)
	n := 0
	for i := 0; i+160 <= len(pcm); i += 160 {
		var s1, s2, total float64
		for _, v := range pcm[i : i+160] {
			x := float64(v)
			total += x * x
			s := x + k*s1 - s2
			s2, s1 = s1, s
		}
		if total > 1e6 && s1*s1+s2*s2-k*s1*s2 > total*160/4 {
			n++
		}
	}
	return n
}
