package ivr

import "context"

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
