package main

import (
	"context"
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
	needBaresip(t)
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
	mic := filepath.Join(t.TempDir(), "mic.wav")
	writeWAV(t, mic, warblePCM(90*time.Second))
	ua := startBaresip(t, mic, "<sip:8001@"+sipAddr+">;auth_pass=desk-phone-8001;regint=300;answermode=auto;audio_codecs=PCMA", 180*time.Second)
	// The registration is what lets the server ring it (baresip
	// registers as it starts; the server logs the binding).
	for i := 0; !strings.Contains(r.stderr.String(), `msg="sip phone registered"`); i++ {
		if i == 200 {
			t.Fatalf("baresip did not register\nbaresip: %s\nserver: %s", ua.log(), tail(r.stderr.String(), 1500))
		}
		time.Sleep(100 * time.Millisecond)
	}
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
				caller.warble.Load(), caller.frames.Load(), ua.log(), tail(r.stderr.String(), 1500))
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
	ua.stop()
	caller.hangup()
	if code := r.stop(); code != 0 {
		t.Fatalf("serve exited with %d: %s", code, tail(r.stderr.String(), 2000))
	}

	// baresip heard the caller's 1 kHz tone.
	if n := toneFrames(ua.received(), 1000); n < 25 {
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
