package notify

import (
	"context"
	"fmt"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// Router sends each message through the adapter for its medium. A medium
// without an adapter is undeliverable, which the outbox records.
type Router struct {
	SMS     ticket.Notifier
	Email   ticket.Notifier
	Webhook ticket.Notifier
}

// Notify implements ticket.Notifier.
func (r Router) Notify(ctx context.Context, m ticket.Message) (string, error) {
	var n ticket.Notifier
	switch m.Medium {
	case ticket.BySMS:
		n = r.SMS
	case ticket.ByEmail:
		n = r.Email
	case ticket.ByWebhook:
		n = r.Webhook
	}
	if n == nil {
		return "", fmt.Errorf("no %s adapter configured: %w", m.Medium, ticket.ErrUndeliverable)
	}
	return n.Notify(ctx, m)
}
