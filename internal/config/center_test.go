package config

import (
	"strings"
	"testing"
)

// TestCenterAndChatStartKeys: the center's zone, the per-address chat
// limit and the trusted proxies come from flags and the environment like
// every key, and bad values are refused naming the key.
func TestCenterAndChatStartKeys(t *testing.T) {
	env := map[string]string{"HOTLINE_CENTER_TIME_ZONE": "Asia/Urumqi", "HOTLINE_HTTP_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, _, err := Load([]string{"--desk-chat-starts-per-address", "12"}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Center.TimeZone != "Asia/Urumqi" || c.Desk.ChatStartsPerAddress != 12 || len(c.HTTP.TrustedProxies) != 2 {
		t.Fatalf("got zone %q, per address %d, proxies %v", c.Center.TimeZone, c.Desk.ChatStartsPerAddress, c.HTTP.TrustedProxies)
	}
	for _, tc := range []struct{ flag, value, key string }{
		{"--center-time-zone", "Mars/Olympus", "center.time_zone"},
		{"--desk-chat-start-burst", "0", "desk.chat_start_burst"},
		{"--desk-chat-starts-per-second", "0", "desk.chat_starts_per_second"},
		{"--http-trusted-proxies", "10.0.0.0/8,nonsense", "http.trusted_proxies"},
	} {
		c, _, err := Load([]string{tc.flag, tc.value}, func(string) (string, bool) { return "", false })
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s %s: got %v, want an error naming %s", tc.flag, tc.value, err, tc.key)
		}
	}
}
