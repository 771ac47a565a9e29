package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr/sip/siptest"
)

// A return visit end to end through `hotline serve`: the supervisor sun.li
// files a fault ticket for a customer on the desk and, not ready, calls
// the customer from it (ticket.call). sun.li's SIP phone rings first
// (role visit); once it answers, the trunk (a sipgo UAS asking for digest
// credentials on loopback) is called for the ticket's number; the desk is
// told the call connected, and ended when the customer hangs up. The call
// is recorded under its contact id, which the ticket's note names. A number
// outside the dial plan rings nothing.
func TestReturnVisitThroughTrunk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	trunk := siptest.NewTrunk(t, "hotline", "trunk-secret")
	r := start(t, "--data-dir", dir, "--ivr-always-open", "--sip-trunk-proxy", trunk.Addr,
		"--sip-trunk-from", "02110000", "--sip-trunk-user", "hotline", "--sip-trunk-password", "trunk-secret")
	waitReady(t, r.base)
	phone := giveSIPPhone(t, adminCaller(t, r), sipUDPAddr(t, r), "sun.li", "8009", "desk-phone-8009")
	desk, _, err := deskttest.Dial(ctx, r.base, "/ws/desk", agentdesk.DeskProtocol, r.login(t, "sun.li"))
	if err != nil {
		t.Fatal(err)
	}
	defer desk.Close()
	const wait = 10 * time.Second
	if _, err := desk.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	file := func(phone, key string) int64 {
		draft := map[string]any{"type": "fault", "category": "broadband", "subject": "宽带故障回访",
			"customer": map[string]string{"phone": phone}}
		raw, err := desk.Do("ticket.create", map[string]any{"draft": draft, "key": key}, wait)
		if err != nil {
			t.Fatalf("ticket.create: %v", err)
		}
		var made struct {
			Ticket struct {
				ID int64 `json:"id"`
			} `json:"ticket"`
		}
		if err := json.Unmarshal(raw, &made); err != nil {
			t.Fatal(err)
		}
		return made.Ticket.ID
	}

	// Outside the dial plan (a premium-rate number): refused, nothing rings.
	abroad := file("00900123456", "visit-abroad")
	if _, err := desk.Do("ticket.call", map[string]int64{"id": abroad}, wait); err != nil {
		t.Fatalf("ticket.call: %v", err)
	}
	var ev struct {
		Contact string `json:"contact_id"`
		State   string `json:"state"`
		Reason  string `json:"reason"`
	}
	if _, err := desk.Want("ticket.call", &ev, 30*time.Second); err != nil || ev.State != "failed" || !strings.Contains(ev.Reason, "dial plan") {
		t.Fatalf("ticket.call %+v, %v; want failed outside the dial plan", ev, err)
	}

	id := file("13911114444", "visit-1")
	raw, err := desk.Do("ticket.call", map[string]int64{"id": id}, wait)
	if err != nil {
		t.Fatalf("ticket.call: %v", err)
	}
	var ack struct {
		Contact string `json:"contact_id"`
	}
	if err := json.Unmarshal(raw, &ack); err != nil || !strings.HasPrefix(ack.Contact, "visit-") {
		t.Fatalf("ack %s, %v", raw, err)
	}
	select {
	case inv := <-phone.Invites:
		if h := inv.GetHeader("X-Hotline-Contact"); h == nil || h.Value() != ack.Contact {
			t.Fatalf("the phone rang for %v, want %s", h, ack.Contact)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the supervisor's phone never rang: %s", tail(r.stderr.String(), 3000))
	}
	var out *sip.Request
	select {
	case out = <-trunk.Invites:
	case <-time.After(30 * time.Second):
		t.Fatalf("the trunk was never called: %s", tail(r.stderr.String(), 3000))
	}
	if out.Recipient.User != "13911114444" || out.From().Address.User != "02110000" {
		t.Fatalf("call out to %s from %s", out.Recipient.User, out.From().Address.User)
	}
	if _, err := desk.Want("ticket.call", &ev, 30*time.Second); err != nil || ev.State != "connected" || ev.Contact != ack.Contact {
		t.Fatalf("ticket.call %+v, %v; want connected", ev, err)
	}
	if err := trunk.Hangup(); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Want("ticket.call", &ev, 30*time.Second); err != nil || ev.State != "ended" || ev.Reason != "customer hung up" {
		t.Fatalf("ticket.call %+v, %v; want ended by the customer", ev, err)
	}
	if code := r.stop(); code != 0 {
		t.Fatalf("serve exited with %d: %s", code, tail(r.stderr.String(), 2000))
	}

	st, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if rows, err := st.ContactRecordings(ctx, ack.Contact); err != nil || len(rows) != 1 {
		t.Fatalf("recordings of %s: %+v, %v; want one", ack.Contact, rows, err)
	}
	notes, err := st.TicketNotes(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	noted := false
	for _, n := range notes {
		noted = noted || strings.Contains(n.Body, ack.Contact+" to 139****4444: connected")
	}
	if !noted {
		t.Fatalf("the ticket's notes %+v do not name the call", notes)
	}
}
