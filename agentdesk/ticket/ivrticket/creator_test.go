package ivrticket_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/ivrticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
	"github.com/hotline10000/hotline/ivr"
)

func TestCreateTicket(t *testing.T) {
	repo := tickettest.NewMemory()
	desk, err := ticket.NewService(repo, tickettest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), ticket.Config{
		Calendar: tickettest.Always{}, Rules: []ticket.Rule{{Name: "faults", Type: ticket.Fault, Group: "fault-desk"}},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := ivrticket.New(desk)
	ctx := context.Background()
	req := ivr.TicketRequest{ContactID: "c-1", Type: "fault", ANI: "13900000001", Account: "acct-9",
		Summary: "宽带故障", Channel: ivr.Voice, Fields: map[string]string{"category": "broadband", "tier": "gold", "modem": "LOS red"}}
	num, err := c.CreateTicket(ctx, req)
	if err != nil || num != "20261123000001" {
		t.Fatalf("got %q, %v", num, err)
	}
	again, err := c.CreateTicket(ctx, req)
	if err != nil || again != num || repo.Len() != 1 {
		t.Errorf("retried step: got %q, %v, %d tickets", again, err, repo.Len())
	}
	tks, _ := desk.Search(ctx, ticket.Actor{ID: "s", Role: ticket.SupervisorRole}, ticket.Filter{})
	x := tks[0]
	if x.Type != ticket.Fault || x.Group != "fault-desk" || x.Customer.Tier != ticket.Gold || x.Customer.ID != "acct-9" ||
		x.Contact != "c-1" || x.Body != "modem: LOS red\n" || x.Channel != ticket.Phone || x.CreatedBy != "ivr" {
		t.Errorf("ticket: %+v", x)
	}

	tests := []struct {
		req      ivr.TicketRequest
		typ      ticket.Type
		category string
	}{
		{ivr.TicketRequest{ContactID: "c-2", Type: "message", ANI: "chat-token", Channel: ivr.Chat, Fields: map[string]string{"phone": "13900000002"}}, ticket.Inquiry, "offline_message"},
		{ivr.TicketRequest{ContactID: "c-3", Type: "callback", ANI: "13900000003"}, ticket.Callback, "ivr"},
		{ivr.TicketRequest{ContactID: "c-4", Type: "number port", ANI: "13900000004"}, ticket.Inquiry, "number_port"},
	}
	for _, tt := range tests {
		d := ivrticket.Draft(tt.req)
		if d.Type != tt.typ || d.Category != tt.category {
			t.Errorf("%+v: got %s/%s, want %s/%s", tt.req, d.Type, d.Category, tt.typ, tt.category)
		}
		if _, err := c.CreateTicket(ctx, tt.req); err != nil {
			t.Errorf("%+v: %v", tt.req, err)
		}
	}
	_, err = c.CreateTicket(ctx, ivr.TicketRequest{ContactID: "c-5", Type: "fault", ANI: "anonymous"})
	var fe *ticket.FieldError
	if !errors.As(err, &fe) || fe.Field != "customer.phone" {
		t.Errorf("no phone number: got %v", err)
	}
}
