package ticketstore_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/rest"
	"github.com/hotline10000/hotline/agentdesk/ticket/ticketstore"
	"github.com/hotline10000/hotline/agentdesk/ticket/tickettest"
)

// Regression (issue 9): over the real store the public status lookup told
// an unknown number (the store's not-found, with its details) from a
// wrong phone. Both backends answer the two identically.
func TestStatusWrongPhoneLikeUnknownNumberOnStore(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			repo := ticketstore.New(open(t, b.options(t)), 0)
			svc, err := ticket.NewService(repo, tickettest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)),
				ticket.Config{Calendar: tickettest.Always{}, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			sup := ticket.Actor{ID: "sup", Role: ticket.SupervisorRole}
			tk, _, err := svc.Create(context.Background(), sup, ticket.Draft{Type: ticket.Fault, Category: "broadband", Subject: "s",
				Customer: ticket.Customer{Phone: "13900000001"}}, "")
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(rest.New(svc, func(context.Context) (ticket.Actor, bool) { return ticket.Actor{}, false },
				rest.Options{Logger: slog.New(slog.DiscardHandler)}))
			defer srv.Close()
			ask := func(number string) (int, string, string) {
				res, err := srv.Client().Post(srv.URL+"/public/ticket-status", "application/json",
					strings.NewReader(`{"number":"`+number+`","phone":"13900000002"}`))
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				body, _ := io.ReadAll(res.Body)
				res.Header.Del("Date")
				var h strings.Builder
				res.Header.Write(&h)
				return res.StatusCode, h.String(), string(body)
			}
			s1, h1, b1 := ask(tk.Number)
			s2, h2, b2 := ask("20261123009999")
			if s1 != 404 || s1 != s2 || h1 != h2 || b1 != b2 {
				t.Fatalf("wrong phone: %d %s %s\nunknown number: %d %s %s", s1, h1, b1, s2, h2, b2)
			}
		})
	}
}
