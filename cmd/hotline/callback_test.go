package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
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

// ACD callback end to end through `hotline serve`, over real sockets: a
// caller dials 10000, presses 0, and while queued presses 1 ("call me
// back"); the IVR tells them their place is kept and hangs up. The contact
// waits on the board as a callback. When the agent goes ready, the
// agent's SIP phone rings first; once it answers, the customer is dialled
// through the trunk (a sipgo UAS asking for digest credentials) and the
// two are bridged: the customer's audio reaches the agent's phone. The
// customer hangs up; the agent's phone gets BYE.
func TestCallbackThroughTrunk(t *testing.T) {
	trunk := siptest.NewTrunk(t, "hotline", "trunk-secret")
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open", "--sip-trunk-proxy", trunk.Addr,
		"--sip-trunk-from", "02110000", "--sip-trunk-user", "hotline", "--sip-trunk-password", "trunk-secret")
	waitReady(t, r.base)
	sipAddr := sipUDPAddr(t, r)
	if strings.Contains(r.stderr.String(), "trunk-secret") {
		t.Fatal("the trunk password is in the log")
	}
	call := adminCaller(t, r)
	phone := giveSIPPhone(t, call, sipAddr, "wang.fang", "8002", "desk-phone-8002")

	const wait = 10 * time.Second
	// The agent signs in and stays not ready: the queue is staffed, the
	// caller waits.
	agent, _, err := deskttest.Dial(context.Background(), r.base, "/ws/desk", agentdesk.DeskProtocol, r.login(t, "wang.fang"))
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	if _, err := agent.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	board, _, err := deskttest.Dial(context.Background(), r.base, "/ws/desk", agentdesk.DeskProtocol, r.login(t, "sun.li"))
	if err != nil {
		t.Fatal(err)
	}
	defer board.Close()
	if _, err := board.Hello("board", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := board.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	// waiting returns the voice contact waiting on the next board the
	// supervisor's page is pushed, if any, and whether it waits as a
	// callback.
	waiting := func() (string, bool) {
		var b struct {
			Queues []struct {
				Queue    string `json:"queue"`
				Contacts []struct {
					ID       string `json:"contact_id"`
					Channel  string `json:"channel"`
					Callback bool   `json:"callback"`
				} `json:"contacts"`
			} `json:"queues"`
		}
		if _, err := board.Want("board", &b, 20*time.Second); err != nil {
			t.Fatalf("board: %v", err)
		}
		for _, q := range b.Queues {
			for _, c := range q.Contacts {
				if c.Channel == "voice" {
					return c.ID, c.Callback
				}
			}
		}
		return "", false
	}

	// The caller: a sipgo UA listening on its own port (the IVR's BYE
	// comes there) and an RTP socket speaking PCMU.
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("caller"))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	sigConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	sigPort := sigConn.LocalAddr().(*net.UDPAddr).Port
	byes := make(chan struct{}, 1)
	var dlg *sipgo.DialogClientSession
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if dlg != nil {
			_ = dlg.ReadBye(req, tx)
		}
		select {
		case byes <- struct{}{}:
		default:
		}
	})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.ServeUDP(sigConn)
	}()
	defer func() { sigConn.Close(); <-served }()
	cl, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(sigPort))
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
	dua := &sipgo.DialogUA{Client: cl, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "13911112222", Host: "127.0.0.1", Port: sigPort}}}
	host, port, _ := net.SplitHostPort(sipAddr)
	var pn int
	fmt.Sscan(port, &pn)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "13911112222", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", "cbcallertag")
	dlg, err = dua.Invite(ctx, sip.Uri{Scheme: "sip", User: "10000", Host: host, Port: pn}, []byte(sdp), from,
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
	ans, err := hsip.ParseOffer(dlg.InviteResponse.Body())
	if err != nil {
		t.Fatal(err)
	}
	server := net.UDPAddrFromAddrPort(ans.Remote)

	// Keys by RFC 4733, bounded in count: 0 until the contact waits in
	// the queue, then 1 until the IVR hangs up.
	key := make(chan byte, 1)
	key <- 0
	stop := make(chan struct{})
	talking := make(chan struct{})
	go func() {
		defer close(talking)
		seq, ts, k := uint16(1), uint32(0), byte(0)
		send := func(pt uint8, payload []byte, marker bool) {
			b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: 78, Marker: marker}, Payload: payload}).Marshal()
			_, _ = media.WriteToUDP(b, server)
			seq++
		}
		for i := 0; i < 4000; i++ {
			select {
			case <-stop:
				return
			case k = <-key:
			case <-time.After(20 * time.Millisecond):
			}
			if i%25 == 10 {
				for j := 0; j < 3; j++ {
					send(101, []byte{k, 0x80 | 10, 0x03, 0x20}, j == 0)
				}
				ts += 800
				continue
			}
			send(0, bytes.Repeat([]byte{0xff}, 160), false)
			ts += 160
		}
	}()
	defer func() { close(stop); <-talking }()

	contactID := ""
	for deadline := time.Now().Add(60 * time.Second); contactID == ""; {
		if time.Now().After(deadline) {
			t.Fatalf("the caller never queued: %s", r.stderr)
		}
		contactID, _ = waiting()
	}
	key <- 1
	select {
	case <-byes:
	case <-ctx.Done():
		t.Fatalf("the IVR did not hang up after the callback request: %s", r.stderr)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		id, cb := waiting()
		if id == contactID && cb {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the caller left: board shows %q callback=%v, want %s waiting as a callback", id, cb, contactID)
		}
	}

	// The agent goes ready: the phone rings first, then the trunk.
	if _, err := agent.Do("state.ready", nil, wait); err != nil {
		t.Fatalf("ready: %v", err)
	}
	select {
	case inv := <-phone.Invites:
		if h := inv.GetHeader("X-Hotline-Contact"); h == nil || h.Value() != contactID {
			t.Fatalf("the phone rang for %v, want %s", h, contactID)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the agent's phone never rang: %s", r.stderr)
	}
	var out *sip.Request
	select {
	case out = <-trunk.Invites:
	case <-time.After(30 * time.Second):
		t.Fatalf("the trunk was never called: %s", r.stderr)
	}
	if out.Recipient.User != "13911112222" || out.From().Address.User != "02110000" {
		t.Fatalf("call out to %s from %s", out.Recipient.User, out.From().Address.User)
	}
	offer, err := hsip.ParseOffer(out.Body())
	if err != nil {
		t.Fatal(err)
	}
	// Customer -> agent's phone (PCMU in, PCMA at the phone).
	customerByte := g711.EncodeUlawFrame(7000)
	for i := range 25 {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(i), Timestamp: uint32(160 * i), SSRC: 99},
			Payload: bytes.Repeat([]byte{customerByte}, 160)}).Marshal()
		_, _ = trunk.RTP.WriteToUDP(b, net.UDPAddrFromAddrPort(offer.Remote))
	}
	want := g711.Ulaw2AlawFrame(customerByte)
	buf := make([]byte, 1500)
	for got := 0; got < 5*160; {
		_ = phone.RTP.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, _, err := phone.RTP.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("the agent heard %d bytes of the customer: %v", got, err)
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) == nil && pkt.PayloadType == 8 {
			got += bytes.Count(pkt.Payload, []byte{want})
		}
	}
	// The customer hangs up: the agent's phone is hung up too.
	if err := trunk.Hangup(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-phone.Byes:
	case <-time.After(30 * time.Second):
		t.Fatalf("the agent's phone got no BYE: %s", r.stderr)
	}
}
