package main

import (
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestPhoneCallsWithSIPp calls the running server with SIPp (Debian's
// sip-tester, installed by .ci/test) using the scenarios kept in
// ivr/sip/testdata/sipp: the default menu navigated with an RFC 4733 key,
// an unknown number (404) and an unsupported codec (488).
func TestPhoneCallsWithSIPp(t *testing.T) {
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not installed (apt-get install sip-tester; .ci/test does)")
	}
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open")
	waitReady(t, r.base)
	// The SIP listeners are bound, and logged, before HTTP listens.
	m := regexp.MustCompile(`msg=listening sip=(\S+) transport=udp`).FindStringSubmatch(r.stderr.String())
	if m == nil {
		t.Fatalf("no SIP listener logged: %s", r.stderr)
	}
	addr := m[1]
	dir := "../../ivr/sip/testdata/sipp"
	for _, tc := range []struct{ name, scenario, service string }{
		{"menu with RFC 4733", "menu_rfc4733.xml", "10000"},
		{"unknown number", "not_found.xml", "12345"},
		{"unsupported codec", "codec_488.xml", "10000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{addr, "-sf", tc.scenario, "-s", tc.service, "-m", "1", "-i", "127.0.0.1", "-mi", "127.0.0.1",
				"-p", "0", "-mp", "0", "-nostdin", "-timeout", "60s", "-timeout_error"}
			if tc.scenario == "menu_rfc4733.xml" {
				args = append(args, "-inf", "callers.csv")
			}
			cmd := exec.Command(sipp, args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("sipp %s: %v\n%s", tc.scenario, err, tail(string(out), 2000))
			}
		})
	}
	res, err := http.Get(r.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, want := range []string{`hotline_sip_call_attempts_total{code="200"} 1`, `hotline_sip_call_attempts_total{code="404"} 1`,
		`hotline_sip_call_attempts_total{code="488"} 1`, `hotline_dtmf_digits_total{method="rfc4733"} 1`, `hotline_sip_calls_in_progress 0`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
