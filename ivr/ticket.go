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
	ContactID string
	Type      string // "fault", "callback", "message", or a center's own type
	ANI       string
	Account   string
	Summary   string
	Channel   ChannelKind
	Fields    map[string]string // from the node's fields: mapping
}
