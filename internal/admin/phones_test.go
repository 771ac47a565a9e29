package admin_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

func TestAgentPhone(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		path := "/api/v1/admin/agents/" + e.ids["ann"] + "/phone"
		got := e.must(e.do("root", "GET", path, nil), http.StatusOK)
		if got.body["kind"] != "" || got.body["has_sip_password"] != false {
			t.Fatalf("fresh phone setting: %s", got.raw)
		}
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"kind": "fax"}, "kind"},
			{map[string]any{"kind": "sip", "sip_user": "a b"}, "sip_user"},
			{map[string]any{"kind": "sip", "sip_user": "1001", "sip_password": "short"}, "sip_password"},
			{map[string]any{"kind": "sip", "sip_user": "1001"}, "sip_password"}, // a new user needs a password
			{map[string]any{"kind": "sip", "sip_password": "long-enough-pw"}, "sip_user"},
		} {
			if a := e.do("root", "PUT", path, tc.body); a.status != http.StatusBadRequest || a.errField() != tc.field {
				t.Fatalf("%v: got %d field %q, want 400 naming %s: %s", tc.body, a.status, a.errField(), tc.field, a.raw)
			}
		}
		// The phone is part of the agent: it carries the agent's ETag, and
		// an edit with a stale one is refused, nothing applied.
		tag := got.header.Get("ETag")
		if ag := e.must(e.do("root", "GET", "/api/v1/admin/agents/"+e.ids["ann"], nil), http.StatusOK); tag == "" || ag.header.Get("ETag") != tag {
			t.Fatalf("phone ETag %q, agent's %q", tag, ag.header.Get("ETag"))
		}
		if a := e.do("root", "PUT", path, map[string]any{"kind": "sip"}, "If-Match", "soon"); a.status != http.StatusBadRequest || a.errField() != "If-Match" {
			t.Fatalf("invalid If-Match: %d %s", a.status, a.raw)
		}
		set := e.must(e.do("root", "PUT", path, map[string]any{"kind": "sip", "sip_user": "1001", "sip_password": "long-enough-pw"}, "If-Match", tag), http.StatusOK)
		if set.header.Get("ETag") == tag || set.header.Get("ETag") == "" {
			t.Fatalf("ETag after the change: %q, was %q", set.header.Get("ETag"), tag)
		}
		if a := e.do("root", "PUT", path, map[string]any{"kind": "browser"}, "If-Match", tag); a.status != http.StatusConflict || a.errField() != "If-Match" {
			t.Fatalf("stale phone edit: %d %s", a.status, a.raw)
		}
		if a := e.do("root", "PATCH", "/api/v1/admin/agents/"+e.ids["ann"], map[string]any{"site": "hz"}, "If-Match", tag); a.status != http.StatusConflict {
			t.Fatalf("an agent edit from before the phone change: %d %s", a.status, a.raw)
		}
		if set.body["sip_user"] != "1001" || set.body["has_sip_password"] != true || strings.Contains(string(set.raw), "ha1") {
			t.Fatalf("set: %s", set.raw)
		}
		x, err := e.st.AgentPhone(context.Background(), e.ids["ann"])
		sum := md5.Sum([]byte("1001:hotline:long-enough-pw"))
		if err != nil || x.SIPHA1 != hex.EncodeToString(sum[:]) || x.SIPRealm != "hotline" || x.Kind != "sip" {
			t.Fatalf("stored %+v, %v", x, err)
		}
		// Kind changes keep the credentials of the same user.
		e.must(e.do("root", "PUT", path, map[string]any{"kind": "browser", "sip_user": "1001"}), http.StatusOK)
		if y, _ := e.st.AgentPhone(context.Background(), e.ids["ann"]); y.SIPHA1 != x.SIPHA1 || y.Kind != "browser" {
			t.Fatalf("after a kind change: %+v", y)
		}
		// Another agent may not take the user name.
		a := e.do("root", "PUT", "/api/v1/admin/agents/"+e.ids["bob"]+"/phone", map[string]any{"sip_user": "1001", "sip_password": "another-long-pw"})
		if a.status != http.StatusConflict || a.errField() != "sip_user" {
			t.Fatalf("taken user: %d %s", a.status, a.raw)
		}
		e.must(e.do("root", "PUT", "/api/v1/admin/agents/nobody/phone", map[string]any{"kind": "sip"}), http.StatusNotFound)
		e.must(e.do("ann", "PUT", path, map[string]any{"kind": "sip"}), http.StatusForbidden)
		tr := e.must(e.do("root", "GET", "/api/v1/admin/audit?action=admin.agent.phone", nil), http.StatusOK)
		if strings.Contains(string(tr.raw), "long-enough-pw") || strings.Contains(string(tr.raw), x.SIPHA1) {
			t.Fatalf("the audit trail holds the password or its hash: %s", tr.raw)
		}
	})
}
