package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A holiday added through the administration API reaches the running IVR
// at once: on a Monday morning the built-in flows would route the chat to
// an agent, with today a holiday they answer with the after-hours branch.
func TestHolidayAddedThroughAdminClosesTheIVR(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	monday10 := time.Date(2026, 11, 30, 10, 0, 0, 0, shanghai)
	r := startAt(t, shiftedClock{offset: time.Until(monday10)}, "--data-dir", t.TempDir())
	waitReady(t, r.base)
	const wait = 10 * time.Second

	day := `["08:00-20:00"]`
	body := `{"time_zone":"Asia/Shanghai","weekly":{"mon":` + day + `,"tue":` + day + `,"wed":` + day + `,"thu":` + day +
		`,"fri":` + day + `,"sat":["09:00-17:00"],"sun":["09:00-17:00"]},"holidays":["2026-11-30"]}`
	req, _ := http.NewRequest("PUT", r.base+"/api/v1/admin/calendars/center", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+r.login(t, "admin"))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT calendar: %d %s", resp.StatusCode, b)
	}

	agent, cust, _ := readyAgentAndChat(t, r)
	defer agent.Close()
	defer cust.Close()
	for {
		var m struct{ From, Text string }
		if _, err := cust.Want("chat.message", &m, wait); err != nil {
			t.Fatalf("no after-hours answer on the holiday: %v", err)
		}
		if strings.Contains(m.Text, "非工作时间") {
			break
		}
	}
	for _, f := range agent.Drain() {
		if f.Type == "offer" {
			t.Fatalf("an agent was offered a chat on a holiday: %+v", f)
		}
	}
	agent.Close()
	cust.Close()
	client.CloseIdleConnections()
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
}
