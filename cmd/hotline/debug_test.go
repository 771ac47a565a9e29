package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The profiler listens only where debug.addr says, apart from the public
// listener, and is off by default.
func TestDebugListener(t *testing.T) {
	r := start(t, "--data-dir", t.TempDir(), "--debug-addr", "127.0.0.1:0")
	m := regexp.MustCompile(`profiler listening"? debug=(127\.0\.0\.1:\d+)`).FindStringSubmatch(r.stderr.String())
	if m == nil {
		t.Fatalf("no profiler address logged: %s", r.stderr)
	}
	resp, err := client.Get("http://" + m[1] + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("profiler answered %d: %.200s", resp.StatusCode, body)
	}
	resp, err = client.Get(r.base + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("public listener serves the profiler: %d", resp.StatusCode)
	}
	if code := r.stop(); code != 0 {
		t.Fatalf("serve exited with %d: %s", code, r.stderr)
	}
	if _, err := client.Get("http://" + m[1] + "/debug/pprof/"); err == nil {
		t.Fatal("profiler still listening after the node stopped")
	}

	off := start(t, "--data-dir", t.TempDir())
	if strings.Contains(off.stderr.String(), "profiler listening") {
		t.Fatalf("profiler on by default: %s", off.stderr)
	}
}
