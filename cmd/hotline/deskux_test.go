package main

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

// The demo center's desk, wired as in production: a fault-desk agent's
// pools are his ticket groups, the ticket form offers the settings' groups
// and categories, and a fault ticket filed without a group goes through
// the dispatch rules into his fault-desk pool (where the IVR's fault
// reports arrive too).
func TestDeskTicketChoicesAndPoolsOnServe(t *testing.T) {
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open")
	waitReady(t, r.base)
	const wait = 10 * time.Second
	desk, _, err := deskttest.Dial(context.Background(), r.base, "/ws/desk", agentdesk.DeskProtocol, r.login(t, "li.qiang"))
	if err != nil {
		t.Fatal(err)
	}
	defer desk.Close()
	if _, err := desk.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	var snap struct {
		MyGroups   []string             `json:"my_groups"`
		TicketForm agentdesk.TicketForm `json:"ticket_form"`
	}
	if _, err := desk.Want("snapshot", &snap, wait); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(snap.MyGroups, []string{"complaint-desk", "fault-desk"}) {
		t.Fatalf("li.qiang's pools %v, want complaint-desk and fault-desk", snap.MyGroups)
	}
	for _, g := range []string{"complaint-desk", "fault-desk", "service-desk", "vip-desk"} {
		if !slices.Contains(snap.TicketForm.Groups, g) {
			t.Fatalf("ticket form groups %v, want %s", snap.TicketForm.Groups, g)
		}
	}
	if !slices.Contains(snap.TicketForm.Categories, "hotline_service") {
		t.Fatalf("ticket form categories %v, want the service category", snap.TicketForm.Categories)
	}
	draft := map[string]any{"type": "fault", "category": "broadband", "subject": "光猫红灯", "customer": map[string]string{"phone": "13300000004"}}
	if _, err := desk.Do("ticket.create", map[string]any{"draft": draft, "key": "fault-1"}, wait); err != nil {
		t.Fatal(err)
	}
	raw, err := desk.Do("ticket.pool", map[string]string{"group": "fault-desk"}, wait)
	if err != nil {
		t.Fatal(err)
	}
	var pool struct {
		Tickets []struct {
			Subject string `json:"subject"`
		} `json:"tickets"`
	}
	if err := json.Unmarshal(raw, &pool); err != nil || len(pool.Tickets) != 1 || pool.Tickets[0].Subject != "光猫红灯" {
		t.Fatalf("fault-desk pool %+v %v, want the fault ticket", pool, err)
	}
}
