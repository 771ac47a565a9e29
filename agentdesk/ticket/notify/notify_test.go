package notify_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/notify"
)

var ctx = context.Background()

func msg(medium ticket.Medium, to string) ticket.Message {
	return ticket.Message{ID: 7, Key: "42:1700000000:0:created:" + string(medium), Ticket: 42, Medium: medium, To: to,
		Subject: "工单20261123000001：created", Body: "【10000号】您好，您的故障工单已受理。",
		CreatedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
}

func TestSMSGateway(t *testing.T) {
	var got struct {
		auth, key string
		body      map[string]string
	}
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.auth, got.key = r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key")
		json.NewDecoder(r.Body).Decode(&got.body)
		w.WriteHeader(status)
		io.WriteString(w, `{"id":"gw-981"}`)
	}))
	defer srv.Close()
	g := &notify.SMSGateway{URL: srv.URL, Token: "tok", Sender: "10000", Client: srv.Client()}
	m := msg(ticket.BySMS, "13900000001")
	r, err := g.Notify(ctx, m)
	if err != nil || r != "gw-981" {
		t.Fatalf("got %q, %v", r, err)
	}
	if got.auth != "Bearer tok" || got.key != m.Key || got.body["to"] != "13900000001" || got.body["text"] != m.Body ||
		got.body["sender"] != "10000" || got.body["client_ref"] != m.Key {
		t.Errorf("request: %+v", got)
	}
	for _, tt := range []struct {
		status    int
		permanent bool
	}{{400, true}, {404, true}, {429, false}, {503, false}, {408, false}} {
		status = tt.status
		_, err := g.Notify(ctx, m)
		if err == nil || errors.Is(err, ticket.ErrUndeliverable) != tt.permanent {
			t.Errorf("status %d: got %v, want permanent %v", tt.status, err, tt.permanent)
		}
	}
	dead := &notify.SMSGateway{URL: "http://127.0.0.1:1/sms"}
	if _, err := dead.Notify(ctx, m); err == nil || errors.Is(err, ticket.ErrUndeliverable) {
		t.Errorf("gateway down: got %v, want a retryable error", err)
	}
}

func TestWebhooks(t *testing.T) {
	var sig, key, event, body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sig, key, event, body = r.Header.Get("X-Hotline-Signature"), r.Header.Get("Idempotency-Key"), r.Header.Get("X-Hotline-Event"), string(b)
	}))
	defer srv.Close()
	w := &notify.Webhooks{Targets: map[string]notify.WebhookTarget{"eoms": {URL: srv.URL, Secret: "s3cret"}}, Client: srv.Client()}
	m := msg(ticket.ByWebhook, "eoms")
	m.Subject, m.Body = ticket.EventCreated, `{"kind":"ticket.created","ticket":42}`
	if _, err := w.Notify(ctx, m); err != nil {
		t.Fatal(err)
	}
	if body != m.Body || key != m.Key || event != "ticket.created" || sig != notify.Sign("s3cret", m.Key, []byte(m.Body)) || !strings.HasPrefix(sig, "sha256=") {
		t.Errorf("got sig %q key %q event %q body %q", sig, key, event, body)
	}
	if notify.Sign("other", m.Key, []byte(m.Body)) == sig {
		t.Error("signature does not depend on the secret")
	}
	m.To = "nobody"
	if _, err := w.Notify(ctx, m); !errors.Is(err, ticket.ErrUndeliverable) {
		t.Errorf("unknown subscriber: got %v", err)
	}
}

// smtpServer is a minimal SMTP server for tests. rcptCode answers RCPT TO.
type smtpServer struct {
	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	data     []string
	rcptCode string
}

func newSMTP(t *testing.T, rcptCode string) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, rcptCode: rcptCode}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.serve(c) })
		}
	})
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(l string) { io.WriteString(c, l+"\r\n") }
	say("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-test")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL"):
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT"):
			say(s.rcptCode + " rcpt")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.data = append(s.data, b.String())
			s.mu.Unlock()
			say("250 queued as 1")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}

func TestMailer(t *testing.T) {
	s := newSMTP(t, "250")
	mm := &notify.Mailer{Addr: s.ln.Addr().String(), From: "10000号 <noreply@hotline.example>"}
	m := msg(ticket.ByEmail, "zhang@example.cn")
	m.Subject = "工单20261123000001：created\r\nBcc: evil@example.com"
	id, err := mm.Notify(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if id != "<42.1700000000.0.created.email@hotline.example>" {
		t.Errorf("message id: got %s", id)
	}
	s.mu.Lock()
	data := s.data[0]
	s.mu.Unlock()
	parsed, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
	if subj != "工单20261123000001：created  Bcc: evil@example.com" || parsed.Header.Get("Bcc") != "" {
		t.Errorf("subject: got %q (Bcc %q)", subj, parsed.Header.Get("Bcc"))
	}
	raw, _ := io.ReadAll(parsed.Body)
	body, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
	if err != nil || string(body) != m.Body {
		t.Errorf("body: got %q, %v", body, err)
	}
	if parsed.Header.Get("Message-Id") != id || parsed.Header.Get("To") != "<zhang@example.cn>" {
		t.Errorf("headers: %v", parsed.Header)
	}
	for code, permanent := range map[string]bool{"550": true, "451": false} {
		s := newSMTP(t, code)
		mm := &notify.Mailer{Addr: s.ln.Addr().String(), From: "noreply@hotline.example"}
		_, err := mm.Notify(ctx, m)
		if err == nil || errors.Is(err, ticket.ErrUndeliverable) != permanent {
			t.Errorf("RCPT %s: got %v, want permanent %v", code, err, permanent)
		}
	}
	bad := msg(ticket.ByEmail, "not an address")
	if _, err := mm.Notify(ctx, bad); !errors.Is(err, ticket.ErrUndeliverable) {
		t.Errorf("bad address: got %v", err)
	}
}

func TestRouter(t *testing.T) {
	r := notify.Router{}
	if _, err := r.Notify(ctx, msg(ticket.BySMS, "1")); !errors.Is(err, ticket.ErrUndeliverable) {
		t.Errorf("no adapter: got %v", err)
	}
}
