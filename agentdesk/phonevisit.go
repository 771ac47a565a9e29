package agentdesk

import (
	"context"
	"fmt"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/auth"
)

// Return visits from the desk (docs/desk-protocol.md, "Return visits"): an
// agent working a ticket calls its customer. The agent's phone rings
// first, then the customer is dialled through the trunk as that agent
// (Options.CallOut: the dial plan applies); the call is recorded like any
// call under its own contact id, which an internal note on the ticket
// names with the outcome. Outbound work happens while not ready, so the
// ACD offers the agent nothing meanwhile.

// visitBound bounds a return visit's setup: the agent's phone ringing, then
// the customer's (sip.trunk.ring_timeout, 45 s by default).
const visitBound = 2 * time.Minute

// ticketCallView is the ticket.call ack and event.
type ticketCallView struct {
	Ticket  int64  `json:"id"`
	Number  string `json:"number"`
	Contact string `json:"contact_id"`
	State   string `json:"state"` // ringing, connected, failed, ended
	Reason  string `json:"reason,omitempty"`
}

// ticketCall is ticket.call: the agent calls the customer of a ticket
// assigned to them (supervisors: any ticket they may read).
func (d *deskClient) ticketCall(ctx context.Context, f Frame) (any, *Error) {
	g, me := d.g, d.p.AgentID
	svc := g.o.Tickets
	switch {
	case svc == nil:
		return nil, failf(CodeUnavailable, "no ticket service")
	case g.o.CallOut == nil:
		return nil, failf(CodeUnavailable, "this center makes no calls out (sip.trunk)")
	case !d.p.Can(auth.PermTickets):
		return nil, failf(CodeForbidden, "your role may not work tickets")
	}
	var in struct {
		ID int64 `json:"id"`
	}
	if err := decodeData(f, &in); err != nil {
		return nil, err
	}
	if in.ID <= 0 {
		return nil, failf(CodeInvalid, "id: required")
	}
	actor := d.actor()
	t, err := svc.Get(ctx, actor, in.ID)
	if err != nil {
		return nil, ticketError(err)
	}
	switch {
	case t.Assignee != me && !d.p.Can(auth.PermSupervise):
		return nil, failf(CodeForbidden, "id: the ticket is not assigned to you")
	case t.Status.Terminal():
		return nil, failf(CodeConflict, "id: the ticket is "+string(t.Status))
	case t.Customer.Phone == "":
		return nil, failf(CodeInvalid, "customer.phone: the ticket has no number to call")
	}
	var refused *Error
	if err := g.do(func(h *hub) {
		switch a := h.agents[me]; {
		case a == nil || a.state == acd.LoggedOut:
			refused = failf(CodeConflict, "state: sign in to the ACD first")
		case a.state != acd.NotReady:
			refused = failf(CodeConflict, "state: go not ready before calling a customer")
		case h.phones[me] != nil:
			refused = failf(CodeConflict, "state: your phone has a call")
		}
	}); err != nil {
		return nil, failf(CodeUnavailable, err.Error())
	}
	if refused != nil {
		return nil, refused
	}
	view := ticketCallView{Ticket: t.ID, Number: t.Number, Contact: "visit-" + newID(8), State: "ringing"}
	number := t.Customer.Phone
	note := func(outcome string) {
		body := fmt.Sprintf("回访电话 return-visit call %s to %s: %s", view.Contact, MaskPhone(number), outcome)
		if _, err := svc.Comment(context.WithoutCancel(g.ctx), actor, t.ID, ticket.Internal, body); err != nil {
			g.log.Warn("return visit not noted on the ticket", "ticket", t.Number, "contact_id", view.Contact, "err", err)
		}
	}
	tell := func(v ticketCallView) { _ = g.do(func(h *hub) { h.toAgent(me, "ticket.call", v) }) }
	g.log.Info("return visit", "ticket", t.Number, "contact_id", view.Contact, "agent_id", me)
	g.goTask(func() {
		rctx, cancel := context.WithTimeout(g.ctx, visitBound)
		defer cancel()
		out := view
		err := g.o.CallOut(rctx, me, view.Contact, number, func(by string) {
			ended := view
			ended.State, ended.Reason = "ended", by
			tell(ended)
		})
		if err != nil {
			out.State, out.Reason = "failed", err.Error()
			g.log.Info("return visit not connected", "ticket", t.Number, "contact_id", view.Contact, "err", err)
			note("not connected (" + err.Error() + ")")
		} else {
			out.State = "connected"
			note("connected")
		}
		tell(out)
	})
	return view, nil
}
