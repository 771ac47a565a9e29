package main

import (
	"archive/zip"
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/ivr/flows"
)

// TestBrowserAdministration: in Chromium, an administrator runs the center
// from /admin/ alone, against the real `hotline serve` (the only place the
// administration API is wired to the running ACD, flows and customers):
//   - adds a skill and a chat queue requiring it (the page warns that no
//     agent has it yet), gives the skill to an agent who is signed in, and
//     activates a flow set whose chat transfer uses the new queue;
//   - a chat then reaches that agent's desk (offered from the new queue),
//     not a colleague who is ready with better general skills but not the
//     new one;
//   - upgrades a standard customer to diamond on the customers tab; that
//     number's next chat, once the customer proves it by SMS code, gets
//     the flows' VIP priority: with the agent away, it is queued after a
//     standard customer's chat yet offered first, and the desk shows the
//     diamond tier.
//
// The script is agentdesk/e2e/admin.mjs; its screenshots go to
// $E2E_ARTIFACTS (default agentdesk/e2e/artifacts).
func TestBrowserAdministration(t *testing.T) {
	script, _ := filepath.Abs(filepath.Join(e2eDir, "admin.mjs"))
	needBrowser(t)
	sms := &testSMS{}
	smsSrv := httptest.NewServer(sms)
	t.Cleanup(smsSrv.Close)
	settings := filepath.Join(t.TempDir(), "tickets.yaml")
	if err := os.WriteFile(settings, append(append([]byte(nil), demoTickets...),
		[]byte("\nnotify:\n  sms:\n    url: "+smsSrv.URL+"/sms\n    sender: \"10000\"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	zipPath := promoFlowSet(t)
	// Strict priority (no aging): the VIP chat is offered first however long
	// the standard one waited while the page was slow.
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open", "--acd-aging", "0s", "--tickets-settings-file", settings)
	waitReady(t, r.base)

	out := os.Getenv("E2E_ARTIFACTS")
	if out == "" {
		out = filepath.Join(e2eDir, "artifacts")
	}
	out, _ = filepath.Abs(out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	// A liveness bound, not a speed target: Chromium on a loaded machine is slow.
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = filepath.Dir(script)
	cmd.Env = append(os.Environ(), "BASE_URL="+r.base, "ARTIFACTS="+out, "CHROMIUM=/usr/bin/chromium",
		"SMS_URL="+smsSrv.URL, "FLOW_ZIP="+zipPath,
		"ADMIN_PASSWORD="+r.password(t, "admin"), "PROMO_AGENT_PASSWORD="+r.password(t, "liu.yang"),
		"OTHER_AGENT_PASSWORD="+r.password(t, "wang.fang"))
	b, err := cmd.CombinedOutput()
	t.Logf("admin.mjs:\n%s", b)
	if err != nil {
		t.Fatalf("browser test failed: %v\nserver log:\n%s", err, r.stderr)
	}
	for _, name := range []string{"admin-queues.png", "admin-flows.png", "admin-customers.png", "admin-desk-promo.png", "admin-desk-vip.png"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s missing: %v", name, err)
		}
	}
}

// testSMS is an HTTP SMS gateway for the chat's one-time codes: POSTs are
// kept, GET /outbox lists them for the browser script.
type testSMS struct {
	mu   sync.Mutex
	sent []map[string]string
}

func (g *testSMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.Method == http.MethodPost {
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		g.sent = append(g.sent, m)
		_ = json.NewEncoder(w).Encode(map[string]string{"id": "sms-admin-e2e"})
		return
	}
	_ = json.NewEncoder(w).Encode(g.sent)
}

// promoFlowSet zips the shipped flows with the chat transfer sent to the
// queue the administrator creates (promo-chat, skill promo), and their flow
// tests changed to match, as an operator would prepare the upload.
func promoFlowSet(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "promo-flows.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	changed := false
	err = fs.WalkDir(flows.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(flows.FS, p)
		if err != nil {
			return err
		}
		s := string(b)
		switch {
		case p == "main.yaml":
			const from = "  chat_queue:\n    kind: transfer\n    queue: general-chat\n    skills: [general]\n"
			changed = strings.Contains(s, from)
			s = strings.Replace(s, from, "  chat_queue:\n    kind: transfer\n    queue: promo-chat\n    skills: [promo]\n", 1)
		case strings.HasPrefix(p, "tests/"):
			s = strings.ReplaceAll(s, "transfer general-chat priority=1 skills=general", "transfer promo-chat priority=1 skills=promo")
			s = strings.ReplaceAll(s, "transfer general-chat", "transfer promo-chat")
		}
		w, err := zw.Create(p)
		if err != nil {
			return err
		}
		_, err = w.Write([]byte(s))
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if !changed {
		t.Fatal("main.yaml's chat_queue node is not as this test expects: update promoFlowSet")
	}
	return path
}
