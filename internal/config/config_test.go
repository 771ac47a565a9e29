package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md's key table")

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hotline.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsValidate(t *testing.T) {
	c, rest, err := Load(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 0 || c.HTTP.Addr != ":8080" || c.DataDir != "./hotline-data" || !c.Demo {
		t.Fatalf("got %+v, rest %v", c, rest)
	}
}

func TestPrecedence(t *testing.T) {
	p := writeFile(t, "http:\n  addr: 127.0.0.1:9000\n  shutdown_timeout: 5s\ndata_dir: /var/lib/a\ndemo: false\n")
	c, rest, err := Load([]string{"--data-dir", "/var/lib/c", "extra"}, env(map[string]string{
		EnvConfig:                       p,
		"HOTLINE_HTTP_SHUTDOWN_TIMEOUT": "7s",
		"HOTLINE_DATA_DIR":              "/var/lib/b",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != "127.0.0.1:9000" || c.HTTP.ShutdownTimeout != 7*time.Second || c.DataDir != "/var/lib/c" || c.Demo {
		t.Fatalf("got addr %s, shutdown %v, data dir %s, demo %v", c.HTTP.Addr, c.HTTP.ShutdownTimeout, c.DataDir, c.Demo)
	}
	if len(rest) != 1 || rest[0] != "extra" {
		t.Fatalf("rest: got %v", rest)
	}
	c, _, err = Load([]string{"--config", p, "--no-demo=false", "--http-addr=:7000"}, env(nil))
	if err != nil || !c.Demo || c.HTTP.Addr != ":7000" {
		t.Fatalf("flags: got demo %v addr %s, %v", c.Demo, c.HTTP.Addr, err)
	}
	c, _, _ = Load([]string{"--no-demo"}, env(nil))
	if c.Demo {
		t.Fatal("--no-demo left demo on")
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name, file string
		args       []string
		env        map[string]string
		want       []string
	}{
		{name: "unknown file key", file: "http:\n  adress: :80\n", want: []string{"http.adress", "unknown key", ":2"}},
		{name: "unknown group", file: "sip:\n  port: 5060\n", want: []string{"sip", "unknown key"}},
		{name: "bad duration in file", file: "http:\n  shutdown_timeout: soon\n", want: []string{"http.shutdown_timeout", "invalid duration", `"soon"`, ":2"}},
		{name: "group given a scalar", file: "http: 8080\n", want: []string{"http", "want a mapping"}},
		{name: "leaf given a mapping", file: "data_dir:\n  a: b\n", want: []string{"data_dir", "want a single value"}},
		{name: "duplicate key", file: "demo: true\ndemo: false\n", want: []string{"demo"}},
		{name: "bad env duration", env: map[string]string{"HOTLINE_AUTH_SESSION_MAX_AGE": "forever"}, want: []string{"auth.session_max_age", "HOTLINE_AUTH_SESSION_MAX_AGE", `"forever"`}},
		{name: "bad env int", env: map[string]string{"HOTLINE_DATABASE_MAX_CONNS": "ten"}, want: []string{"database.max_conns", "invalid integer"}},
		{name: "bad flag bool", args: []string{"--demo=maybe"}, want: []string{"demo"}},
		{name: "unknown flag", args: []string{"--colour"}, want: []string{"colour"}},
		{name: "negative duration", args: []string{"--http-shutdown-timeout=-1s"}, want: []string{"http.shutdown_timeout", "must be positive"}},
		{name: "transcript spill of no size", args: []string{"--desk-transcript-spill-mib", "0"}, want: []string{"desk.transcript_spill_mib", "between 1 and"}},
		{name: "transcript wait of none", env: map[string]string{"HOTLINE_DESK_TRANSCRIPT_MAX_WAIT": "0s"}, want: []string{"desk.transcript_max_wait", "must be positive"}},
		{name: "bad addr", env: map[string]string{"HOTLINE_HTTP_ADDR": "8080"}, want: []string{"http.addr", `"8080"`}},
		{name: "bad database scheme", env: map[string]string{"HOTLINE_DATABASE_URL": "mysql://root:pw@db/x"}, want: []string{"database.url", "postgres://"}},
		{name: "bad log level", args: []string{"--log-level", "loud"}, want: []string{"log.level", `"loud"`}},
		{name: "idle past max age", args: []string{"--auth-session-idle-timeout", "13h"}, want: []string{"auth.session_idle_timeout"}},
		{name: "debug listener beyond loopback", args: []string{"--debug-addr", ":6060"}, want: []string{"debug.addr", "loopback"}},
		{name: "debug listener on a public address", env: map[string]string{"HOTLINE_DEBUG_ADDR": "192.0.2.1:6060"}, want: []string{"debug.addr", "192.0.2.1:6060"}},
		{name: "softphone host name", file: "softphone:\n  ips: [localhost]\n", want: []string{"softphone.ips", `"localhost"`}},
		{name: "no REGISTER per source", env: map[string]string{"HOTLINE_PHONES_REGISTERS_PER_SOURCE": "0"}, want: []string{"phones.registers_per_source", "at least 1"}},
		{name: "no REGISTER burst", args: []string{"--phones-register-burst", "0"}, want: []string{"phones.register_burst", "at least 1"}},
		{name: "softphone half a port range", args: []string{"--softphone-port-min", "40000"}, want: []string{"softphone.port_min"}},
		{name: "not yaml", file: "http: [unclosed\n", want: []string{"hotline.yaml"}},
		{name: "top-level list", file: "- a\n- b\n", want: []string{"(top level)", "want a mapping"}},
		{name: "unknown kb backend", env: map[string]string{"HOTLINE_KNOWLEDGE_BACKEND": "solr"}, want: []string{"knowledge.backend", "meilisearch"}},
		{name: "meilisearch without url", args: []string{"--knowledge-backend", "meilisearch"}, want: []string{"knowledge.meili_url"}},
		{name: "bad report address", args: []string{"--kpi-report-to", "boss@example.cn,not an address"}, want: []string{"kpi.report_to", `"not an address"`}},
		{name: "trunk without from", args: []string{"--sip-trunk-proxy", "192.0.2.9:5060"}, want: []string{"sip.trunk.from"}},
		{name: "trunk proxy without port", file: "sip:\n  trunk:\n    proxy: carrier.example\n    from: \"02110000\"\n", want: []string{"sip.trunk.proxy", `"carrier.example"`}},
		{name: "bad dial plan", env: map[string]string{"HOTLINE_SIP_TRUNK_DIAL_PLAN": "1[3-9"}, want: []string{"sip.trunk.dial_plan", `"1[3-9"`}},
		{name: "bad trunk transport", args: []string{"--sip-trunk-transport", "tls"}, want: []string{"sip.trunk.transport"}},
		{name: "bad meili index", args: []string{"--knowledge-backend", "meilisearch", "--knowledge-meili-url", "http://127.0.0.1:7700", "--knowledge-meili-index", "a b"}, want: []string{"knowledge.meili_index"}},
		{name: "answer match over 100", args: []string{"--knowledge-answer-min-match", "101"}, want: []string{"knowledge.answer_min_match", "percent"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range tc.env {
				e[k] = v
			}
			if tc.file != "" {
				e[EnvConfig] = writeFile(t, tc.file)
			}
			_, _, err := Load(tc.args, env(e))
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Count(err.Error(), "\n") > 0 && tc.name != "not yaml" {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestSecretsNeverEchoed(t *testing.T) {
	_, _, err := Load(nil, env(map[string]string{"HOTLINE_DATABASE_URL": "mysql://root:hunter2@db/x"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("got %v: want an error without the password", err)
	}
}

func TestMissingFile(t *testing.T) {
	_, _, err := Load([]string{"--config", "/nonexistent/hotline.yaml"}, env(nil))
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/hotline.yaml") {
		t.Fatalf("got %v", err)
	}
}

func TestHelp(t *testing.T) {
	_, _, err := Load([]string{"-h"}, env(nil))
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("got %v, want flag.ErrHelp", err)
	}
	var b strings.Builder
	Usage(&b)
	for _, k := range Keys() {
		if !strings.Contains(b.String(), "--"+k.Flag) || !strings.Contains(b.String(), k.Env) {
			t.Errorf("usage lacks %s", k.Name)
		}
	}
}

// Every key has a spelling in each source and a line in the docs.
func TestReferenceInDocs(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "configuration.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- keys:begin -->\n", "<!-- keys:end -->"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %q … %q markers", path, begin, end)
	}
	want := Reference()
	if got := string(doc[i+len(begin) : j]); got != want {
		if *update {
			out := string(doc[:i+len(begin)]) + want + string(doc[j:])
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("%s is out of date: run go test ./internal/config -update", path)
	}
}

func FuzzYAML(f *testing.F) {
	f.Add("http:\n  addr: :8080\n")
	f.Add("auth: {session_idle_timeout: 5m}\n")
	f.Add("demo: [1, 2]\n")
	f.Add("&a x: *a\n")
	f.Fuzz(func(t *testing.T, body string) {
		c := Default()
		_ = loadYAML(&c, "fuzz.yaml", []byte(body)) // must not panic
	})
}

// Regression (issue 9): a database password never appears in an error,
// whatever form the connection string takes.
func TestDatabasePasswordNeverInErrors(t *testing.T) {
	const pw = "Pa55wordX"
	for _, u := range []string{
		"mysql://root:" + pw + "@db/x",
		"mysql://db/x?user=root&password=" + pw,
		"host=db user=hotline password=" + pw + " dbname=hotline",
		"host=db password='" + pw + " x'",
		"postgres://u:" + pw + "@db:port/x",
		"postgres://u:" + pw + "@[::1/x",
	} {
		_, _, err := Load(nil, env(map[string]string{"HOTLINE_DATABASE_URL": u}))
		if err == nil {
			t.Errorf("%s: no error", u)
			continue
		}
		if strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "database.url") {
			t.Errorf("error %q shows the password or hides the key", err)
		}
	}
}

func TestFrameAncestors(t *testing.T) {
	c, _, err := Load(nil, env(nil))
	if err != nil || len(c.HTTP.FrameAncestors) != 1 || c.HTTP.FrameAncestors[0] != "'self'" {
		t.Fatalf("default frame_ancestors %q %v, want 'self'", c.HTTP.FrameAncestors, err)
	}
	c, _, err = Load([]string{"--http-frame-ancestors", "'self',https://crm.example.com"}, env(nil))
	if err != nil || len(c.HTTP.FrameAncestors) != 2 {
		t.Fatalf("flag: %q %v", c.HTTP.FrameAncestors, err)
	}
	for _, bad := range []string{"'none',https://x.example", "https://a.example; script-src *"} {
		if _, _, err := Load(nil, env(map[string]string{"HOTLINE_HTTP_FRAME_ANCESTORS": bad})); err == nil || !strings.Contains(err.Error(), "http.frame_ancestors") {
			t.Errorf("%q: got %v, want an http.frame_ancestors error", bad, err)
		}
	}
}

func TestDebugAddrLoopbackOnly(t *testing.T) {
	c, _, err := Load(nil, env(nil))
	if err != nil || c.Debug.Addr != "" {
		t.Fatalf("default debug.addr %q, err %v: the profiler must be off by default", c.Debug.Addr, err)
	}
	for _, a := range []string{"127.0.0.1:6060", "[::1]:6060", "localhost:6060", "127.0.0.2:0"} {
		if _, _, err := Load([]string{"--debug-addr", a}, env(nil)); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
	for _, a := range []string{":6060", "0.0.0.0:6060", "[::]:6060", "10.0.0.1:6060", "example.com:6060", "127.0.0.1"} {
		if _, _, err := Load([]string{"--debug-addr", a}, env(nil)); err == nil {
			t.Errorf("%s accepted", a)
		}
	}
}
