package siptest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Trunk is a carrier's SIP trunk on loopback: it asks every INVITE for
// digest credentials (407 Proxy-Authenticate, RFC 3261 22.3), answers
// the authenticated ones with an RTP socket of its own (PCMU), and takes
// BYE. It is the far end of the hotline's calls out in tests.
type Trunk struct {
	t      testing.TB
	dialog *sipgo.DialogUA
	// Addr is the trunk's host:port (UDP).
	Addr string
	// RTP is the called party's media socket.
	RTP *net.UDPConn
	// Invites delivers each INVITE that passed authentication; Refused
	// each one with wrong credentials; Byes a BYE from the hotline.
	Invites chan *sip.Request
	Refused chan *sip.Request
	Byes    chan struct{}

	user, password, realm string

	mu     sync.Mutex
	answer int // 200 or a failure code
	nonces int
	dlg    *sipgo.DialogServerSession
}

// NewTrunk starts a trunk taking calls from user with password.
func NewTrunk(t testing.TB, user, password string) *Trunk {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("siptest-trunk"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port))
	if err != nil {
		t.Fatal(err)
	}
	tr := &Trunk{t: t, Addr: conn.LocalAddr().String(), user: user, password: password, realm: "trunk.test", answer: 200,
		Invites: make(chan *sip.Request, 8), Refused: make(chan *sip.Request, 8), Byes: make(chan struct{}, 8)}
	tr.dialog = &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "trunk", Host: "127.0.0.1", Port: port}}}
	if tr.RTP, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	srv.OnInvite(tr.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if d := tr.dialogNow(); d != nil {
			_ = d.ReadAck(req, tx)
		}
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if d := tr.dialogNow(); d != nil {
			_ = d.ReadBye(req, tx)
		}
		tr.Byes <- struct{}{}
	})
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.ServeUDP(conn)
	}()
	t.Cleanup(func() {
		tr.RTP.Close()
		ua.Close()
		conn.Close()
		<-served
	})
	return tr
}

// SetAnswer changes how the next authenticated INVITEs are answered.
func (tr *Trunk) SetAnswer(code int) {
	tr.mu.Lock()
	tr.answer = code
	tr.mu.Unlock()
}

// Hangup sends BYE on the last answered call.
func (tr *Trunk) Hangup() error {
	d := tr.dialogNow()
	if d == nil {
		return fmt.Errorf("no call")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return d.Bye(ctx)
}

func (tr *Trunk) dialogNow() *sipgo.DialogServerSession {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.dlg
}

func (tr *Trunk) challenge(req *sip.Request, tx sip.ServerTransaction) {
	tr.mu.Lock()
	tr.nonces++
	nonce := fmt.Sprintf("nonce%d", tr.nonces)
	tr.mu.Unlock()
	c := digest.Challenge{Realm: tr.realm, Nonce: nonce, Algorithm: "MD5", QOP: []string{"auth"}}
	res := sip.NewResponseFromRequest(req, 407, "Proxy Authentication Required", nil)
	res.AppendHeader(sip.NewHeader("Proxy-Authenticate", c.String()))
	_ = tx.Respond(res)
}

// authorized checks the INVITE's Proxy-Authorization against the
// trunk's account.
func (tr *Trunk) authorized(req *sip.Request) (present, ok bool) {
	h := req.GetHeader("Proxy-Authorization")
	if h == nil {
		return false, false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Username != tr.user || cred.Realm != tr.realm {
		return true, false
	}
	want, err := digest.Digest(&digest.Challenge{Realm: tr.realm, Nonce: cred.Nonce, Algorithm: "MD5", QOP: []string{"auth"}},
		digest.Options{Method: "INVITE", URI: cred.URI, Username: tr.user, Password: tr.password, Cnonce: cred.Cnonce, Count: cred.Nc})
	if err != nil {
		return true, false
	}
	return true, want.Response == cred.Response
}

func (tr *Trunk) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	present, ok := tr.authorized(req)
	if !ok {
		if present {
			tr.Refused <- req
		}
		tr.challenge(req, tx)
		return
	}
	tr.Invites <- req
	d, err := tr.dialog.ReadInvite(req, tx)
	if err != nil {
		return
	}
	tr.mu.Lock()
	tr.dlg = d
	answer := tr.answer
	tr.mu.Unlock()
	_ = d.Respond(180, "Ringing", nil)
	if answer != 200 {
		_ = d.Respond(answer, "Not Now", nil)
		return
	}
	port := tr.RTP.LocalAddr().(*net.UDPAddr).Port
	sdp := fmt.Sprintf("v=0\r\no=- 3 3 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n", port)
	_ = d.RespondSDP([]byte(sdp))
}
