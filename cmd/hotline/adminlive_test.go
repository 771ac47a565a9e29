package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/ivr/flows"
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

// openChat starts a web chat as phone and reads its greeting.
func openChat(t *testing.T, r *running, phone string) (*deskttest.Client, string) {
	t.Helper()
	const wait = 10 * time.Second
	resp, err := client.Post(r.base+"/chat/api/start", "application/json",
		strings.NewReader(`{"name":"测试","phone":"`+phone+`","topic":"话费"}`))
	if err != nil {
		t.Fatal(err)
	}
	var chat startedChat
	json.NewDecoder(resp.Body).Decode(&chat)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || chat.Token == "" {
		t.Fatalf("start chat: %d", resp.StatusCode)
	}
	cust, _, err := deskttest.Dial(context.Background(), r.base, "/ws/chat?token="+chat.Token, agentdesk.ChatProtocol, "")
	if err != nil {
		t.Fatal(err)
	}
	cust.Token = chat.Token
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	// What the flow said before the greeting (an outage notice) and the
	// greeting itself are in the snapshot's transcript or the messages
	// after it, split between them as the socket happened to attach:
	// read up to the greeting and return all of it.
	snap, err := cust.Want("snapshot", nil, wait)
	if err != nil {
		t.Fatal(err)
	}
	seen := string(snap.Data)
	greeted := func() bool { return strings.Contains(seen, "欢迎") || strings.Contains(seen, "VIP") }
	for n := 0; !greeted(); n++ {
		var m struct{ From, Text string }
		if _, err := cust.Want("chat.message", &m, wait); err != nil || n == 20 {
			t.Fatalf("no greeting after %q: %v", seen, err)
		}
		seen += "\n" + m.Text
	}
	return cust, seen
}

// An uploaded flow set activated through the administration API serves
// the next chats at once; a chat already in the IVR carries on (and
// reaches its agent); a rollback brings the flows before back; the
// activation survives a restart.
func TestFlowSetActivatedWhileAChatIsInTheIVR(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	monday10 := time.Date(2026, 11, 30, 10, 0, 0, 0, shanghai)
	data := t.TempDir()
	r := startAt(t, shiftedClock{offset: time.Until(monday10)}, "--data-dir", data)
	waitReady(t, r.base)
	const wait = 10 * time.Second
	admin := r.login(t, "admin")
	call := func(method, path, ctype string, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, r.base+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	agent, _, err := deskttest.Dial(context.Background(), r.base, "/ws/desk", agentdesk.DeskProtocol, r.login(t, "wang.fang"))
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	if _, err := agent.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Do("state.ready", nil, wait); err != nil {
		t.Fatalf("ready: %v", err)
	}
	inIVR, greeting := openChat(t, r, "13300000004")
	defer inIVR.Close()
	if !strings.Contains(greeting, "欢迎") {
		t.Fatalf("built-in greeting: %q", greeting)
	}

	// The new set greets with the VIP words.
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	err = fs.WalkDir(flows.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(flows.FS, p)
		if p == "main.yaml" {
			b = bytes.Replace(b, []byte("prompt: welcome\n"), []byte("prompt: vip.welcome\n"), 1)
		}
		w, _ := zw.Create(p)
		w.Write(b)
		return err
	})
	if err != nil || zw.Close() != nil {
		t.Fatal(err)
	}
	if code, body := call("POST", "/api/v1/admin/flows", "application/zip", zipped.Bytes()); code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, body := call("POST", "/api/v1/admin/flows/1/activate", "", nil); code != http.StatusOK || !strings.Contains(body, `"serving":"flow set 1"`) {
		t.Fatalf("activate: %d %s", code, body)
	}
	next, greeting := openChat(t, r, "13300000005")
	next.Close()
	if !strings.Contains(greeting, "VIP") {
		t.Fatalf("a chat after the activation was greeted %q", greeting)
	}

	// The chat that began on the built-in flows carries on to its agent.
	if _, err := inIVR.Do("chat.send", map[string]string{"msg_id": "m0", "text": "人工"}, wait); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Want("offer", nil, wait); err != nil {
		t.Fatalf("the chat in the IVR did not reach its agent after the activation: %v", err)
	}

	if code, body := call("POST", "/api/v1/admin/flows/rollback", "", nil); code != http.StatusOK || !strings.Contains(body, `"version":0`) {
		t.Fatalf("rollback: %d %s", code, body)
	}
	after, greeting := openChat(t, r, "13300000006")
	after.Close()
	if strings.Contains(greeting, "VIP") {
		t.Fatalf("a chat after the rollback was greeted %q", greeting)
	}
	// Activated again, it serves after a restart.
	if code, body := call("POST", "/api/v1/admin/flows/1/activate", "", nil); code != http.StatusOK {
		t.Fatalf("activate again: %d %s", code, body)
	}
	agent.Close()
	inIVR.Close()
	client.CloseIdleConnections()
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
	r = startAt(t, shiftedClock{offset: time.Until(monday10)}, "--data-dir", data)
	waitReady(t, r.base)
	again, greeting := openChat(t, r, "13300000005")
	again.Close()
	if !strings.Contains(greeting, "VIP") {
		t.Fatalf("after a restart the chat was greeted %q", greeting)
	}
	client.CloseIdleConnections()
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
}

// An announcement to every agent reaches a connected desk at once; the
// agent acknowledges it and it is no longer outstanding.
func TestAnnouncementReachesTheDesk(t *testing.T) {
	r := start(t, "--data-dir", t.TempDir())
	waitReady(t, r.base)
	const wait = 10 * time.Second
	agentTok := r.login(t, "wang.fang")
	agent, _, err := deskttest.Dial(context.Background(), r.base, "/ws/desk", agentdesk.DeskProtocol, agentTok)
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	if _, err := agent.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	do := func(tok, method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, r.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := do(r.login(t, "admin"), "POST", "/api/v1/admin/announcements", `{"text":"城北宽带故障，预计12:00恢复","severity":"outage"}`)
	if code != http.StatusCreated {
		t.Fatalf("announce: %d %s", code, body)
	}
	var n agentdesk.Announcement
	if _, err := agent.Want("announcement", &n, wait); err != nil {
		t.Fatalf("the desk got no announcement: %v", err)
	}
	if n.Text != "城北宽带故障，预计12:00恢复" || n.Severity != "outage" {
		t.Fatalf("announcement %+v", n)
	}
	if code, body := do(agentTok, "POST", "/api/v1/announcements/"+n.ID+"/ack", ""); code != http.StatusNoContent {
		t.Fatalf("ack: %d %s", code, body)
	}
	if code, body := do(agentTok, "GET", "/api/v1/announcements", ""); code != http.StatusOK || !strings.Contains(body, `"acked":true`) {
		t.Fatalf("after the ack: %d %s", code, body)
	}
	agent.Close()
	client.CloseIdleConnections()
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
}
