package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorruptPromptRefusesToStart (issue 11, bad input: "a corrupt WAV
// prompt at load, refused at start with its path"): a flows directory
// whose prompts/ holds a WAV that is not one stops `hotline serve` at
// start, with an error naming the file and the directory it is in.
func TestCorruptPromptRefusesToStart(t *testing.T) {
	flows := copyFlows(t)
	dir := filepath.Join(flows, "prompts", "en")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(flows, "prompts", "en.tsv"), []byte("welcome\tWelcome.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "welcome.wav"), []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCmd(t, noEnv, "serve", "--data-dir", t.TempDir(), "--ivr-flows-dir", flows,
		"--http-addr", "127.0.0.1:0", "--sip-udp-addr", "127.0.0.1:0", "--sip-tcp-addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errs, "ivr.flows_dir ("+flows+")") || !strings.Contains(errs, "prompts/en/welcome.wav") {
		t.Fatalf("serve with a corrupt prompt: exit %d, %q; want 1 and an error naming the flows directory and prompts/en/welcome.wav", code, errs)
	}
}
