package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// e2eDir holds the browser scripts and their npm packages (playwright-core).
const e2eDir = "../../agentdesk/e2e"

// TestBrowserChatSurvivesKill: in Chromium, a customer proves nothing (a
// wrong SMS code, typed masked) and waits for an agent; the server is
// killed with SIGKILL and started again on the same port; the customer's
// page reconnects by itself to the same chat, with its transcript and its
// place in the queue; an agent signs in, takes it, and they talk. Neither
// page ever shows the digits typed masked, before or after the restart,
// and the unverified chat got no account data.
func TestBrowserChatSurvivesKill(t *testing.T) {
	script, _ := filepath.Abs(filepath.Join(e2eDir, "restart.mjs"))
	needBrowser(t)
	// The chat's codes go to a test SMS gateway; the script never reads
	// them (it types a wrong code on purpose).
	var smsMu sync.Mutex
	var smsSent []string
	sms := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		smsMu.Lock()
		smsSent = append(smsSent, string(b))
		smsMu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]string{"id": "sms-e2e"})
	}))
	t.Cleanup(sms.Close)
	settings := filepath.Join(t.TempDir(), "tickets.yaml")
	if err := os.WriteFile(settings, append(append([]byte(nil), demoTickets...),
		[]byte("\nnotify:\n  sms:\n    url: "+sms.URL+"/sms\n    sender: \"10000\"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	args := "--data-dir " + t.TempDir() + " --ivr-flows-dir " + openFlows(t) + " --tickets-settings-file " + settings
	n := startNodeOn(t, port, args)
	password := n.demoPassword(t, "wang.fang")

	out := os.Getenv("E2E_ARTIFACTS")
	if out == "" {
		out = filepath.Join(e2eDir, "artifacts")
	}
	out, _ = filepath.Abs(out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = filepath.Dir(script)
	cmd.Env = append(os.Environ(), "BASE_URL="+n.base, "DESK_LOGIN=wang.fang", "DESK_PASSWORD="+password,
		"ARTIFACTS="+out, "CHROMIUM=/usr/bin/chromium")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logMu sync.Mutex
	var log strings.Builder
	cmd.Stderr = &lockedWriter{mu: &logMu, w: &log}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The script says KILL once the customer waits in the queue; the test
	// kills the node, starts it again, and answers RESTARTED.
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		line := lines.Text()
		logMu.Lock()
		log.WriteString(line + "\n")
		logMu.Unlock()
		if line != "KILL" {
			continue
		}
		n.until(t, "state saved with the waiting chat", func() bool {
			return regexp.MustCompile(`msg="acd state saved".* contacts=1 kept=1`).MatchString(n.stderr.String())
		})
		if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = n.cmd.Wait()
		n = startNodeOn(t, port, args)
		if _, err := io.WriteString(stdin, "RESTARTED\n"); err != nil {
			t.Fatal(err)
		}
	}
	err = cmd.Wait()
	logMu.Lock()
	t.Logf("restart.mjs:\n%s", log.String())
	logMu.Unlock()
	if err != nil {
		t.Fatalf("browser test failed: %v\nserver log:\n%s", err, n.stderr)
	}
	smsMu.Lock()
	defer smsMu.Unlock()
	if len(smsSent) == 0 {
		t.Error("no code was sent to the claimed number")
	}
	for _, name := range []string{"restart-chat.png", "restart-desk.png"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s missing: %v", name, err)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// needBrowser skips the test when Chromium, node or the e2e node_modules
// are missing, and fails it on CI, where the test command installs them.
func needBrowser(t *testing.T) {
	t.Helper()
	missing := ""
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		missing = "chromium (apt-get install -y chromium)"
	} else if _, err := os.Stat(filepath.Join(e2eDir, "node_modules/playwright-core")); err != nil {
		missing = "node_modules (npm ci in agentdesk/e2e)"
	} else if _, err := exec.LookPath("node"); err != nil {
		missing = "node"
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser test needs %s", missing)
		}
		t.Skipf("browser test skipped: %s not installed", missing)
	}
}
