package ivr

import (
	"context"
	"fmt"
	"strings"
)

// TicketCreator creates tickets for ticket nodes and queue max-wait
// outcomes. The lead's adapter implements it over agentdesk/ticket.
type TicketCreator interface {
	// CreateTicket returns the ticket number to read back to the caller
	// (digits and letters; voice reads it character by character).
	CreateTicket(ctx context.Context, req TicketRequest) (string, error)
}

// TicketRequest is a ticket as a flow can describe it.
type TicketRequest struct {
	// Key identifies this request for an idempotent create: the contact
	// id, the node and the run's ticket sequence ("c42/fault_ticket/1").
	Key       string
	ContactID string
	Type      string // the node's type: agentdesk/ticket's fault, callback, service_request, ...
	ANI       string
	Account   string
	Summary   string
	Channel   ChannelKind
	Fields    map[string]string // from the node's fields: mapping
}

func (ru *run) ticket(ctx context.Context, n *Node) (string, error) {
	t := ru.r.cfg.Tickets
	if t == nil {
		return n.Error, nil
	}
	fields := make(map[string]string, len(n.Fields))
	for f, v := range n.Fields {
		if !ru.masked[v] {
			fields[f] = str(ru.vars[v])
		}
	}
	summary := n.Summary
	if len(n.Subject) > 0 {
		summary = strings.TrimRight(ru.utter(n.Subject, false, nil).Text(), "。.")
	}
	ru.tickets++
	key := fmt.Sprintf("%s/%s/%d", ru.c.ID, n.Name, ru.tickets)
	num, err := t.CreateTicket(ctx, TicketRequest{Key: key, ContactID: ru.c.ID, Type: n.TicketType, ANI: ru.c.ANI,
		Account: str(ru.vars["account"]), Summary: summary, Channel: ru.kind, Fields: fields})
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		ru.log.Warn("ivr ticket failed", "node", n.Name, "err", err)
		return n.Error, nil
	}
	ru.setVar(n.Var, num, false)
	ru.selfService = true
	ru.emit(TicketCreated{Header: ru.head(), Node: n.Name, Type: n.TicketType, Ticket: num})
	ru.emit(SelfServiceCompleted{Header: ru.head(), Node: n.Name, Op: "ticket"})
	if len(n.Prompt) > 0 {
		if _, err := ru.ch.Play(ctx, ru.utter(n.Prompt, false, nil)); err != nil {
			return "", err
		}
	}
	return n.Next, nil
}
