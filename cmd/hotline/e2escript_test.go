package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// e2eScript is one of agentdesk/e2e's Chromium scripts, run by node
// against a running serve while the test plays the other side of a call.
// The script prints its turns on stdout (READY, CONNECTED, …) and reads
// the test's answers (HEARD, …) on stdin.
type e2eScript struct {
	t     *testing.T
	r     *running
	name  string
	cmd   *exec.Cmd
	stdin io.Writer
	said  chan string
	done  chan struct{} // closed when its stdout ends

	logMu sync.Mutex
	log   strings.Builder // stdout and stderr, for finish
}

// runE2EScript starts script with env added to the test's environment,
// the artifacts directory (E2E_ARTIFACTS or agentdesk/e2e/artifacts) and
// Debian's Chromium.
func runE2EScript(ctx context.Context, t *testing.T, r *running, script string, env ...string) *e2eScript {
	t.Helper()
	out := os.Getenv("E2E_ARTIFACTS")
	if out == "" {
		out = filepath.Join(e2eDir, "artifacts")
	}
	out, _ = filepath.Abs(out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &e2eScript{t: t, r: r, name: filepath.Base(script), said: make(chan string, 4), done: make(chan struct{})}
	s.cmd = exec.CommandContext(ctx, "node", script)
	s.cmd.Dir = filepath.Dir(script)
	s.cmd.Env = append(append(os.Environ(), env...), "ARTIFACTS="+out, "CHROMIUM=/usr/bin/chromium")
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = &lockedWriter{mu: &s.logMu, w: &s.log}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(s.done)
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			s.logMu.Lock()
			s.log.WriteString(lines.Text() + "\n")
			s.logMu.Unlock()
			select {
			case s.said <- lines.Text():
			default:
			}
		}
	}()
	return s
}

// await reads the script's turns until word; false when the script or
// ctx ended first.
func (s *e2eScript) await(ctx context.Context, word string) bool {
	for {
		select {
		case l := <-s.said:
			if l == word {
				return true
			}
		case <-s.done:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// tell answers the script.
func (s *e2eScript) tell(word string) {
	s.t.Helper()
	if _, err := io.WriteString(s.stdin, word+"\n"); err != nil {
		s.t.Fatalf("tell the script: %v", err)
	}
}

// finish waits for the script to end, logs what it printed, and fails the
// test with the server's log when the script failed.
func (s *e2eScript) finish() {
	s.t.Helper()
	<-s.done
	err := s.cmd.Wait()
	s.logMu.Lock()
	s.t.Logf("%s:\n%s", s.name, s.log.String())
	s.logMu.Unlock()
	if err != nil {
		s.t.Fatalf("browser test failed: %v\nserver log:\n%s", err, tail(s.r.stderr.String(), 4000))
	}
}
