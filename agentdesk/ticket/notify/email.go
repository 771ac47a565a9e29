package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// Mailer sends e-mail over SMTP (RFC 5321) with STARTTLS when the server
// offers it, and PLAIN authentication when a username is set (only over TLS
// or to localhost, as net/smtp enforces).
type Mailer struct {
	Addr     string // host:port
	From     string // "10000号 <noreply@hotline.example>"
	Username string
	Password string // never logged
	Hello    string // EHLO name; default "localhost"
	// TLS configures STARTTLS; nil uses the host name of Addr.
	TLS *tls.Config
	// Domain is the right side of Message-IDs; default the From domain.
	Domain string
}

// Notify implements ticket.Notifier.
func (mm *Mailer) Notify(ctx context.Context, m ticket.Message) (string, error) {
	from, err := mail.ParseAddress(mm.From)
	if err != nil {
		return "", fmt.Errorf("e-mail from %q: %v: %w", mm.From, err, ticket.ErrUndeliverable)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return "", fmt.Errorf("e-mail to: %v: %w", err, ticket.ErrUndeliverable)
	}
	domain := mm.Domain
	if domain == "" {
		domain = from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	}
	msgID := "<" + strings.NewReplacer(":", ".", "/", ".").Replace(m.Key) + "@" + domain + ">"
	msg := compose(from, to, m, msgID)

	host, _, err := net.SplitHostPort(mm.Addr)
	if err != nil {
		return "", fmt.Errorf("e-mail server %q: %v: %w", mm.Addr, err, ticket.ErrUndeliverable)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", mm.Addr)
	if err != nil {
		return "", fmt.Errorf("e-mail: %w", err)
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return "", fmt.Errorf("e-mail: %w", classifySMTP(err))
	}
	defer c.Close()
	hello := mm.Hello
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return "", fmt.Errorf("e-mail hello: %w", classifySMTP(err))
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := mm.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: host}
		}
		if err := c.StartTLS(cfg); err != nil {
			return "", fmt.Errorf("e-mail starttls: %w", err)
		}
	}
	if mm.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", mm.Username, mm.Password, host)); err != nil {
			return "", fmt.Errorf("e-mail auth: %w", classifySMTP(err))
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return "", fmt.Errorf("e-mail from: %w", classifySMTP(err))
	}
	if err := c.Rcpt(to.Address); err != nil {
		return "", fmt.Errorf("e-mail to: %w", classifySMTP(err))
	}
	w, err := c.Data()
	if err != nil {
		return "", fmt.Errorf("e-mail data: %w", classifySMTP(err))
	}
	if _, err := w.Write(msg); err != nil {
		return "", fmt.Errorf("e-mail data: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("e-mail data: %w", classifySMTP(err))
	}
	_ = c.Quit()
	return msgID, nil
}

// classifySMTP marks permanent (5xx) replies undeliverable.
func classifySMTP(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return fmt.Errorf("%w: %v", ticket.ErrUndeliverable, err)
	}
	return err
}

// compose builds the RFC 5322 message: UTF-8 text, base64 body, encoded
// subject; header values come from parsed addresses and encoded words, so no
// CR/LF from a ticket can inject headers.
func compose(from, to *mail.Address, m ticket.Message, msgID string) []byte {
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from.String())
	h("To", to.String())
	h("Subject", mime.BEncoding.Encode("UTF-8", strings.NewReplacer("\r", " ", "\n", " ").Replace(m.Subject)))
	h("Date", m.CreatedAt.Format(time.RFC1123Z))
	h("Message-ID", msgID)
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=UTF-8")
	h("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(m.Body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}
