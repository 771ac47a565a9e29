package agentdesk_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

// TestMarketingLogOwnContactOnly: an offer is recorded on the agent's own
// contact; another agent's contact (or one that does not exist) is refused
// with forbidden.
func TestMarketingLogOwnContactOnly(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	alice, _, contact := readyAgentWithChat(t, s)
	bob := dialDesk(t, s, "bob", "")
	log := map[string]string{"contact_id": contact, "offer": "5G 融合套餐", "outcome": "accepted"}
	_, err := bob.Do("marketing.log", log, wait)
	wantCode(t, err, agentdesk.CodeForbidden)
	_, err = bob.Do("marketing.log", map[string]string{"contact_id": "chat-nosuch", "offer": "5G", "outcome": "presented"}, wait)
	wantCode(t, err, agentdesk.CodeForbidden)
	do(t, alice, "marketing.log", log)
}

// startFrom posts /chat/api/start as a client behind the trusted proxy
// (the test server's loopback peer) with X-Forwarded-For addr.
func startFrom(t *testing.T, s *deskttest.Server, addr string) (*http.Response, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/chat/api/start", bytes.NewReader([]byte(`{"name":"x"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

// TestChatStartsPerAddress: one address flooding /chat/api/start is
// refused with 429 and a JSON error once its bucket is empty, while
// another address still starts a chat; an untrusted X-Forwarded-For is
// not believed.
func TestChatStartsPerAddress(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{ChatStartsPerAddress: 1, ChatStartBurst: 3, TrustedProxies: []string{"127.0.0.1"}})
	refused := 0
	for range 20 {
		resp, body := startFrom(t, s, "198.51.100.7")
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			refused++
			if body["code"] != agentdesk.CodeRateLimited || resp.Header.Get("Retry-After") == "" ||
				resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Fatalf("429 body %v headers %v, want a rate_limited JSON error with Retry-After", body, resp.Header)
			}
		default:
			t.Fatalf("flood: got status %d", resp.StatusCode)
		}
	}
	if refused != 17 {
		t.Fatalf("flooding address: %d of 20 refused, want 17 (burst 3)", refused)
	}
	resp, body := startFrom(t, s, "203.0.113.50")
	if resp.StatusCode != http.StatusOK || body["token"] == "" {
		t.Fatalf("another address: status %d %v, want a chat started", resp.StatusCode, body)
	}
}

// TestChatStartsSpoofedForwardedFor: without trusted proxies the header is
// not believed, so a flood cannot dodge its limit by inventing addresses.
func TestChatStartsSpoofedForwardedFor(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{ChatStartsPerAddress: 1, ChatStartBurst: 2})
	ok := 0
	for i := range 5 {
		resp, _ := startFrom(t, s, "198.51.100."+string(rune('1'+i)))
		if resp.StatusCode == http.StatusOK {
			ok++
		}
	}
	if ok != 2 {
		t.Fatalf("%d chats started with invented X-Forwarded-For, want 2 (the peer's burst)", ok)
	}
}
