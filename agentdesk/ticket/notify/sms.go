package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// SMSGateway sends SMS through an HTTP/JSON gateway:
//
//	POST {URL}
//	Authorization: Bearer {Token}
//	Idempotency-Key: {message key}
//	{"to": "13900000001", "text": "...", "sender": "10000", "client_ref": "{message key}"}
//
// and takes the gateway's message id from a 2xx answer {"id": "..."}.
type SMSGateway struct {
	URL    string
	Token  string
	Sender string       // sender id or short code, e.g. "10000"
	Client *http.Client // nil: a client with a 10 s timeout
}

type smsRequest struct {
	To        string `json:"to"`
	Text      string `json:"text"`
	Sender    string `json:"sender,omitempty"`
	ClientRef string `json:"client_ref"`
}

var defaultClient = &http.Client{Timeout: 10 * time.Second}

// Notify implements ticket.Notifier.
func (g *SMSGateway) Notify(ctx context.Context, m ticket.Message) (string, error) {
	body, err := json.Marshal(smsRequest{To: m.To, Text: m.Body, Sender: g.Sender, ClientRef: m.Key})
	if err != nil {
		return "", fmt.Errorf("sms: %w", err)
	}
	h := http.Header{"Idempotency-Key": {m.Key}}
	if g.Token != "" {
		h.Set("Authorization", "Bearer "+g.Token)
	}
	c := g.Client
	if c == nil {
		c = defaultClient
	}
	res, err := post(ctx, c, g.URL, body, h)
	if err != nil {
		return "", fmt.Errorf("sms to gateway: %w", err)
	}
	var ack struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(res, &ack); err != nil || ack.ID == "" {
		return "accepted", nil
	}
	return ack.ID, nil
}
