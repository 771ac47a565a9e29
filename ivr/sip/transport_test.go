package sip

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/ivr"
)

// TestCallOverTCPAndTLS: a whole call (INVITE, 200 with the SDP answer,
// ACK, our prompt, the caller's BYE) over the TCP listener and over the
// TLS one, each on its one connection, as the issue's "listeners on UDP
// and TCP (TLS by configuration)" asks.
func TestCallOverTCPAndTLS(t *testing.T) {
	cert := selfSigned(t)
	played := make(chan struct{}, 2)
	ts := startServer(t, Options{TCPAddr: "127.0.0.1:0", TLSAddr: "127.0.0.1:0",
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}},
		func(ctx context.Context, ch ivr.Channel) error {
			if _, err := ch.Play(ctx, ivr.Utterance{Lang: "zh", Items: []ivr.Item{{Prompt: "welcome"}}}); err != nil {
				return err
			}
			played <- struct{}{}
			_, err := ch.Receive(ctx, time.Time{}, nil)
			return err
		})
	for _, transport := range []string{"tcp", "tls"} {
		t.Run(transport, func(t *testing.T) {
			addr := ts.Addr(transport)
			if addr == "" {
				t.Fatalf("no %s listener", transport)
			}
			var conn net.Conn
			var err error
			if transport == "tls" {
				conn, err = tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // our own test certificate
			} else {
				conn, err = net.Dial("tcp", addr)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			c := &streamUAC{t: t, conn: conn, r: textproto.NewReader(bufio.NewReader(conn)), transport: strings.ToUpper(transport),
				server: addr, callID: newID() + "@test", tag: newID()}
			c.send("INVITE", callerSDP)
			res := c.final()
			if res.StatusCode != 200 {
				t.Fatalf("INVITE over %s: %d %s", transport, res.StatusCode, res.Reason)
			}
			if _, err := ParseOffer(res.Body()); err != nil {
				t.Fatalf("answer over %s: %v\n%s", transport, err, res.Body())
			}
			// Our Contact takes the caller's ACK and BYE to this listener:
			// sips: for TLS (RFC 3261 19.1), transport=tcp for TCP.
			want := "<sip:10000@" + addr + ";transport=tcp>"
			if transport == "tls" {
				want = "<sips:10000@" + addr + ">"
			}
			if ct := res.Contact(); ct == nil || ct.Value() != want {
				t.Errorf("Contact %v, want %s", ct, want)
			}
			c.toTag, _ = res.To().Params.Get("tag")
			c.send("ACK", "")
			select {
			case <-played:
			case <-time.After(10 * time.Second):
				t.Fatal("the flow did not play")
			}
			c.send("BYE", "")
			if res := c.final(); res.StatusCode != 200 || res.CSeq().MethodName != sip.BYE {
				t.Fatalf("BYE over %s: %d %v", transport, res.StatusCode, res.CSeq())
			}
			if err := waitFlow(t, ts.runner); !errors.Is(err, ivr.ErrHangup) {
				t.Fatalf("flow ended with %v, want ErrHangup", err)
			}
		})
	}
	if got := ts.attempts("200"); got != 2 {
		t.Errorf("200 attempts %v, want 2", got)
	}
}

// streamUAC is a scripted caller on one TCP or TLS connection.
type streamUAC struct {
	t                 *testing.T
	conn              net.Conn
	r                 *textproto.Reader
	transport, server string
	callID, tag       string
	toTag             string
	cseq              int
}

func (c *streamUAC) send(method, body string) {
	c.t.Helper()
	if method != "ACK" {
		c.cseq++
	}
	to := fmt.Sprintf("<sip:10000@%s>", c.server)
	if c.toTag != "" {
		to += ";tag=" + c.toTag
	}
	local := c.conn.LocalAddr().String()
	var b strings.Builder
	fmt.Fprintf(&b, "%s sip:10000@%s;transport=%s SIP/2.0\r\n", method, c.server, strings.ToLower(c.transport))
	fmt.Fprintf(&b, "Via: SIP/2.0/%s %s;branch=z9hG4bK%s\r\n", c.transport, local, newID())
	fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:13800138000@127.0.0.1>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n", c.tag, to, c.callID, c.cseq, method)
	fmt.Fprintf(&b, "Contact: <sip:13800138000@%s;transport=%s>\r\n", local, strings.ToLower(c.transport))
	if body != "" {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		c.t.Fatal(err)
	}
}

// read is the next message on the stream, framed by its Content-Length
// (RFC 3261 18.3); the deadline only bounds a broken test.
func (c *streamUAC) read() sip.Message {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var head strings.Builder
	length := 0
	for {
		l, err := c.r.ReadLine()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if l == "" && head.Len() == 0 {
			continue // keep-alive CRLF
		}
		if l == "" {
			break
		}
		head.WriteString(l + "\r\n")
		if k, v, ok := strings.Cut(l, ":"); ok && (strings.EqualFold(k, "Content-Length") || k == "l") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(c.r.R, body); err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	m, err := sip.ParseMessage(append([]byte(head.String()+"\r\n"), body...))
	if err != nil {
		c.t.Fatalf("parse: %v", err)
	}
	return m
}

func (c *streamUAC) final() *sip.Response {
	c.t.Helper()
	for {
		m := c.read()
		res, ok := m.(*sip.Response)
		if !ok {
			c.t.Fatalf("want a response, got %s", m.String())
		}
		if !res.IsProvisional() {
			return res
		}
	}
}

// selfSigned is a throwaway certificate for 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hotline test"},
		NotBefore: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
