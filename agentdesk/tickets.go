package agentdesk

import (
	"context"
	"errors"
	"slices"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
)

// TicketForm is what the desk's ticket form offers, taken from the ticket
// settings: the groups a dispatcher may send a ticket to, and the
// categories the center uses (suggestions: a category is free text).
type TicketForm struct {
	Groups     []string `json:"groups"`
	Categories []string `json:"categories"`
}

// commonCategories are suggested whatever the settings say: what the
// built-in flows file (offline messages, faults) and what a 10000 desk
// is asked about most.
var commonCategories = []string{"billing", "broadband", "mobile", "network", "package", "offline_message", "fault"}

// TicketFormFrom collects the form's choices from the ticket settings: every
// group the directory, the dispatch rules and the escalation chain name,
// and every category the rules and the service category name.
func TicketFormFrom(s ticket.Settings) TicketForm {
	var f TicketForm
	add := func(list *[]string, v string) {
		if v != "" && !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for g := range s.Directory.Members {
		add(&f.Groups, g)
	}
	for g := range s.Directory.Leads {
		add(&f.Groups, g)
	}
	for _, r := range s.Rules {
		add(&f.Groups, r.Group)
		add(&f.Categories, r.Category)
	}
	for _, e := range s.SLA.Escalation {
		add(&f.Groups, e.MoveTo)
	}
	add(&f.Categories, s.ServiceCategory)
	for _, c := range s.Categories {
		add(&f.Categories, c)
	}
	for _, c := range commonCategories {
		add(&f.Categories, c)
	}
	slices.Sort(f.Groups)
	slices.Sort(f.Categories)
	if f.Groups == nil {
		f.Groups = []string{}
	}
	return f
}

// actor is the ticket service's view of the desk's principal.
func (d *deskClient) actor() ticket.Actor {
	a := ticket.Actor{ID: d.p.AgentID, Role: ticket.AgentRole}
	if d.p.Can(auth.PermTicketsAdmin) {
		a.Role = ticket.SupervisorRole
	}
	if d.g.o.TicketGroups != nil {
		a.Groups = d.g.o.TicketGroups(d.p.AgentID)
	}
	return a
}

// ticketCommand serves ticket.create (with an idempotency key), ticket.get,
// ticket.pool (a group's pool), ticket.mine and ticket.act (claim, start,
// resolve … as the ticket service's commands).
func (d *deskClient) ticketCommand(ctx context.Context, f Frame) (any, *Error) {
	svc := d.g.o.Tickets
	if svc == nil {
		return nil, failf(CodeUnavailable, "no ticket service")
	}
	if !d.p.Can(auth.PermTickets) {
		return nil, failf(CodeForbidden, "your role may not work tickets")
	}
	actor := d.actor()
	switch f.Type {
	case "ticket.create":
		var in struct {
			Draft ticket.Draft `json:"draft"`
			Key   string       `json:"key"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		ani := ""
		if in.Draft.Contact != "" {
			// Only the agent holding the contact links a ticket to it.
			if e := d.onChat(in.Draft.Contact, func(_ *hub, ch *chat) *Error {
				ani = ch.customerNumber()
				if ch.agent != d.p.AgentID && !d.p.Can(auth.PermSupervise) {
					return failf(CodeForbidden, "not your contact")
				}
				if in.Draft.Customer.Phone == "" {
					in.Draft.Customer.Phone = ch.info.Phone
				}
				if in.Draft.Customer.Name == "" {
					in.Draft.Customer.Name = ch.info.Name
				}
				return nil
			}); e != nil && e.Code != CodeNotFound {
				return nil, e
			}
		}
		// The customer's tier is the center's record of them, like the
		// flow's tickets get it, so dispatch rules and SLA policies by
		// tier apply to desk tickets too.
		if in.Draft.Customer.Tier == "" && ani != "" && d.g.o.Store != nil {
			cu, err := d.g.o.Store.CustomerByANI(ctx, ani)
			switch {
			case err == nil && ticket.Tier(cu.Tier).Valid():
				in.Draft.Customer.Tier = ticket.Tier(cu.Tier)
			case err != nil && !errors.Is(err, store.ErrNotFound):
				return nil, failf(CodeUnavailable, "customer: "+err.Error())
			}
		}
		t, replay, err := svc.Create(ctx, actor, in.Draft, in.Key)
		if err != nil {
			return nil, ticketError(err)
		}
		return map[string]any{"ticket": t, "replay": replay}, nil
	case "ticket.get":
		var in struct {
			ID int64 `json:"id"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		t, err := svc.Get(ctx, actor, in.ID)
		if err != nil {
			return nil, ticketError(err)
		}
		return t, nil
	case "ticket.pool":
		var in struct {
			Group string `json:"group"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		ts, err := svc.Pool(ctx, actor, in.Group, 50, 0)
		if err != nil {
			return nil, ticketError(err)
		}
		return map[string]any{"tickets": nonNil(ts)}, nil
	case "ticket.mine":
		ts, err := svc.Search(ctx, actor, ticket.Filter{Assignee: d.p.AgentID, Open: true, Limit: 50})
		if err != nil {
			return nil, ticketError(err)
		}
		return map[string]any{"tickets": nonNil(ts)}, nil
	case "ticket.act":
		var in struct {
			ID      int64          `json:"id"`
			Command ticket.Command `json:"command"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		t, err := svc.Do(ctx, actor, in.ID, in.Command)
		if err != nil {
			return nil, ticketError(err)
		}
		return map[string]any{"ticket": t}, nil
	}
	return nil, failf(CodeUnknownType, f.Type)
}

func nonNil(ts []*ticket.Ticket) []*ticket.Ticket {
	if ts == nil {
		return []*ticket.Ticket{}
	}
	return ts
}

func ticketError(err error) *Error {
	var fe *ticket.FieldError
	switch {
	case errors.As(err, &fe):
		return failf(CodeInvalid, err.Error())
	case errors.Is(err, ticket.ErrForbidden):
		return failf(CodeForbidden, err.Error())
	case errors.Is(err, ticket.ErrNotFound):
		return failf(CodeNotFound, err.Error())
	case errors.Is(err, ticket.ErrConflict), errors.Is(err, ticket.ErrIdempotencyUsed), errors.Is(err, ticket.ErrAlreadyClaimed),
		errors.As(err, new(*ticket.TransitionError)):
		return failf(CodeConflict, err.Error())
	}
	return failf(CodeUnavailable, err.Error())
}
