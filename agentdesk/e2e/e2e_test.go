// Package e2e runs the desk's browser tests: Debian's Chromium driven by
// playwright-core (npm) against a real in-process server. Scripts that
// need the whole node run from cmd/hotline's tests instead: restart.mjs
// (a killed node) and admin.mjs (the administration page, whose API is
// wired to the running ACD, flows and customers only there).
package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/agentdesk/ticket/ivrticket"
	"github.com/hotline10000/hotline/ivr"
)

const chromium = "/usr/bin/chromium"

// TestBrowser runs desk.mjs. Locally it skips when Chromium or the npm
// packages are missing; with CI set it fails instead. Screenshots of the
// three pages go to $E2E_ARTIFACTS (default agentdesk/e2e/artifacts).
func TestBrowser(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{OfferTimeout: 60 * time.Second, WrapUp: 60 * time.Second})
	runScript(t, s, "desk.mjs", "desk.png", "chat.png", "board.png")
}

// TestBrowserIdleLogout: a desk left alone past the idle limit logs itself
// out (the 10000 rule), and the session is gone on the server too.
func TestBrowserIdleLogout(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{IdleLogout: 10 * time.Second}) // room for a slow login on a loaded machine before the limit
	runScript(t, s, "idle.mjs")
}

// TestBrowserDeskAndBoard: the desk offers the real transfer targets and
// ticket choices and the agent's own pools, where an IVR fault ticket
// arrives; the board lists waiting customers with live waits and moves one.
func TestBrowserDeskAndBoard(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{OfferTimeout: 60 * time.Second, WrapUp: 60 * time.Second,
		TicketRules:  []ticket.Rule{{Name: "faults", Type: ticket.Fault, Group: "fault-desk"}, {Name: "rest", Group: "general"}},
		TicketGroups: map[string][]string{"alice": {"fault-desk", "general"}},
		TicketForm:   &agentdesk.TicketForm{Groups: []string{"fault-desk", "general"}, Categories: []string{"billing", "broadband", "mobile"}}})
	// The chat flow's fault report, as the IVR files it.
	if _, err := ivrticket.New(s.Tickets).CreateTicket(context.Background(), ivr.TicketRequest{Key: "e2e/fault/1", ContactID: "chat-e2e",
		Type: "fault", Summary: "宽带故障", Channel: ivr.Chat, Fields: map[string]string{"phone": "13900001111"}}); err != nil {
		t.Fatal(err)
	}
	runScript(t, s, "deskux.mjs", "deskux-desk.png", "deskux-board.png")
}

// TestBrowserIdleWarning: working keeps the desk signed in past a short
// idle timeout; a warning with a way to stay comes first; the login page
// says why after the logout.
func TestBrowserIdleWarning(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{IdleLogout: 12 * time.Second})
	runScript(t, s, "idlewarn.mjs", "idle-warning.png", "signed-out.png")
}

func runScript(t *testing.T, s *deskttest.Server, script string, screenshots ...string) {
	runScriptEnv(t, s, script, nil, screenshots...)
}

// runScriptEnv runs script with env added to its environment.
func runScriptEnv(t *testing.T, s *deskttest.Server, script string, env []string, screenshots ...string) {
	missing := ""
	if _, err := os.Stat(chromium); err != nil {
		missing = "chromium (apt-get install -y chromium)"
	} else if _, err := os.Stat("node_modules/playwright-core"); err != nil {
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
	out := os.Getenv("E2E_ARTIFACTS")
	if out == "" {
		out = "artifacts"
	}
	out, _ = filepath.Abs(out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	// A liveness bound, not a speed target: Chromium on a loaded machine is slow.
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Env = append(os.Environ(), "BASE_URL="+s.URL, "DESK_PASSWORD="+deskttest.Password, "ARTIFACTS="+out, "CHROMIUM="+chromium)
	cmd.Env = append(cmd.Env, env...)
	b, err := cmd.CombinedOutput()
	t.Logf("%s:\n%s", script, b)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}
	for _, name := range screenshots {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s missing: %v", name, err)
		}
	}
}
