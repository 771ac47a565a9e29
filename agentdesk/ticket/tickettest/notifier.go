package tickettest

import (
	"context"
	"fmt"
	"sync"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// Notifier records deliveries like a far end that honours idempotency keys:
// a repeated Key is acknowledged but not delivered again. Fail makes the
// next attempts fail.
type Notifier struct {
	mu        sync.Mutex
	Delivered []ticket.Message
	Attempts  int
	seen      map[string]string
	failures  []error
}

// Fail queues errors returned by the next Notify calls, one per call.
func (n *Notifier) Fail(errs ...error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.failures = append(n.failures, errs...)
}

// Notify implements ticket.Notifier.
func (n *Notifier) Notify(_ context.Context, m ticket.Message) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.Attempts++
	if len(n.failures) > 0 {
		err := n.failures[0]
		n.failures = n.failures[1:]
		return "", err
	}
	if n.seen == nil {
		n.seen = map[string]string{}
	}
	if r, ok := n.seen[m.Key]; ok {
		return r, nil
	}
	r := fmt.Sprintf("r%d", len(n.Delivered)+1)
	n.seen[m.Key] = r
	n.Delivered = append(n.Delivered, m)
	return r, nil
}

// Sent returns a copy of the delivered messages.
func (n *Notifier) Sent() []ticket.Message {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]ticket.Message(nil), n.Delivered...)
}
