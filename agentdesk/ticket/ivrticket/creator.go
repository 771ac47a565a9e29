package ivrticket

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/ivr"
)

// Creator opens tickets for IVR flows as the outside system "ivr".
type Creator struct {
	desk  *ticket.Service
	actor ticket.Actor
}

// New returns a Creator over desk.
func New(desk *ticket.Service) *Creator {
	return &Creator{desk: desk, actor: ticket.Actor{ID: "ivr", Role: ticket.SystemRole}}
}

var _ ivr.TicketCreator = (*Creator)(nil)

// CreateTicket implements ivr.TicketCreator. The contact id and type make
// the idempotency key, so a flow step retried after a failure does not open a
// second ticket. Fields may set category, priority, tier, region, phone,
// name and language; the rest go into the description.
func (c *Creator) CreateTicket(ctx context.Context, req ivr.TicketRequest) (string, error) {
	d := Draft(req)
	key := ""
	if req.ContactID != "" {
		key = "contact:" + req.ContactID + ":" + req.Type
	}
	t, _, err := c.desk.Create(ctx, c.actor, d, key)
	if err != nil {
		return "", fmt.Errorf("ivr ticket for contact %s: %w", req.ContactID, err)
	}
	return t.Number, nil
}

// known are the fields Draft takes out of the request's fields.
var known = []string{"category", "priority", "tier", "region", "phone", "name", "language"}

// Draft maps an IVR ticket request to a ticket draft.
func Draft(req ivr.TicketRequest) ticket.Draft {
	f := req.Fields
	d := ticket.Draft{
		Category: f["category"], Priority: ticket.Priority(f["priority"]), Region: f["region"],
		Contact: req.ContactID, Subject: clip(req.Summary, 200),
		Customer: ticket.Customer{ID: req.Account, Phone: req.ANI, Name: f["name"], Tier: ticket.Tier(f["tier"]),
			Language: f["language"]},
	}
	switch t := ticket.Type(req.Type); {
	case req.Type == "message":
		// An offline message: someone must answer it.
		d.Type = ticket.Inquiry
		if d.Category == "" {
			d.Category = "offline_message"
		}
	case t.Valid():
		d.Type = t
	default:
		// A center's own type becomes an inquiry of that category.
		d.Type = ticket.Inquiry
		if d.Category == "" {
			d.Category = sanitize(req.Type)
		}
	}
	if d.Category == "" {
		d.Category = "ivr"
	}
	if p := f["phone"]; p != "" {
		d.Customer.Phone = p // chat contacts have a token, not a number, as ANI
	}
	if d.Subject == "" {
		d.Subject = string(d.Type)
	}
	d.Channel = ticket.Phone
	if req.Channel == ivr.Chat {
		d.Channel = ticket.Chat
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(f)) {
		if !slices.Contains(known, k) {
			fmt.Fprintf(&b, "%s: %s\n", k, f[k])
		}
	}
	d.Description = clip(b.String(), 10000)
	return d
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// sanitize keeps the characters a category may hold.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || r == '-' || r == ':' || r == '@' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r > 127 {
			return r
		}
		return '_'
	}, clip(s, 64))
}
