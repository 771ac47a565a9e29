package clientaddr

import (
	"net/http"
	"testing"
)

func TestAddr(t *testing.T) {
	cases := []struct {
		name    string
		trusted []string
		remote  string
		xff     []string
		want    string
		key     string
	}{
		{"no proxies: header ignored", nil, "203.0.113.9:5555", []string{"198.51.100.1"}, "203.0.113.9", "203.0.113.9"},
		{"untrusted peer: header ignored", []string{"10.0.0.0/8"}, "203.0.113.9:5555", []string{"198.51.100.1"}, "203.0.113.9", "203.0.113.9"},
		{"trusted peer", []string{"10.0.0.0/8"}, "10.1.2.3:80", []string{"198.51.100.1"}, "198.51.100.1", "198.51.100.1"},
		{"spoofed left entries ignored", []string{"10.0.0.0/8"}, "10.1.2.3:80", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1", "198.51.100.1"},
		{"two trusted hops", []string{"10.0.0.0/8", "192.0.2.7"}, "10.1.2.3:80", []string{"198.51.100.1, 192.0.2.7"}, "198.51.100.1", "198.51.100.1"},
		{"several headers", []string{"10.0.0.0/8"}, "10.1.2.3:80", []string{"1.1.1.1", "198.51.100.2"}, "198.51.100.2", "198.51.100.2"},
		{"garbage before a trusted hop", []string{"10.0.0.0/8"}, "10.1.2.3:80", []string{"nonsense, 10.9.9.9"}, "10.9.9.9", "10.9.9.9"},
		{"no header from a trusted peer", []string{"10.0.0.0/8"}, "10.1.2.3:80", nil, "10.1.2.3", "10.1.2.3"},
		{"ipv6 keyed by /64", nil, "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"mapped ipv4", nil, "[::ffff:203.0.113.9]:1", nil, "203.0.113.9", "203.0.113.9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := New(c.trusted)
			if err != nil {
				t.Fatal(err)
			}
			req := &http.Request{RemoteAddr: c.remote, Header: http.Header{}}
			for _, v := range c.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := r.Addr(req); got != c.want {
				t.Errorf("Addr: got %s, want %s", got, c.want)
			}
			if got := r.Key(req); got != c.key {
				t.Errorf("Key: got %s, want %s", got, c.key)
			}
		})
	}
}

func TestNewRejectsGarbage(t *testing.T) {
	if _, err := New([]string{"10.0.0.0/8", "not-an-address"}); err == nil {
		t.Fatal("got no error for a bad trusted proxy")
	}
}

func FuzzAddr(f *testing.F) {
	f.Add("10.0.0.1:1", "1.2.3.4, 10.0.0.2")
	f.Add("[::1]:9", "garbage,,, ::1")
	r, _ := New([]string{"10.0.0.0/8", "::1"})
	f.Fuzz(func(t *testing.T, remote, xff string) {
		req := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {xff}}}
		_ = r.Addr(req)
		_ = r.Key(req)
	})
}
