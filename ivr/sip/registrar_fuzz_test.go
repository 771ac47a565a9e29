package sip

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// keptAnswers is a server transaction that keeps the answers given to it.
type keptAnswers struct {
	sip.ServerTransaction // nil: any other method is a test failure (panic)
	answers               []*sip.Response
}

func (t *keptAnswers) Respond(res *sip.Response) error {
	t.answers = append(t.answers, res)
	return nil
}

// FuzzRegister feeds the registrar REGISTERs whose Authorization,
// Contact and Expires are the fuzzer's (the To user is 1001, whose
// password is s3cret). With sign set, the Authorization is replaced by
// the right digest for a fresh nonce, so the input reaches the Contact
// and Expires reading behind it. Each REGISTER gets exactly one answer of
// the registrar's codes; a 200 only with the password; a binding only by
// a 200, never longer than the maximum.
func FuzzRegister(f *testing.F) {
	f.Add(`Digest username="1001", realm="hotline", nonce="00", uri="sip:127.0.0.1", response="x", qop=auth, nc=00000001, cnonce="a"`, "<sip:1001@192.0.2.7:5060>", "300", false)
	f.Add("", "<sip:1001@192.0.2.7:5060>;expires=600", "300", true)
	f.Add("", "*", "0", true)
	f.Add("", "*", "300", true)
	f.Add("", "<sip:1001@192.0.2.7>", "10000000000", true)
	f.Add("", "<sip:1001@192.0.2.7>", "-1", true)
	f.Add("", "", "300", true)
	f.Add("", "<sip:1001@192.0.2.7>;expires=abc", "10", true)
	f.Add(`Digest username="1001", nc=zz`, "<sip:1001@[::1]:5060>", "", false)
	f.Add(`Basic dXNlcjpwYXNz`, "<sip:1001@192.0.2.7>", "300", false)
	f.Add(`Digest username="1001", realm="hotline", nonce="`+strings.Repeat("ab", 32)+`", uri="sip:x", response="", qop=auth, nc=7fffffff, cnonce=""`, "<sip:1001@192.0.2.7>", "300", false)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, auth, contact, expires string, sign bool) {
		s := &Server{o: Options{Now: func() time.Time { return now }, RetryAfter: 10 * time.Second},
			log: slog.New(slog.DiscardHandler), m: NewMetrics(nil)}
		r := newRegistrar(RegistrarOptions{Realm: "hotline", Credentials: staticCredentials{"1001": {"a1", HA1("1001", "hotline", "s3cret")}}})
		s.reg.Store(r)
		if sign {
			auth = digestFor("1001", "s3cret", r.nonce(now), 1).String()
		}
		var b strings.Builder
		b.WriteString("REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKfuzz\r\n")
		b.WriteString("From: <sip:1001@127.0.0.1>;tag=f\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: fuzz\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n")
		for name, v := range map[string]string{"Authorization": auth, "Contact": contact, "Expires": expires} {
			if v != "" {
				fmt.Fprintf(&b, "%s: %s\r\n", name, v)
			}
		}
		b.WriteString("Content-Length: 0\r\n\r\n")
		msg, err := sip.ParseMessage([]byte(b.String()))
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok || req.Method != sip.REGISTER {
			return
		}
		req.SetSource("192.0.2.7:5060")
		tx := &keptAnswers{}
		s.onRegister(req, tx)
		if len(tx.answers) != 1 {
			t.Fatalf("%d answers, want 1", len(tx.answers))
		}
		res := tx.answers[0]
		switch res.StatusCode {
		case 200, 400, 401, 403, 423:
		default:
			t.Fatalf("answered %d", res.StatusCode)
		}
		b2, bound := r.lookup("a1", now)
		if res.StatusCode == 200 {
			cred, err := digest.ParseCredentials(req.GetHeader("Authorization").Value())
			if err != nil || r.verify(cred, HA1("1001", "hotline", "s3cret"), "REGISTER", now) != replayed {
				t.Fatalf("200 to credentials that are not the password's: %v", err)
			}
			if bound {
				e := res.GetHeader("Expires")
				n, err := strconv.Atoi(e.Value())
				if err != nil || n < 60 || n > 7200 || !b2.expires.Equal(now.Add(time.Duration(n)*time.Second)) {
					t.Fatalf("bound until %v, answered Expires %v", b2.expires, e)
				}
			}
		} else if bound {
			t.Fatalf("bound by a %d", res.StatusCode)
		}
	})
}

// BenchmarkRegisterFlooded is what one REGISTER without credentials costs
// the registrar: challenged (within the source's bucket) or refused (past
// it). The response is built but not sent.
func BenchmarkRegisterFlooded(b *testing.B) {
	msg := "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKfuzz\r\n" +
		"From: <sip:1001@127.0.0.1>;tag=f\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: bench\r\nCSeq: 1 REGISTER\r\n" +
		"Contact: <sip:1001@192.0.2.7:5060>\r\nContent-Length: 0\r\n\r\n"
	for _, tc := range []struct {
		name  string
		burst int
	}{{"challenged", 1 << 30}, {"refused", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			s := &Server{o: Options{Now: func() time.Time { return now }, RetryAfter: 10 * time.Second},
				log: slog.New(slog.DiscardHandler), m: NewMetrics(nil)}
			s.reg.Store(newRegistrar(RegistrarOptions{Realm: "hotline", PerSource: 1, Burst: tc.burst,
				Credentials: staticCredentials{}}))
			m, err := sip.ParseMessage([]byte(msg))
			if err != nil {
				b.Fatal(err)
			}
			req := m.(*sip.Request)
			req.SetSource("192.0.2.7:5060")
			s.onRegister(req, &keptAnswers{}) // the one token, if any
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				tx := &keptAnswers{}
				s.onRegister(req, tx)
			}
		})
	}
}
