package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/internal/pgtest"
)

// The test binary doubles as the hotline binary for the signal test.
func TestMain(m *testing.M) {
	if os.Getenv("HOTLINE_TEST_BE_MAIN") == "1" {
		os.Args = append([]string{"hotline"}, strings.Fields(os.Getenv("HOTLINE_TEST_ARGS"))...)
		main()
		return
	}
	code := pgtest.Main(m)
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		// bleve starts its analysis workers once, at package init, for
		// the whole process (the knowledge index).
		if err := goleak.Find(goleak.IgnoreTopFunction("github.com/blevesearch/bleve_index_api.AnalysisWorker")); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left behind: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for the server's and the test's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type running struct {
	base   string
	stdout *syncBuffer
	stderr *syncBuffer
	stop   func() int
}

func noEnv(string) (string, bool) { return "", false }

// start runs `hotline serve args…` in this process.
func start(t *testing.T, args ...string) *running {
	t.Helper()
	return startAt(t, nil, args...)
}

// startAt starts serve with clk as the desk's and the IVR's time (nil: the
// wall clock).
func startAt(t *testing.T, clk agentdesk.Clock, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	r := &running{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--http-addr", "127.0.0.1:0", "--sip-udp-addr", "127.0.0.1:0", "--sip-tcp-addr", "127.0.0.1:0"}, args...), env{
			stdout: r.stdout, stderr: r.stderr, getenv: noEnv,
			onListen: func(a net.Addr) { addr <- a }, clock: clk,
		})
	}()
	select {
	case a := <-addr:
		r.base = "http://" + a.String()
	case code := <-done:
		cancel()
		t.Fatalf("serve exited with %d before listening: %s", code, r.stderr)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("serve did not listen: %s", r.stderr)
	}
	var once sync.Once
	code := 0
	r.stop = func() int {
		once.Do(func() {
			cancel()
			code = <-done
		})
		return code
	}
	t.Cleanup(func() { r.stop() })
	return r
}

var client = &http.Client{Timeout: 10 * time.Second}

// password reads a demo account's one-time password from the first start's
// printout.
func (r *running) password(t *testing.T, login string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(login) + `\s+\S+\s+(\S+)`).FindStringSubmatch(r.stdout.String())
	if m == nil {
		t.Fatalf("no demo password printed for %s: %s", login, r.stdout)
	}
	return m[1]
}

// login logs a demo account in and returns its bearer token.
func (r *running) login(t *testing.T, login string) string {
	t.Helper()
	resp, err := client.Post(r.base+"/api/v1/auth/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"login":%q,"password":%q}`, login, r.password(t, login))))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 200 || out.Token == "" {
		t.Fatalf("login %s: %d", login, resp.StatusCode)
	}
	return out.Token
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeProbesAndShutdownLeaveNothingBehind(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			args := []string{"--data-dir", t.TempDir()}
			if backend == "postgres" {
				args = append(args, "--database-url", pgtest.NewDatabase(t))
			}
			r := start(t, args...)
			if code, body := get(t, r.base+"/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
				t.Fatalf("healthz: %d %s", code, body)
			}
			if body := waitReady(t, r.base); !strings.Contains(body, `"store":"`+backend+`"`) {
				t.Fatalf("readyz: %s", body)
			}
			code, metrics := get(t, r.base+"/metrics")
			for _, series := range []string{"go_goroutines", "process_resident_memory_bytes", "hotline_http_requests_total", "go_build_info"} {
				if code != 200 || !strings.Contains(metrics, series) {
					t.Fatalf("metrics lack %s (%d)", series, code)
				}
			}
			// The demo accounts printed at first start log in.
			r.login(t, "wang.fang")
			if code, body := get(t, r.base+"/api/v1/nope"); code != 404 || !strings.Contains(body, `"code":"not_found"`) {
				t.Fatalf("unknown path: %d %s", code, body)
			}
			client.CloseIdleConnections()
			if code := r.stop(); code != 0 {
				t.Fatalf("exit status %d: %s", code, r.stderr)
			}
			if !strings.Contains(r.stderr.String(), "msg=stopped") {
				t.Fatalf("no orderly stop in the log: %s", r.stderr)
			}
		})
	}
}

// waitReady polls /readyz until it answers 200 (the routing core starts
// just after the listener) and returns the body.
func waitReady(t *testing.T, base string) string {
	t.Helper()
	// A liveness bound, not a speed target: startup seeds the demo with
	// argon2id hashes, slow under -race on a loaded machine.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		code, body := get(t, base+"/readyz")
		if code == 200 {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %d %s", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDemoSeededOnce(t *testing.T) {
	dir := t.TempDir()
	r := start(t, "--data-dir", dir)
	waitReady(t, r.base)
	if !strings.Contains(r.stdout.String(), "shown only now") {
		t.Fatal("first start printed no demo accounts")
	}
	r.stop()
	r = start(t, "--data-dir", dir)
	waitReady(t, r.base)
	if strings.Contains(r.stdout.String(), "PASSWORD") {
		t.Fatal("second start printed passwords again")
	}
	r.stop()
	r = start(t, "--data-dir", t.TempDir(), "--no-demo")
	waitReady(t, r.base)
	if r.stdout.String() != "" {
		t.Fatalf("--no-demo printed %q", r.stdout)
	}
}

func TestNotReadyWhileMigrationsPending(t *testing.T) {
	r := start(t, "--data-dir", t.TempDir(), "--no-database-migrate-on-start", "--no-demo")
	if code, body := get(t, r.base+"/readyz"); code != 503 || !strings.Contains(body, "migrations pending") {
		t.Fatalf("readyz: %d %s", code, body)
	}
	if code, _ := get(t, r.base+"/healthz"); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
}

// A node started before its database is migrated (PostgreSQL, shared with
// the process that migrates) serves its probes as not ready, then seeds the
// demo center and becomes ready once 'hotline migrate' has run elsewhere.
func TestStartBeforeMigrate(t *testing.T) {
	url := pgtest.NewDatabase(t)
	r := start(t, "--data-dir", t.TempDir(), "--database-url", url, "--no-database-migrate-on-start")
	if code, body := get(t, r.base+"/readyz"); code != 503 || !strings.Contains(body, "migrations pending") {
		t.Fatalf("readyz before migrate: %d %s", code, body)
	}
	if code, out, errs := runCmd(t, noEnv, "migrate", "--database-url", url); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errs)
	}
	waitReady(t, r.base)
	r.login(t, "wang.fang") // the demo center was seeded after the migration
}

func runCmd(t *testing.T, getenv func(string) (string, bool), args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, env{stdout: &out, stderr: &errb, getenv: getenv})
	return code, out.String(), errb.String()
}

func TestMigrateCommand(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			args := []string{"migrate", "--data-dir", t.TempDir()}
			if backend == "postgres" {
				args = append(args, "--database-url", pgtest.NewDatabase(t))
			}
			code, out, errs := runCmd(t, noEnv, args...)
			if code != 0 || !strings.Contains(out, "applied 00001_foundation.sql") {
				t.Fatalf("first migrate: %d %q %q", code, out, errs)
			}
			code, out, _ = runCmd(t, noEnv, args...)
			if code != 0 || !strings.Contains(out, "up to date") {
				t.Fatalf("second migrate: %d %q", code, out)
			}
		})
	}
}

func TestBrokenConfigExitsWithOneLine(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hotline.yaml")
	os.WriteFile(file, []byte("http:\n  adress: :80\n"), 0o600)
	ticketsFile := filepath.Join(t.TempDir(), "tickets.yaml")
	os.WriteFile(ticketsFile, []byte("visit_after: 24h\nescalate_to: nobody\n"), 0o600)
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want []string
	}{
		{"unknown key in file", nil, []string{"--config", file}, 2, []string{"http.adress", "unknown key", "hotline.yaml:2"}},
		{"bad duration in env", map[string]string{"HOTLINE_HTTP_SHUTDOWN_TIMEOUT": "soon"}, nil, 2, []string{"http.shutdown_timeout", "HOTLINE_HTTP_SHUTDOWN_TIMEOUT", `"soon"`}},
		{"unreachable database", nil, []string{"--database-url", "postgres://hotline:pw@127.0.0.1:1/hotline?connect_timeout=2"}, 1, []string{"database.url", "127.0.0.1"}},
		{"unknown command", nil, []string{"serv"}, 2, []string{`"serv"`}},
		{"stray argument", nil, []string{"serve", "now"}, 2, []string{`"now"`}},
		{"port taken", nil, nil, 1, []string{"http.addr"}},
		{"bad tickets file", nil, []string{"--tickets-settings-file", ticketsFile, "--data-dir", t.TempDir()}, 1, []string{"tickets.settings_file", "line 2", "escalate_to"}},
	}
	taken, _ := net.Listen("tcp", "127.0.0.1:0")
	defer taken.Close()
	for i := range cases {
		if cases[i].name == "port taken" {
			cases[i].args = []string{"--http-addr", taken.Addr().String(), "--data-dir", t.TempDir(), "--no-demo", "--sip-udp-addr", "127.0.0.1:0", "--sip-tcp-addr", "127.0.0.1:0"}
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			code, _, errs := runCmd(t, getenv, tc.args...)
			if code != tc.code {
				t.Fatalf("exit: got %d, want %d (%s)", code, tc.code, errs)
			}
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			last := lines[len(lines)-1]
			for _, w := range tc.want {
				if !strings.Contains(last, w) {
					t.Errorf("last line %q lacks %q", last, w)
				}
			}
			if strings.Contains(errs, ":pw@") {
				t.Errorf("password printed: %s", errs)
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runCmd(t, noEnv, "version")
	if code != 0 || !strings.HasPrefix(out, "hotline ") {
		t.Fatalf("version: %d %q", code, out)
	}
	code, out, _ = runCmd(t, noEnv, "serve", "-h")
	if code != 0 || !strings.Contains(out, "--http-addr") || !strings.Contains(out, "HOTLINE_DATABASE_URL") {
		t.Fatalf("help: %d %q", code, out)
	}
}

// TestSIGTERMDrains runs the real binary (this test binary re-executed as
// main) and stops it with SIGTERM, as an init system would.
func TestSIGTERMDrains(t *testing.T) {
	port := freePort(t)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "HOTLINE_TEST_BE_MAIN=1",
		"HOTLINE_TEST_ARGS=serve --no-demo --sip-udp-addr 127.0.0.1:0 --sip-tcp-addr 127.0.0.1:0 --data-dir "+t.TempDir()+" --http-addr 127.0.0.1:"+port)
	var errb syncBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := client.Get("http://127.0.0.1:" + port + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("never ready: %s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	client.CloseIdleConnections()
	cmd.Process.Signal(syscall.SIGHUP)
	for !strings.Contains(errb.String(), "flows reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP reloaded no flows: %s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, errb.String())
	}
	if !strings.Contains(errb.String(), "shutting down") || !strings.Contains(errb.String(), "msg=stopped") {
		t.Fatalf("no drain in the log: %s", errb.String())
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func TestFlowCommands(t *testing.T) {
	code, out, errs := runCmd(t, noEnv, "flow", "validate", "../../ivr/flows")
	if code != 0 || !strings.Contains(out, "flows valid") {
		t.Fatalf("validate shipped flows: %d %q %q", code, out, errs)
	}
	code, out, errs = runCmd(t, noEnv, "flow", "test", "../../ivr/flows")
	if code != 0 || !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Fatalf("test shipped flows: %d %q %q", code, out, errs)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "main.yaml"), []byte("flow: main\nstart: a\nnodes:\n  a:\n    kind: teleport\n"), 0o600)
	code, _, errs = runCmd(t, noEnv, "flow", "validate", bad)
	if code != 1 || !strings.Contains(errs, "main.yaml:") {
		t.Fatalf("validate broken flow: %d %q", code, errs)
	}
	if code, _, _ := runCmd(t, noEnv, "flow", "frobnicate", bad); code != 2 {
		t.Fatalf("unknown flow verb: %d", code)
	}
}

// The ticket desk is served behind the auth middleware: a demo agent files
// a fault that the demo rules send to the fault desk's pool, its member
// claims it, and the customer checks it with number and phone.
func TestTicketsThroughServe(t *testing.T) {
	r := start(t, "--data-dir", t.TempDir())
	waitReady(t, r.base)
	login := func(who string) string { return r.login(t, who) }
	call := func(token, method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, r.base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
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
	draft := `{"type":"fault","category":"broadband","subject":"宽带断了","description":"LOS红灯",
		"customer":{"phone":"13300000004","tier":"standard"},"channel":"phone"}`
	if code, _ := call("", "POST", "/api/v1/tickets", draft); code != 401 {
		t.Fatalf("anonymous create: got %d, want 401", code)
	}
	agent := login("wang.fang")
	code, created := call(agent, "POST", "/api/v1/tickets", draft)
	if code != 201 || created["group"] != "fault-desk" || created["status"] != "pooled" {
		t.Fatalf("create: %d %v", code, created)
	}
	id := fmt.Sprint(created["id"])
	if code, _ := call(login("li.qiang"), "POST", "/api/v1/tickets/"+id+"/claim", `{"version":1}`); code != 200 {
		t.Fatalf("claim by a fault-desk member: %d", code)
	}
	code, status := call("", "POST", "/api/v1/public/ticket-status", fmt.Sprintf(`{"number":%q,"phone":"13300000004"}`, created["number"]))
	if code != 200 || status["status"] == nil {
		t.Fatalf("customer status check: %d %v", code, status)
	}
	if code, _ := call("", "POST", "/api/v1/public/ticket-status", fmt.Sprintf(`{"number":%q,"phone":"13300000005"}`, created["number"])); code != 404 {
		t.Fatalf("status check with another phone: got %d, want 404", code)
	}
	// Numbers by role: the assignee sees the phone, another agent masked.
	for _, c := range []struct{ who, phone string }{{"li.qiang", "13300000004"}, {"wang.fang", "133****0004"}} {
		code, got := call(login(c.who), "GET", "/api/v1/tickets/"+id, "")
		tk, _ := got["ticket"].(map[string]any)
		cust, _ := tk["customer"].(map[string]any)
		if code != 200 || cust["phone"] != c.phone {
			t.Errorf("%s reads the ticket: %d phone %v, want %s", c.who, code, cust["phone"], c.phone)
		}
	}
	// Exports: masked, in clear only with export.clear (admins), and audited.
	raw := func(token, path string) (int, string) {
		req, _ := http.NewRequest("GET", r.base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	sup, admin := login("sun.li"), login("admin")
	if code, body := raw(sup, "/api/v1/tickets/export.csv"); code != 200 || !strings.Contains(body, "133****0004") || strings.Contains(body, "13300000004") {
		t.Errorf("supervisor export: %d %q, want the phone masked", code, body)
	}
	if code, body := raw(sup, "/api/v1/tickets/export.csv?clear=true"); code != 403 || !strings.Contains(body, `"field":"clear"`) {
		t.Errorf("supervisor export in clear: %d %s, want 403 naming clear", code, body)
	}
	if code, body := raw(admin, "/api/v1/tickets/export.csv?clear=true"); code != 200 || !strings.Contains(body, "13300000004") {
		t.Errorf("admin export in clear: %d %q", code, body)
	}
	if code, _ := raw(agent, "/api/v1/audit"); code != 403 {
		t.Errorf("agent reads the audit trail: got %d, want 403", code)
	}
	code, trail := call(sup, "GET", "/api/v1/audit?action=tickets.export", "")
	recs, _ := trail["records"].([]any)
	if code != 200 || len(recs) != 2 {
		t.Fatalf("audit trail of exports: %d %v, want the two exports", code, trail)
	}
	if first, _ := recs[0].(map[string]any); first["actor_role"] != "admin" || first["subject_id"] != "clear=true" {
		t.Errorf("newest export record: %v", first)
	}
}

// copyFlows copies the shipped flows into a directory a test may break.
func copyFlows(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := "../../ivr/flows"
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if filepath.Ext(p) == ".go" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestFlowsReload(t *testing.T) {
	flows := copyFlows(t)
	r := start(t, "--data-dir", t.TempDir(), "--ivr-flows-dir", flows)
	waitReady(t, r.base)
	token := func(login string) string { return r.login(t, login) }
	reload := func(tok string) (int, string) {
		req, _ := http.NewRequest("POST", r.base+"/api/v1/admin/flows/reload", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	admin := token("admin")
	if code, body := reload(admin); code != 200 || !strings.Contains(body, `"main"`) {
		t.Fatalf("reload: %d %s", code, body)
	}
	if code, _ := reload(token("wang.fang")); code != 403 {
		t.Fatalf("agent reload: got %d, want 403", code)
	}
	main := filepath.Join(flows, "main.yaml")
	good, _ := os.ReadFile(main)
	os.WriteFile(main, append(good, []byte("\n  broken:\n    kind: teleport\n")...), 0o644)
	code, body := reload(admin)
	if code != 422 || !strings.Contains(body, "main.yaml:") {
		t.Fatalf("reload of a broken set: %d %s", code, body)
	}
	if body := waitReady(t, r.base); !strings.Contains(body, "ready") {
		t.Fatalf("not ready after a refused reload: %s", body)
	}
}

func TestInvalidFlowsRefuseToStart(t *testing.T) {
	flows := copyFlows(t)
	os.WriteFile(filepath.Join(flows, "main.yaml"), []byte("flow: main\nstart: a\nnodes:\n  a:\n    kind: teleport\n"), 0o644)
	code, _, errs := runCmd(t, noEnv, "serve", "--data-dir", t.TempDir(), "--ivr-flows-dir", flows, "--http-addr", "127.0.0.1:0", "--sip-udp-addr", "127.0.0.1:0", "--sip-tcp-addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errs, "ivr.flows_dir") || !strings.Contains(errs, "main.yaml:") {
		t.Fatalf("got %d %q", code, errs)
	}
}
