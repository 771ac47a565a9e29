package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/zaf/g711"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	hsip "github.com/hotline10000/hotline/ivr/sip"
	"github.com/hotline10000/hotline/ivr/sip/siptest"
)

// The whole voice path through `hotline serve`, over real sockets: an
// agent's SIP phone registers (digest), the agent is ready on the desk, a
// caller dials 10000 and presses 0, the ACD offers the call, the agent's
// phone rings and answers, and audio flows both ways (caller PCMU, phone
// PCMA). The phone hangs up; the call was recorded.
func TestCallRingsAgentSIPPhoneThroughServe(t *testing.T) {
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open")
	waitReady(t, r.base)
	sipAddr := sipUDPAddr(t, r)
	call := adminCaller(t, r)
	phone := giveSIPPhone(t, call, sipAddr, "wang.fang", "8001", "desk-phone-8001")

	const wait = 10 * time.Second
	agent, _, err := deskttest.Dial(context.Background(), r.base, "/ws/desk", agentdesk.DeskProtocol, r.login(t, "wang.fang"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Do("state.ready", nil, wait); err != nil {
		t.Fatalf("ready: %v", err)
	}

	// The caller: sipgo UA plus an RTP socket speaking PCMU.
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("caller"))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	cl, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	media, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer media.Close()
	sdp := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n", media.LocalAddr().(*net.UDPAddr).Port)
	dua := &sipgo.DialogUA{Client: cl, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "13911112222", Host: "127.0.0.1"}}}
	host, port, _ := net.SplitHostPort(sipAddr)
	var pn int
	fmt.Sscan(port, &pn)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "13911112222", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", "callertag")
	dlg, err := dua.Invite(ctx, sip.Uri{Scheme: "sip", User: "10000", Host: host, Port: pn}, []byte(sdp), from,
		sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatalf("call not answered: %v", err)
	}
	if err := dlg.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = dlg.Bye(context.Background()) }()
	ans, err := hsip.ParseOffer(dlg.InviteResponse.Body())
	if err != nil {
		t.Fatal(err)
	}
	server := net.UDPAddrFromAddrPort(ans.Remote)

	// Press 0 (RFC 4733) until the agent's phone rings, then talk: the
	// caller sends a steady tone value, bounded in count.
	callerByte := g711.EncodeUlawFrame(6000)
	stop := make(chan struct{})
	talking := make(chan struct{})
	go func() {
		defer close(talking)
		seq, ts := uint16(1), uint32(0)
		send := func(pt uint8, payload []byte, marker bool) {
			b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: 77, Marker: marker}, Payload: payload}).Marshal()
			_, _ = media.WriteToUDP(b, server)
			seq++
		}
		for i := 0; i < 3000; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if i%25 == 10 && len(phone.Invites) == 0 { // a '0' key, 100 ms, three end packets
				for k := 0; k < 3; k++ {
					send(101, []byte{0, 0x80 | 10, 0x03, 0x20}, k == 0)
				}
				ts += 800
				continue
			}
			send(0, bytes.Repeat([]byte{callerByte}, 160), false)
			ts += 160
		}
	}()
	defer func() { close(stop); <-talking }()

	var invite *sip.Request
	select {
	case invite = <-phone.Invites:
	case <-time.After(30 * time.Second):
		t.Fatalf("the agent's phone never rang: %s", r.stderr)
	}
	contactID := invite.GetHeader("X-Hotline-Contact").Value()
	// Caller -> phone, A-law.
	wantAtPhone := g711.Ulaw2AlawFrame(callerByte)
	buf := make([]byte, 1500)
	var hotlineRTP *net.UDPAddr
	for got := 0; got < 5*160; {
		_ = phone.RTP.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, a, err := phone.RTP.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("the phone heard %d bytes of the caller: %v", got, err)
		}
		hotlineRTP = a
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) == nil && pkt.PayloadType == 8 {
			got += bytes.Count(pkt.Payload, []byte{wantAtPhone})
		}
	}
	// Phone -> caller, µ-law.
	agentByte := g711.EncodeAlawFrame(-5000)
	for i := range 25 {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: uint16(i), Timestamp: uint32(160 * i), SSRC: 88},
			Payload: bytes.Repeat([]byte{agentByte}, 160)}).Marshal()
		_, _ = phone.RTP.WriteToUDP(b, hotlineRTP)
	}
	wantAtCaller := g711.Alaw2UlawFrame(agentByte)
	for got := 0; got < 5*160; {
		_ = media.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, _, err := media.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("the caller heard %d bytes of the agent: %v", got, err)
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) == nil && pkt.PayloadType == 0 {
			got += bytes.Count(pkt.Payload, []byte{wantAtCaller})
		}
	}
	// The call is being recorded, linked to its contact (the row exists
	// from the moment the bridge starts).
	code, out := call("GET", "/api/v1/contacts/"+contactID+"/recordings", "")
	if recs, _ := out["recordings"].([]any); code != 200 || len(recs) != 1 {
		t.Fatalf("recordings of %s: %d %v", contactID, code, out)
	}
	// The agent hangs up on the phone.
	if err := phone.Hangup(); err != nil {
		t.Fatal(err)
	}
}

// sipUDPAddr is the UDP address the server logged it listens on for SIP.
func sipUDPAddr(t *testing.T, r *running) string {
	t.Helper()
	m := regexp.MustCompile(`msg=listening sip=(\S+) transport=udp`).FindStringSubmatch(r.stderr.String())
	if m == nil {
		t.Fatalf("no SIP listener logged: %s", r.stderr)
	}
	return m[1]
}

// adminCaller calls the server's API as the demo admin and decodes the
// JSON answer.
func adminCaller(t *testing.T, r *running) func(method, path, body string) (int, map[string]any) {
	admin := r.login(t, "admin")
	return func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, r.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
}

// giveSIPPhone sets the agent's phone to a SIP phone with user and
// password through the administration API and registers a test phone
// with them at sipAddr.
func giveSIPPhone(t *testing.T, call func(method, path, body string) (int, map[string]any), sipAddr, login, user, password string) *siptest.Phone {
	t.Helper()
	_, list := call("GET", "/api/v1/admin/agents?limit=100", "")
	agentID := ""
	for _, a := range list["agents"].([]any) {
		if a := a.(map[string]any); a["login"] == login {
			agentID = a["id"].(string)
		}
	}
	body := `{"kind":"sip","sip_user":"` + user + `","sip_password":"` + password + `"}`
	if code, out := call("PUT", "/api/v1/admin/agents/"+agentID+"/phone", body); code != 200 {
		t.Fatalf("set phone: %d %v", code, out)
	}
	phone := siptest.NewPhone(t, sipAddr, 200)
	if res := phone.Register(user, password, 300); res.StatusCode != 200 {
		t.Fatalf("register: %d", res.StatusCode)
	}
	return phone
}
