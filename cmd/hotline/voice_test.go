package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/hotline10000/hotline/internal/store"
)

// TestPhoneCallsWithSIPp calls the running server with SIPp (Debian's
// sip-tester, installed by .ci/test) using the scenarios kept in
// ivr/sip/testdata/sipp, all at once: the default menu navigated to a
// self-service answer (the balance) with an RFC 4733 key and with a SIP
// INFO key, a fault report filed by phone, a hang-up in the middle of the
// welcome prompt, a CANCEL while ringing, an unknown number (404) and an
// unsupported codec (488). Then it checks /metrics and, once the server
// stopped, the store: the fault ticket and the calls' IVR events.
func TestPhoneCallsWithSIPp(t *testing.T) {
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not installed (apt-get install sip-tester; .ci/test does)")
	}
	dir := t.TempDir()
	// It rings for a second so that a CANCEL lands before the answer; the
	// SIPp callers send no RTP, so the inactivity timeout is longer than
	// the longest scenario.
	r := start(t, "--data-dir", dir, "--ivr-always-open", "--sip-ring-delay", "1s", "--sip-rtp-timeout", "5m")
	waitReady(t, r.base)
	// The SIP listeners are bound, and logged, before HTTP listens.
	m := regexp.MustCompile(`msg=listening sip=(\S+) transport=udp`).FindStringSubmatch(r.stderr.String())
	if m == nil {
		t.Fatalf("no SIP listener logged: %s", r.stderr)
	}
	addr := m[1]
	t.Run("calls", func(t *testing.T) {
		for _, tc := range []struct{ name, scenario, service string }{
			{"menu with RFC 4733", "menu_rfc4733.xml", "10000"},
			{"menu with SIP INFO", "menu_info.xml", "10000"},
			{"fault report", "fault_report.xml", "10000"},
			{"hang up mid-prompt", "hangup_mid_prompt.xml", "10000"},
			{"late offer", "late_offer.xml", "10000"},
			{"CANCEL before answer", "cancel.xml", "10000"},
			{"unknown number", "not_found.xml", "12345"},
			{"unsupported codec", "codec_488.xml", "10000"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				cmd := exec.Command(sipp, addr, "-sf", tc.scenario, "-s", tc.service, "-m", "1", "-i", "127.0.0.1", "-mi", "127.0.0.1",
					"-p", "0", "-mp", "0", "-inf", "callers.csv", "-nostdin", "-timeout", "120s", "-timeout_error")
				cmd.Dir = "../../ivr/sip/testdata/sipp"
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("sipp %s: %v\n%s", tc.scenario, err, tail(string(out), 2000))
				}
			})
		}
	})
	res, err := http.Get(r.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	// 13 INFO keys in the fault report (4, 1, ten digits, #) and one in
	// the menu.
	for _, want := range []string{`hotline_sip_call_attempts_total{code="200"} 5`, `hotline_sip_call_attempts_total{code="404"} 1`,
		`hotline_sip_call_attempts_total{code="487"} 1`, `hotline_sip_call_attempts_total{code="488"} 1`,
		`hotline_dtmf_digits_total{method="rfc4733"} 1`, `hotline_dtmf_digits_total{method="info"} 14`, `hotline_sip_calls_in_progress 0`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code := r.stop(); code != 0 {
		t.Fatalf("serve exited with %d: %s", code, tail(r.stderr.String(), 2000))
	}

	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tickets, err := st.SearchTickets(ctx, store.TicketQuery{Type: "fault"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tickets) != 1 || !strings.Contains(tickets[0].Doc, "0571880000") || !strings.Contains(tickets[0].Doc, "broadband") {
		t.Errorf("fault tickets %+v, want one for broadband with the contact number typed", tickets)
	}
	count := func(typ, node string) int {
		evs, err := st.Events(ctx, store.EventFilter{TypePrefix: typ})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if node == "" || strings.Contains(string(e.Data), fmt.Sprintf(`"node":%q`, node)) {
				n++
			}
		}
		return n
	}
	// Both menu calls heard their balance; the fault call got its ticket.
	if n := count("ivr.self_service_completed", "balance_lookup"); n != 2 {
		t.Errorf("balance answers %d, want 2 (RFC 4733 and INFO)", n)
	}
	if n := count("ivr.ticket_created", "fault_ticket"); n != 1 {
		t.Errorf("fault tickets created by the IVR %d, want 1", n)
	}
	if n := count("ivr.abandoned_in_ivr", "welcome"); n != 2 {
		t.Errorf("calls abandoned during the welcome %d, want 2 (mid-prompt, late offer)", n)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
