package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

// Ticket desk settings saved through administration reach the running
// desk at once (dispatch rules, groups and their pools, the desk's form)
// and win over the settings file after a restart.
func TestTicketSettingsThroughAdmin(t *testing.T) {
	dir := t.TempDir()
	r := start(t, "--data-dir", dir, "--ivr-always-open")
	waitReady(t, r.base)
	call := func(r *running, token, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, r.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	settings := `{"groups":[{"name":"broadband-desk","lead":"sun.li","members":["wang.fang"]},{"name":"service-desk","lead":"sun.li","members":["liu.yang"]}],
		"categories":["宽带提速"],
		"rules":[{"name":"faults","type":"fault","group":"broadband-desk"},{"name":"the rest","group":"service-desk"}],
		"sla":{"warn_at":[0.8],"policies":[{"name":"default","first_response":"2h","resolution":"12h"}],
		"escalation":[{"after":"1h","notify_lead":true}]}}`
	if code, out := call(r, r.login(t, "admin"), "PUT", "/api/v1/admin/ticket-settings", strings.Replace(settings, `"wang.fang"`, `"no.such.agent"`, 1)); code != 400 {
		t.Fatalf("unknown member: %d %v", code, out)
	}
	draft := `{"type":"fault","category":"broadband","subject":"宽带断了","customer":{"phone":"13300000004"},"channel":"phone"}`
	agent := r.login(t, "wang.fang")
	// A ticket opened under the file's SLA targets (faults: 1h / 8h).
	code, before := call(r, agent, "POST", "/api/v1/tickets", draft)
	if code != 201 {
		t.Fatalf("create before the change: %d %v", code, before)
	}
	slaOf := func(tk map[string]any) map[string]any { s, _ := tk["sla"].(map[string]any); return s }
	if sla := slaOf(before); sla["policy"] != "faults" || sla["resolution_target"] != float64(8*3600) || sla["resolution_due"] == nil {
		t.Fatalf("the file's SLA: %v", before)
	}
	if code, out := call(r, r.login(t, "admin"), "PUT", "/api/v1/admin/ticket-settings", settings); code != 201 {
		t.Fatalf("PUT ticket settings: %d %v", code, out)
	}
	code, created := call(r, agent, "POST", "/api/v1/tickets", draft)
	if code != 201 || created["group"] != "broadband-desk" {
		t.Fatalf("create after the change: %d %v", code, created)
	}
	// New SLA targets are for new tickets; an open ticket keeps the targets
	// and deadlines it was given (docs/administration.md).
	if sla := slaOf(created); sla["policy"] != "default" || sla["first_response_target"] != float64(2*3600) || sla["resolution_target"] != float64(12*3600) {
		t.Fatalf("a new ticket's SLA after the change: %v", sla)
	}
	code, again := call(r, agent, "GET", fmt.Sprintf("/api/v1/tickets/%v", before["id"]), "")
	if tk, _ := again["ticket"].(map[string]any); code != 200 || tk == nil {
		t.Fatalf("read the open ticket: %d %v", code, again)
	} else {
		b, a := slaOf(before), slaOf(tk)
		for _, k := range []string{"policy", "first_response_target", "resolution_target", "first_response_due", "resolution_due"} {
			if a[k] != b[k] {
				t.Errorf("open ticket's sla.%s: %v after the change, %v before", k, a[k], b[k])
			}
		}
	}
	if code, out := call(r, agent, "GET", "/api/v1/pools/broadband-desk", ""); code != 200 {
		t.Fatalf("the new group's member reads its pool: %d %v", code, out)
	}
	desk, _, err := deskttest.Dial(context.Background(), r.base, "/ws/desk", agentdesk.DeskProtocol, agent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	var snap struct {
		MyGroups   []string `json:"my_groups"`
		TicketForm struct {
			Groups, Categories []string
		} `json:"ticket_form"`
	}
	if _, err := desk.Want("snapshot", &snap, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	desk.Close()
	if !strings.Contains(strings.Join(snap.TicketForm.Groups, ","), "broadband-desk") ||
		!strings.Contains(strings.Join(snap.TicketForm.Categories, ","), "宽带提速") || strings.Join(snap.MyGroups, ",") != "broadband-desk" {
		t.Fatalf("desk form %+v", snap)
	}
	client.CloseIdleConnections()
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}

	// After a restart the administered settings still win over the file's.
	r = start(t, "--data-dir", dir, "--ivr-always-open")
	waitReady(t, r.base)
	// (the session of before the restart is still good: sessions are stored)
	if code, created := call(r, agent, "POST", "/api/v1/tickets", draft); code != 201 || created["group"] != "broadband-desk" {
		t.Fatalf("create after a restart: %d %v", code, created)
	}
	client.CloseIdleConnections()
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
}

// An announcement with an IVR notice is shown to a chat customer of the
// affected numbers as the main flow starts (voice plays the recorded
// notice: ivr's TestOutageNoticeAtTheStartOfMain), not to others.
func TestOutageNoticeReachesTheChat(t *testing.T) {
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open")
	waitReady(t, r.base)
	const notice = "城北宽带故障，预计12:00恢复"
	req, _ := http.NewRequest("POST", r.base+"/api/v1/admin/announcements",
		strings.NewReader(`{"text":"`+notice+`","severity":"outage","ivr":{"areas":["1390000"]}}`))
	req.Header.Set("Authorization", "Bearer "+r.login(t, "admin"))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("announce: %d", resp.StatusCode)
	}
	sees := func(phone string) bool {
		cust, text := openChat(t, r, phone)
		cust.Close()
		// The notice comes before the greeting, when it comes.
		return strings.Contains(text, notice)
	}
	if !sees("13900001234") {
		t.Fatal("the affected customer's chat did not show the notice")
	}
	if sees("13800001234") {
		t.Fatal("another customer's chat showed the notice")
	}
	client.CloseIdleConnections()
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
}
