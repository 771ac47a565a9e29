package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// WebhookTarget is where one subscriber receives events.
type WebhookTarget struct {
	URL    string `yaml:"url"`
	Secret string `yaml:"secret"` // HMAC key; never logged
}

// Webhooks posts ticket events (the message body, JSON) to subscribers by
// name. Each request carries
//
//	X-Hotline-Event: ticket.created
//	Idempotency-Key: {message key}
//	X-Hotline-Signature: sha256={hex HMAC-SHA256 of key + "." + body}
//
// so a receiver can check origin and drop repeats.
type Webhooks struct {
	Targets map[string]WebhookTarget
	Client  *http.Client // nil: a client with a 10 s timeout
}

// Sign returns the signature header value for a message key and body.
func Sign(secret, key string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(key))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Notify implements ticket.Notifier.
func (w *Webhooks) Notify(ctx context.Context, m ticket.Message) (string, error) {
	t, ok := w.Targets[m.To]
	if !ok {
		return "", fmt.Errorf("webhook %q not configured: %w", m.To, ticket.ErrUndeliverable)
	}
	body := []byte(m.Body)
	h := http.Header{
		"X-Hotline-Event": {m.Subject},
		"Idempotency-Key": {m.Key},
	}
	if t.Secret != "" {
		h.Set("X-Hotline-Signature", Sign(t.Secret, m.Key, body))
	}
	c := w.Client
	if c == nil {
		c = defaultClient
	}
	if _, err := post(ctx, c, t.URL, body, h); err != nil {
		return "", fmt.Errorf("webhook %s: %w", m.To, err)
	}
	return "delivered", nil
}
