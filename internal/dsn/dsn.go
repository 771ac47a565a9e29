// Package dsn keeps database passwords out of messages: whatever form a
// connection string takes — a URL with user:password@, a URL with
// ?password=, or libpq's keyword form password=… — Redact masks the
// password, and Scrub masks it inside any text (a driver's error) that
// may quote the connection string, whole or in part.
package dsn

import (
	"net/url"
	"regexp"
	"strings"
)

const mask = "xxxxx"

var (
	// scheme://user:password@ — the password may hold anything but the
	// last @ before the host, escaped or not.
	userinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://[^\s:/?#@]*:)[^\s]*@`)
	// password=… as a URL query parameter or a libpq keyword (quoted
	// with single quotes, or up to the next space or &).
	keyword = regexp.MustCompile(`(?i)((?:^|[\s?&;])(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&;]*)`)
)

// Redact returns s with any password in it masked.
func Redact(s string) string {
	s = userinfo.ReplaceAllString(s, "${1}"+mask+"@")
	return keyword.ReplaceAllString(s, "${1}"+mask)
}

// Scrub returns text with every password of the connection string dsn
// masked, also where text quotes it alone (decoded, or in a driver's own
// words), then Redact.
func Scrub(text, dsn string) string {
	for _, p := range secrets(dsn) {
		if p != "" {
			text = strings.ReplaceAll(text, p, mask)
		}
	}
	return Redact(text)
}

// secrets are the passwords dsn holds, as written and decoded.
func secrets(s string) []string {
	var out []string
	if m := userinfo.FindStringSubmatchIndex(s); m != nil {
		raw := s[m[3] : m[1]-1] // between "user:" and the @
		out = append(out, raw)
		if d, err := url.PathUnescape(raw); err == nil {
			out = append(out, d)
		}
	}
	for _, m := range keyword.FindAllStringSubmatch(s, -1) {
		raw := m[2]
		out = append(out, raw, strings.Trim(raw, "'"))
		if d, err := url.QueryUnescape(raw); err == nil {
			out = append(out, d)
		}
	}
	return out
}
