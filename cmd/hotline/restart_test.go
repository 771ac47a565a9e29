package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
	"github.com/hotline10000/hotline/ivr/flows"
)

// node is `hotline serve` in a child process, so the test can kill -9 it.
type node struct {
	cmd    *exec.Cmd
	base   string
	stdout *syncBuffer
	stderr *syncBuffer
}

func startNode(t *testing.T, args string) *node {
	t.Helper()
	return startNodeOn(t, freePort(t), args)
}

// startNodeOn starts the node on port (a restarted node takes its
// predecessor's, so a browser reconnects to it).
func startNodeOn(t *testing.T, port, args string) *node {
	t.Helper()
	n := &node{cmd: exec.Command(os.Args[0]), base: "http://127.0.0.1:" + port, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	n.cmd.Env = append(os.Environ(), "HOTLINE_TEST_BE_MAIN=1",
		"HOTLINE_TEST_ARGS=serve --log-level debug --sip-udp-addr 127.0.0.1:0 --sip-tcp-addr 127.0.0.1:0 --http-addr 127.0.0.1:"+port+" "+args)
	n.cmd.Stdout, n.cmd.Stderr = n.stdout, n.stderr
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if n.cmd.ProcessState == nil {
			_ = n.cmd.Process.Kill()
			_ = n.cmd.Wait()
		}
	})
	n.until(t, "ready", func() bool {
		resp, err := client.Get(n.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return n
}

// demoPassword is the password the demo printed for login. The child
// printed it before it was ready, but the pipe may deliver it a little
// later than /readyz answers: it is waited for.
func (n *node) demoPassword(t *testing.T, login string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(login) + `\s+\S+\s+(\S+)`)
	var m []string
	n.until(t, "the demo password of "+login, func() bool {
		m = re.FindStringSubmatch(n.stdout.String())
		return m != nil
	})
	return m[1]
}

// until polls cond: the child process runs on the wall clock.
func (n *node) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out\n%s", what, n.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (n *node) desk(t *testing.T, token string) *deskttest.Client {
	t.Helper()
	c, _, err := deskttest.Dial(context.Background(), n.base, "/ws/desk", agentdesk.DeskProtocol, token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if _, err := c.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	return c
}

func (n *node) customer(t *testing.T, token string) (*deskttest.Client, json.RawMessage) {
	t.Helper()
	c, _, err := deskttest.Dial(context.Background(), n.base, "/ws/chat?token="+token, agentdesk.ChatProtocol, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	c.Token = token
	if _, err := c.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	var snap json.RawMessage
	if _, err := c.Want("snapshot", &snap, wait); err != nil {
		t.Fatal(err)
	}
	return c, snap
}

func (n *node) login(t *testing.T, login, password string) string {
	t.Helper()
	resp, err := client.Post(n.base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"login":"`+login+`","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusOK || out.Token == "" {
		t.Fatalf("login %s: %d", login, resp.StatusCode)
	}
	return out.Token
}

const wait = 15 * time.Second

// openFlows copies the built-in flows with the center open 24×7, so the
// chat reaches the queue at any hour the test runs.
func openFlows(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(flows.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if err == nil && p != "." {
				err = os.MkdirAll(filepath.Join(dir, p), 0o755)
			}
			return err
		}
		b, err := fs.ReadFile(flows.FS, p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, p), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	week := "calendars:\n  - name: center\n    time_zone: Asia/Shanghai\n    weekly:\n"
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		week += "      " + d + `: ["00:00-24:00"]` + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "calendars.yaml"), []byte(week), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestChatSurvivesRestart: a customer waits in the chat queue; the node is
// killed with SIGKILL, or stopped with SIGTERM (which must not book the
// waiting chat as abandoned); after the restart the customer reconnects
// with their token to the same chat, still first in the queue, an agent
// takes it, and they talk. The contact is answered, not abandoned or lost.
func TestChatSurvivesRestart(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) { chatSurvives(t, sig) })
	}
}

func chatSurvives(t *testing.T, sig syscall.Signal) {
	dataDir := t.TempDir()
	args := "--data-dir " + dataDir + " --ivr-flows-dir " + openFlows(t)
	n := startNode(t, args)
	password := n.demoPassword(t, "wang.fang")
	// The agent is logged in but not ready: the chat waits.
	n.desk(t, n.login(t, "wang.fang", password))

	resp, err := client.Post(n.base+"/chat/api/start", "application/json",
		strings.NewReader(`{"name":"冯雪","phone":"13300000004","topic":"话费"}`))
	if err != nil {
		t.Fatal(err)
	}
	var chat struct {
		Token   string `json:"token"`
		Contact string `json:"contact_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&chat)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || chat.Token == "" {
		t.Fatalf("start chat: %d", resp.StatusCode)
	}
	cust, _ := n.customer(t, chat.Token)
	if _, err := cust.Do("chat.send", map[string]string{"msg_id": "m0", "text": "人工"}, wait); err != nil {
		t.Fatal(err)
	}
	var pos struct {
		Position int `json:"position"`
	}
	if _, err := cust.Want("chat.queue", &pos, wait); err != nil || pos.Position != 1 {
		t.Fatalf("queue position before the crash: %+v %v\n%s", pos, err, n.stderr)
	}
	// The state is saved soon after the customer joined the queue.
	n.until(t, "state saved with the waiting chat", func() bool {
		return regexp.MustCompile(`msg="acd state saved".* contacts=1 kept=1`).MatchString(n.stderr.String())
	})
	if err := n.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	_ = n.cmd.Wait()
	cust.Close()
	client.CloseIdleConnections()
	if sig == syscall.SIGTERM {
		// A planned stop is no customer abandon: the contact has no
		// outcome yet, it waits for the restart.
		st := storetest.Reopen(t, dataDir)
		if c, err := st.Contact(context.Background(), chat.Contact); err != nil || c.Outcome != "" {
			t.Fatalf("contact record after a planned stop: %+v %v, want no outcome", c, err)
		}
		st.Close()
	}

	n = startNode(t, args)
	cust, snap := n.customer(t, chat.Token)
	var s struct {
		Contact    string `json:"contact_id"`
		Ended      bool   `json:"ended"`
		Transcript []struct {
			From, Text string
		} `json:"transcript"`
	}
	if err := json.Unmarshal(snap, &s); err != nil || s.Contact != chat.Contact || s.Ended {
		t.Fatalf("after the restart: %s, want the same chat %s, not ended", snap, chat.Contact)
	}
	said := false
	for _, m := range s.Transcript {
		said = said || (m.From == "customer" && m.Text == "人工")
	}
	if !said {
		t.Fatalf("transcript lost over the restart: %s", snap)
	}
	// The agent comes back and takes it.
	agent := n.desk(t, n.login(t, "wang.fang", password))
	if _, err := agent.Do("state.ready", nil, wait); err != nil {
		t.Fatalf("ready: %v", err)
	}
	var offer struct {
		Contact string `json:"contact_id"`
	}
	if _, err := agent.Want("offer", &offer, wait); err != nil || offer.Contact != chat.Contact {
		t.Fatalf("offer after the restart: %+v %v", offer, err)
	}
	if _, err := agent.Do("offer.accept", map[string]string{"contact_id": offer.Contact}, wait); err != nil {
		t.Fatal(err)
	}
	if _, err := cust.Want("chat.agent_joined", nil, wait); err != nil {
		t.Fatalf("customer not told the agent joined: %v", err)
	}
	if _, err := cust.Do("chat.send", map[string]string{"msg_id": "m1", "text": "我还在"}, wait); err != nil {
		t.Fatal(err)
	}
	for {
		var m struct{ From, Text string }
		if _, err := agent.Want("chat.message", &m, wait); err != nil {
			t.Fatalf("the customer's message never reached the agent: %v", err)
		}
		if m.From == "customer" && m.Text == "我还在" {
			break
		}
	}
	if _, err := agent.Do("chat.end", map[string]string{"contact_id": offer.Contact}, wait); err != nil {
		t.Fatal(err)
	}
	if _, err := cust.Want("chat.ended", nil, wait); err != nil {
		t.Fatalf("restored chat not ended for the customer: %v", err)
	}
	agent.Close()
	cust.Close()
	client.CloseIdleConnections()
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	if err := n.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, n.stderr)
	}
	st := storetest.Reopen(t, dataDir)
	c, err := st.Contact(context.Background(), chat.Contact)
	if err != nil {
		t.Fatal(err)
	}
	if c.Outcome != store.OutcomeAnswered || c.AgentID == "" {
		t.Fatalf("contact record: %+v, want answered", c)
	}
}
