package ticket_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// Agents see a customer's phone on the tickets they work and masked on the
// others; ID numbers in a ticket's text are masked for agents; supervisors
// and leads see both whole; the export masks both unless asked in clear.
func TestNumbersMaskedByRole(t *testing.T) {
	d := newDesk(t, baseConfig())
	dr := fault("13900000001")
	dr.Subject = "宽带故障 身份证11010519491231002X"
	dr.Description = "客户身份证 11010519491231002X，光猫LOS灯红"
	tk, _, err := d.Create(ctx, sup, dr, "")
	if err != nil {
		t.Fatal(err)
	}
	const maskedPhone, maskedID = "139****0001", "1101**********002X"
	check := func(who string, got *ticket.Ticket, phone string, idsMasked bool) {
		t.Helper()
		if got.Customer.Phone != phone {
			t.Errorf("%s: phone %q, want %q", who, got.Customer.Phone, phone)
		}
		hasMasked := bytes.Contains([]byte(got.Subject+got.Body), []byte(maskedID))
		hasClear := bytes.Contains([]byte(got.Subject+got.Body), []byte("11010519491231002X"))
		if idsMasked != hasMasked || idsMasked == hasClear {
			t.Errorf("%s: subject %q description %q, ID numbers masked: want %v", who, got.Subject, got.Body, idsMasked)
		}
	}
	for _, c := range []struct {
		who    string
		actor  ticket.Actor
		phone  string
		masked bool
	}{
		{"agent not on it", alice, maskedPhone, true},
		{"supervisor", sup, "13900000001", false},
		{"lead", lead, "13900000001", false},
	} {
		got, err := d.Get(ctx, c.actor, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		check(c.who+" get", got, c.phone, c.masked)
		list, err := d.Search(ctx, c.actor, ticket.Filter{Limit: 10})
		if err != nil || len(list) != 1 {
			t.Fatalf("%s search: %v, %d", c.who, err, len(list))
		}
		check(c.who+" list", list[0], c.phone, c.masked)
		det, err := d.Detail(ctx, c.actor, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		check(c.who+" detail", det.Ticket, c.phone, c.masked)
		pool, err := d.Pool(ctx, c.actor, "fault-desk", 10, 0)
		if err != nil || len(pool) != 1 {
			t.Fatalf("%s pool: %v, %d", c.who, err, len(pool))
		}
		check(c.who+" pool", pool[0], c.phone, c.masked)
	}
	// The stored ticket is untouched by what an agent was shown.
	if got, _ := d.Get(ctx, sup, tk.ID); got.Customer.Phone != "13900000001" {
		t.Fatalf("stored phone changed: %q", got.Customer.Phone)
	}

	// Claimed, the ticket is alice's: she calls the customer back.
	claimed, err := d.Do(ctx, alice, tk.ID, ticket.Command{Action: ticket.Claim})
	if err != nil {
		t.Fatal(err)
	}
	check("assignee after claim", claimed, "13900000001", true)
	got, _ := d.Get(ctx, alice, tk.ID)
	check("assignee get", got, "13900000001", true)
	got, _ = d.Get(ctx, bob, tk.ID)
	check("other agent get", got, maskedPhone, true)
	det, _ := d.Detail(ctx, bob, tk.ID)
	for _, m := range det.Messages {
		if m.To == "13900000001" {
			t.Errorf("other agent's detail shows an outbox message to %q", m.To)
		}
	}

	export := func(o ticket.ExportOptions) []string {
		t.Helper()
		var buf bytes.Buffer
		if err := d.Export(ctx, sup, ticket.Filter{}, &buf, o); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("export: %v %q", err, rows)
		}
		return rows[1]
	}
	if row := export(ticket.ExportOptions{}); row[8] != maskedPhone || row[11] != "宽带故障 身份证"+maskedID {
		t.Errorf("export: phone %q subject %q, want both masked", row[8], row[11])
	}
	if row := export(ticket.ExportOptions{Clear: true}); row[8] != "13900000001" || row[11] != dr.Subject {
		t.Errorf("clear export: phone %q subject %q", row[8], row[11])
	}
}
