// Package siptest holds a SIP phone for tests: an agent's desk phone made
// with sipgo that registers with digest credentials, rings, answers with
// an RTP socket of its own, and hangs up.
package siptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Phone is a SIP phone on loopback.
type Phone struct {
	t      testing.TB
	client *sipgo.Client
	dialog *sipgo.DialogUA
	host   string // the loopback address the phone's sockets are on
	port   int
	server string
	// RTP is the phone's media socket (PCMA and telephone-event 101 in
	// its answers).
	RTP *net.UDPConn
	// Invites delivers each INVITE the phone gets; Canceled a ring ended
	// by CANCEL; Byes a BYE from the far end.
	Invites  chan *sip.Request
	Canceled chan struct{}
	Byes     chan struct{}

	mu     sync.Mutex
	answer int // 200, a failure code, or 0: ring until CANCEL
	dlg    *sipgo.DialogServerSession
	// ans is the last dialog answered 200, set once its answer is out
	// (the test's requests in it must not race with the answer being
	// written); answered is signalled then.
	ans      *sipgo.DialogServerSession
	answered chan struct{}
}

// NewPhone starts a phone answering INVITEs with answer (200 answers, 0
// rings until CANCEL, anything else is the final failure code) and whose
// registrar is server (host:port).
func NewPhone(t testing.TB, server string, answer int) *Phone {
	t.Helper()
	return NewPhoneAt(t, server, answer, "127.0.0.1")
}

// NewPhoneAt is NewPhone with the phone's SIP and RTP sockets on host, a
// loopback address other than 127.0.0.1 (127.0.0.2...): a phone that is
// another source to the server.
func NewPhoneAt(t testing.TB, server string, answer int, host string) *Phone {
	t.Helper()
	ip := net.ParseIP(host)
	if ip == nil {
		t.Fatalf("siptest: phone address %q is no IP address", host)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("siptest-phone"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
	if err != nil {
		t.Fatal(err)
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	// The phone's requests leave from a port of its own address (port 0:
	// sipgo's client socket), so the registrar sees host as their source;
	// answers come to the listener (Via).
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(host), sipgo.WithClientPort(port),
		sipgo.WithClientConnectionAddr(net.JoinHostPort(host, "0")))
	if err != nil {
		t.Fatal(err)
	}
	p := &Phone{t: t, client: client, host: host, port: port, server: server, answer: answer,
		Invites: make(chan *sip.Request, 8), Canceled: make(chan struct{}, 8), Byes: make(chan struct{}, 8), answered: make(chan struct{}, 1)}
	p.dialog = &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: host, Port: port}}}
	if p.RTP, err = net.ListenUDP("udp", &net.UDPAddr{IP: ip}); err != nil {
		t.Fatal(err)
	}
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if d := p.dialogNow(); d != nil {
			_ = d.ReadAck(req, tx)
		}
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if d := p.dialogNow(); d != nil {
			_ = d.ReadBye(req, tx)
		}
		p.Byes <- struct{}{}
	})
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.ServeUDP(conn)
	}()
	// Stopped in the order the server's Serve stops (ivr/sip awaitSipgo):
	// the listener and its reader first, then sipgo's handlers of what it
	// read, then the UA's connection pool. Closing the UA first let a
	// handler still running (the ringer's ACK of a failure answer) find no
	// transaction and open a new UDP connection to answer on, whose reader
	// outlived the test (TestRingSIPPhone, about half the runs).
	t.Cleanup(func() {
		p.RTP.Close()
		conn.Close()
		<-served
		awaitHandlers()
		ua.Close()
	})
	return p
}

// SetAnswer changes how the next INVITEs are answered.
func (p *Phone) SetAnswer(code int) {
	p.mu.Lock()
	p.answer = code
	p.mu.Unlock()
}

func (p *Phone) dialogNow() *sipgo.DialogServerSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dlg
}

func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	p.Invites <- req
	d, err := p.dialog.ReadInvite(req, tx)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.dlg = d
	answer := p.answer
	p.mu.Unlock()
	_ = d.Respond(180, "Ringing", nil)
	switch answer {
	case 0:
		<-d.Context().Done()
		p.Canceled <- struct{}{}
	case 200:
		port := p.RTP.LocalAddr().(*net.UDPAddr).Port
		sdp := fmt.Sprintf("v=0\r\no=- 2 2 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"+
			"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n", p.host, p.host, port)
		_ = d.RespondSDP([]byte(sdp))
		p.mu.Lock()
		p.ans = d
		p.mu.Unlock()
		select {
		case p.answered <- struct{}{}:
		default:
		}
	default:
		_ = d.Respond(answer, "Not Now", nil)
	}
}

// Register sends REGISTER for user with the password (answering the
// digest challenge) and returns the final response.
func (p *Phone) Register(user, password string, expires int) *sip.Response {
	p.t.Helper()
	host, port, _ := net.SplitHostPort(p.server)
	pn, _ := strconv.Atoi(port)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: pn})
	aor := sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1"}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", newTag())
	req.AppendHeader(from)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: p.host, Port: p.port}})
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		p.t.Fatalf("register: %v", err)
	}
	if res.StatusCode != 401 {
		return res
	}
	res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
	if err != nil {
		p.t.Fatalf("register with digest: %v", err)
	}
	return res
}

// answeredDialog is the call the phone answered last, once its answer is
// out (waiting for that for at most 5 s); nil: none.
func (p *Phone) answeredDialog() *sipgo.DialogServerSession {
	deadline := time.After(5 * time.Second)
	for {
		p.mu.Lock()
		d, cur := p.ans, p.dlg
		p.mu.Unlock()
		if d != nil && d == cur {
			return d
		}
		select {
		case <-p.answered:
		case <-deadline:
			return nil
		}
	}
}

// Hangup sends BYE on the answered call.
func (p *Phone) Hangup() error {
	d := p.answeredDialog()
	if d == nil {
		return fmt.Errorf("siptest: no call to hang up")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return d.Bye(ctx)
}

// Info sends an INFO in the answered call's dialog (a key pressed:
// application/dtmf-relay "Signal=5") and returns the final answer's code.
func (p *Phone) Info(contentType, body string) (int, error) {
	res, err := p.Request(sip.INFO, contentType, body)
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// Request sends a request in the answered call's dialog (INFO, a
// re-INVITE with a new offer or none, UPDATE) and returns the final
// answer; a re-INVITE's 2xx is acknowledged.
func (p *Phone) Request(method sip.RequestMethod, contentType, body string) (*sip.Response, error) {
	d := p.answeredDialog()
	if d == nil {
		return nil, fmt.Errorf("siptest: no call for the %s", method)
	}
	req := sip.NewRequest(method, d.InviteRequest.Contact().Address)
	req.SetTransport(d.InviteRequest.Transport())
	if body != "" {
		req.AppendHeader(sip.NewHeader("Content-Type", contentType))
		req.SetBody([]byte(body))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := d.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if method == sip.INVITE && res.IsSuccess() {
		// The dialog fills in From, To, Call-ID and the re-INVITE's CSeq.
		ack := sip.NewRequest(sip.ACK, req.Recipient)
		if err := d.WriteRequest(ack); err != nil {
			return res, fmt.Errorf("siptest: ack: %w", err)
		}
	}
	return res, nil
}

// awaitHandlers waits, for at most a second, until sipgo has handled every
// message its readers handed over: it runs each on a goroutine of its own
// and gives no way to wait for them, so they are found by where they were
// started (the same as ivr/sip's awaitSipgo, which this package cannot
// import).
func awaitHandlers() {
	deadline := time.Now().Add(time.Second)
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n == len(buf) && len(buf) < 64<<20 {
			buf = make([]byte, 2*len(buf))
			continue
		}
		if !bytes.Contains(buf[:n], []byte("created by github.com/emiago/sipgo/sip.(*TransactionLayer).handleMessage")) || time.Now().After(deadline) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func newTag() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
