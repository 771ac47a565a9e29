// Package clientaddr tells the address a request came from, for per-client
// limits and logs. Behind a reverse proxy or load balancer the socket's
// peer is the proxy; the client is then the last address in
// X-Forwarded-For that is not one of the configured trusted proxies
// (a client can write anything in the header, so only what trusted hops
// appended is believed).
package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds a request's client address.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver trusting X-Forwarded-For from the given proxies,
// each an address or a CIDR prefix (10.0.0.0/8, 192.0.2.7, ::1). With none,
// the header is ignored.
func New(trusted []string) (*Resolver, error) {
	r := &Resolver{}
	for _, s := range trusted {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			r.trusted = append(r.trusted, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an address or a CIDR prefix", s)
		}
		a = a.Unmap()
		r.trusted = append(r.trusted, netip.PrefixFrom(a, a.BitLen()))
	}
	return r, nil
}

func (r *Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr is the client's address as text: the socket's peer, or, when the
// peer is a trusted proxy, the right-most untrusted X-Forwarded-For entry.
func (r *Resolver) Addr(req *http.Request) string {
	a, ok := r.addr(req)
	if !ok {
		return req.RemoteAddr
	}
	return a.String()
}

// Key is the client for rate limits: its IPv4 address, or its IPv6 /64
// (one subscriber's network: a client rotating addresses inside its own
// prefix stays one client).
func (r *Resolver) Key(req *http.Request) string {
	a, ok := r.addr(req)
	if !ok {
		return req.RemoteAddr
	}
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

func (r *Resolver) addr(req *http.Request) (netip.Addr, bool) {
	peer, ok := parseHost(req.RemoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if len(r.trusted) == 0 || !r.isTrusted(peer) {
		return peer, true
	}
	hops := req.Header.Values("X-Forwarded-For")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, ok := parseHost(strings.TrimSpace(parts[j]))
			if !ok {
				// Garbage from before a trusted hop: the last good
				// address is the client.
				return client, true
			}
			client = a
			if !r.isTrusted(a) {
				return a, true
			}
		}
	}
	return client, true
}

// parseHost reads "ip", "ip:port" or "[ipv6]:port".
func parseHost(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}
