package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

var ctx = context.Background()

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	st    *store.Store
	svc   *auth.Service
	clk   *clock
	srv   *httptest.Server
	users map[auth.Role]store.Agent
}

const password = "correct horse battery"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := storetest.SQLite(t)
	clk := &clock{t: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
	svc := auth.NewService(st, auth.Options{
		IdleTimeout: 30 * time.Minute, MaxAge: 12 * time.Hour,
		LoginLimitAccount: 30, LoginLimitAddress: 100, LoginLimitWindow: 15 * time.Minute,
		PasswordMinLength: 8, Hash: auth.FastHashParams, Now: clk.now,
	})
	f := &fixture{st: st, svc: svc, clk: clk, users: map[auth.Role]store.Agent{}}
	for _, r := range []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin} {
		a, err := svc.CreateAgent(ctx, string(r)+"1", "Test "+string(r), r, password)
		if err != nil {
			t.Fatal(err)
		}
		f.users[r] = a
	}
	mux := http.NewServeMux()
	svc.Routes(mux, 1<<20)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) do(t *testing.T, method, path, token, body string, hdr ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if resp.StatusCode >= 400 {
		e, _ := out["error"].(map[string]any)
		if e["code"] == nil || e["code"] == "" {
			t.Fatalf("%s %s: %d without a JSON error code: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

func (f *fixture) login(t *testing.T, login string) string {
	t.Helper()
	code, out := f.do(t, "POST", "/api/v1/auth/login", "", fmt.Sprintf(`{"login":%q,"password":%q}`, login, password))
	if code != 200 {
		t.Fatalf("login %s: %d %v", login, code, out)
	}
	return out["token"].(string)
}

func TestRoleBoundaries(t *testing.T) {
	f := newFixture(t)
	tokens := map[string]string{}
	for r, a := range f.users {
		tokens[string(r)] = f.login(t, a.Login)
	}
	key, _, err := f.svc.CreateAPIKey(ctx, "eoms", auth.RoleIntegration, f.users[auth.RoleAdmin].ID)
	if err != nil {
		t.Fatal(err)
	}
	tokens["integration"] = key
	tokens["none"] = ""
	tokens["forged"] = "hls_" + strings.Repeat("A", 43)
	agentID := f.users[auth.RoleAgent].ID

	type route struct{ method, path, body string }
	routes := map[string]route{
		"me":          {"GET", "/api/v1/auth/me", ""},
		"list agents": {"GET", "/api/v1/agents", ""},
		"new agent":   {"POST", "/api/v1/agents", `{"login":"x%s","display_name":"X","role":"agent","password":"longenough"}`},
		"kick agent":  {"POST", "/api/v1/agents/" + agentID + "/logout", ""},
		"list keys":   {"GET", "/api/v1/apikeys", ""},
		"new key":     {"POST", "/api/v1/apikeys", `{"name":"k%s"}`},
	}
	// want[route][principal] is the status code.
	want := map[string]map[string]int{
		"me":          {"agent": 200, "supervisor": 200, "admin": 200, "integration": 200, "none": 401, "forged": 401},
		"list agents": {"agent": 403, "supervisor": 200, "admin": 200, "integration": 200, "none": 401, "forged": 401},
		"new agent":   {"agent": 403, "supervisor": 403, "admin": 201, "integration": 403, "none": 401, "forged": 401},
		"kick agent":  {"agent": 403, "supervisor": 200, "admin": 200, "integration": 403, "none": 401, "forged": 401},
		"list keys":   {"agent": 403, "supervisor": 403, "admin": 200, "integration": 403, "none": 401, "forged": 401},
		"new key":     {"agent": 403, "supervisor": 403, "admin": 201, "integration": 403, "none": 401, "forged": 401},
	}
	// The agent is kicked by the supervisor: run agent's calls first.
	order := []string{"agent", "integration", "none", "forged", "admin", "supervisor"}
	for _, who := range order {
		for name, rt := range routes {
			body := rt.body
			if strings.Contains(body, "%s") {
				body = fmt.Sprintf(body, who)
			}
			t.Run(name+"/"+who, func(t *testing.T) {
				code, out := f.do(t, rt.method, rt.path, tokens[who], body)
				if code != want[name][who] {
					t.Fatalf("got %d, want %d (%v)", code, want[name][who], out)
				}
			})
		}
	}
	// The kick ended the agent's session.
	if code, _ := f.do(t, "GET", "/api/v1/auth/me", tokens["agent"], ""); code != 401 {
		t.Fatalf("kicked agent's session: got %d, want 401", code)
	}
}

func TestPasswordHashNeverLeaves(t *testing.T) {
	f := newFixture(t)
	tok := f.login(t, "admin1")
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/agents", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(raw), "argon2id") || strings.Contains(strings.ToLower(string(raw)), "hash") {
		t.Fatalf("agent list exposes password hashes: %s", raw)
	}
}

func TestSessionIdleAndMaxAge(t *testing.T) {
	f := newFixture(t)
	tok := f.login(t, "agent1")
	for range 5 { // steady activity keeps the session alive past the idle timeout
		f.clk.advance(20 * time.Minute)
		if code, _ := f.do(t, "GET", "/api/v1/auth/me", tok, ""); code != 200 {
			t.Fatalf("active session ended: %d", code)
		}
	}
	f.clk.advance(31 * time.Minute)
	if code, _ := f.do(t, "GET", "/api/v1/auth/me", tok, ""); code != 401 {
		t.Fatalf("idle session: got %d, want 401", code)
	}
	tok = f.login(t, "agent1")
	for range 36 { // 12 h of activity every 20 min
		f.clk.advance(20 * time.Minute)
		f.do(t, "GET", "/api/v1/auth/me", tok, "")
	}
	if code, _ := f.do(t, "GET", "/api/v1/auth/me", tok, ""); code != 401 {
		t.Fatalf("session past max age: got %d, want 401", code)
	}
}

func TestLogoutAndRevocation(t *testing.T) {
	f := newFixture(t)
	tok := f.login(t, "agent1")
	other := f.login(t, "agent1")
	if code, _ := f.do(t, "POST", "/api/v1/auth/logout", tok, ""); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := f.do(t, "GET", "/api/v1/auth/me", tok, ""); code != 401 {
		t.Fatalf("after logout: got %d, want 401", code)
	}
	if code, _ := f.do(t, "GET", "/api/v1/auth/me", other, ""); code != 200 {
		t.Fatalf("the agent's other session: got %d, want 200", code)
	}
	// Changing one's password ends the other sessions, keeps this one.
	code, out := f.do(t, "PUT", "/api/v1/agents/"+f.users[auth.RoleAgent].ID+"/password", other,
		`{"current_password":"wrong wrong","password":"a new long password"}`)
	if code != 403 {
		t.Fatalf("wrong current password: got %d %v", code, out)
	}
	third := f.login(t, "agent1")
	code, _ = f.do(t, "PUT", "/api/v1/agents/"+f.users[auth.RoleAgent].ID+"/password", other,
		`{"current_password":"`+password+`","password":"a new long password"}`)
	if code != 204 {
		t.Fatalf("change password: %d", code)
	}
	if code, _ := f.do(t, "GET", "/api/v1/auth/me", third, ""); code != 401 {
		t.Fatalf("other session after password change: got %d, want 401", code)
	}
	if code, _ := f.do(t, "GET", "/api/v1/auth/me", other, ""); code != 200 {
		t.Fatalf("changing session: got %d, want 200", code)
	}
	// An agent may not set someone else's password.
	if code, _ := f.do(t, "PUT", "/api/v1/agents/"+f.users[auth.RoleAdmin].ID+"/password", other,
		`{"current_password":"a new long password","password":"hijacked!!"}`); code != 403 {
		t.Fatalf("agent setting admin's password: got %d, want 403", code)
	}
	// API keys: revoked keys stop working.
	admin := f.login(t, "admin1")
	code, out = f.do(t, "POST", "/api/v1/apikeys", admin, `{"name":"billing","role":"integration"}`)
	if code != 201 {
		t.Fatalf("create key: %d", code)
	}
	key := out["key"].(string)
	if code, _ := f.do(t, "GET", "/api/v1/auth/me", key, ""); code != 200 {
		t.Fatalf("fresh key: %d", code)
	}
	if code, _ := f.do(t, "DELETE", "/api/v1/apikeys/"+out["id"].(string), admin, ""); code != 204 {
		t.Fatalf("revoke key: %d", code)
	}
	if code, _ := f.do(t, "GET", "/api/v1/auth/me", key, ""); code != 401 {
		t.Fatalf("revoked key: got %d, want 401", code)
	}
}

func TestDisabledAccount(t *testing.T) {
	f := newFixture(t)
	tok := f.login(t, "agent1")
	yes := true
	if _, err := f.st.UpdateAgent(ctx, f.users[auth.RoleAgent].ID, store.AgentUpdate{Disabled: &yes}, f.clk.now()); err != nil {
		t.Fatal(err)
	}
	if code, _ := f.do(t, "GET", "/api/v1/auth/me", tok, ""); code != 401 {
		t.Fatalf("disabled agent's session: got %d, want 401", code)
	}
	code, out := f.do(t, "POST", "/api/v1/auth/login", "", `{"login":"agent1","password":"`+password+`"}`)
	if code != 403 {
		t.Fatalf("disabled login: got %d %v, want 403", code, out)
	}
	code, _ = f.do(t, "POST", "/api/v1/auth/login", "", `{"login":"agent1","password":"nope nope"}`)
	if code != 401 {
		t.Fatalf("disabled login with a wrong password: got %d, want 401 (no oracle)", code)
	}
}

func TestLoginRateLimits(t *testing.T) {
	f := newFixture(t)
	bad := `{"login":"agent1","password":"guess guess"}`
	for i := range 3 {
		if code, _ := f.do(t, "POST", "/api/v1/auth/login", "", bad); code != 401 {
			t.Fatalf("attempt %d: got %d, want 401", i, code)
		}
	}
	// The pair (agent1, this address) must now wait, even with the right password...
	code, _ := f.do(t, "POST", "/api/v1/auth/login", "", `{"login":"agent1","password":"`+password+`"}`)
	if code != 429 {
		t.Fatalf("4th attempt: got %d, want 429", code)
	}
	// ...but the other accounts are not.
	f.login(t, "supervisor1")
	// The delay doubles with each further failure and then passes.
	f.clk.advance(time.Second)
	if code, _ := f.do(t, "POST", "/api/v1/auth/login", "", bad); code != 401 {
		t.Fatalf("after the first delay: got %d, want 401", code)
	}
	f.clk.advance(time.Second)
	if code, _ := f.do(t, "POST", "/api/v1/auth/login", "", bad); code != 429 {
		t.Fatalf("1s into a 2s delay: got %d, want 429", code)
	}
	f.clk.advance(time.Second)
	f.login(t, "agent1")
}

// Regression: the limit was checked before the hash and counted after it,
// so 100 parallel wrong passwords got 70 checked and a right password in a
// burst logged in. Attempts are reserved before the hash now.
func TestConcurrentWrongPasswordsHoldTheLimit(t *testing.T) {
	f := newFixture(t)
	const free = 3 // the service's default free failures per pair
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked, limited := 0, 0
	for range 100 {
		wg.Go(func() {
			_, _, _, err := f.svc.Login(ctx, "agent1", "guess guess", "198.51.100.7", "test")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, auth.ErrBadCredentials):
				checked++
			case errors.Is(err, auth.ErrRateLimited):
				limited++
			default:
				t.Errorf("wrong password: %v", err)
			}
		})
	}
	wg.Wait()
	if checked > free || checked+limited != 100 {
		t.Fatalf("100 parallel wrong passwords: %d checked, %d limited; want at most %d checked", checked, limited, free)
	}
	// A right password in a burst after the limit does not log in.
	var in int
	for i := range 40 {
		pw := "guess guess"
		if i == 20 {
			pw = password
		}
		wg.Go(func() {
			_, _, _, err := f.svc.Login(ctx, "agent1", pw, "198.51.100.7", "test")
			if err == nil {
				mu.Lock()
				in++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if in != 0 {
		t.Fatalf("a right password in a burst after the limit logged in")
	}
}

// Regression: the password-change endpoint had no attempt limit; it shares
// the login's throttle on the same account.
func TestPasswordChangeIsThrottled(t *testing.T) {
	f := newFixture(t)
	tok := f.login(t, "agent1")
	id := f.users[auth.RoleAgent].ID
	body := `{"current_password":"guess guess","password":"new password 1"}`
	for i := range 3 {
		if code, _ := f.do(t, "PUT", "/api/v1/agents/"+id+"/password", tok, body); code != 403 {
			t.Fatalf("wrong current password %d: got %d, want 403", i, code)
		}
	}
	right := `{"current_password":"` + password + `","password":"new password 1"}`
	if code, _ := f.do(t, "PUT", "/api/v1/agents/"+id+"/password", tok, right); code != 429 {
		t.Fatalf("after 3 wrong current passwords: got %d, want 429", code)
	}
	// Parallel guesses through the change form hold the limit too.
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked := 0
	f.clk.advance(time.Hour)
	for range 50 {
		wg.Go(func() {
			ok, err := f.svc.CheckPassword(ctx, id, "guess guess", "127.0.0.1")
			if err == nil && !ok {
				mu.Lock()
				checked++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if checked > 3 {
		t.Fatalf("50 parallel wrong current passwords: %d checked, want at most 3", checked)
	}
	f.clk.advance(time.Hour)
	tok = f.login(t, "agent1")
	if code, _ := f.do(t, "PUT", "/api/v1/agents/"+id+"/password", tok, right); code != 204 {
		t.Fatalf("right current password later: got %d, want 204", code)
	}
}

// Regression: one wrong try every 3 minutes kept an account locked for
// good, and 30 failures from one address locked out everyone behind it.
func TestThrottleDoesNotLockOut(t *testing.T) {
	f := newFixture(t)
	login := func(who, pw, addr string) error {
		_, _, _, err := f.svc.Login(ctx, who, pw, addr, "test")
		return err
	}
	// An attacker guesses agent1 from one address every 3 minutes for 3
	// hours; the agent logs in from the desk's address all along.
	for i := range 60 {
		_ = login("agent1", "guess guess", "203.0.113.66")
		if i%10 == 9 {
			if err := login("agent1", password, "10.1.2.3"); err != nil {
				t.Fatalf("after %d minutes of slow guessing: agent1 from its desk: %v", (i+1)*3, err)
			}
		}
		f.clk.advance(3 * time.Minute)
	}
	// 30 failures from an office's NAT address (a mistyping colleague,
	// unknown logins) lock out no one else behind it.
	f.clk.advance(time.Hour)
	for i := range 30 {
		_ = login(fmt.Sprintf("nobody%d", i), "x", "192.0.2.1")
	}
	if err := login("supervisor1", password, "192.0.2.1"); err != nil {
		t.Fatalf("supervisor1 behind a NAT after 30 failures of others: %v", err)
	}
	// Past the address ceiling, accounts known at that address still log
	// in; a stranger is slowed down.
	for i := range 200 {
		_ = login(fmt.Sprintf("spray%d", i), "x", "192.0.2.1")
	}
	if err := login("supervisor1", password, "192.0.2.1"); err != nil {
		t.Fatalf("supervisor1 at its usual address past the address ceiling: %v", err)
	}
	if err := login("admin1", password, "192.0.2.1"); !errors.Is(err, auth.ErrRateLimited) {
		t.Fatalf("a first login from a spraying address: %v, want rate limited", err)
	}
	// A pair's delays grow exponentially and are capped.
	f.clk.advance(time.Hour)
	var waits []time.Duration
	for range 40 {
		err := login("admin1", "guess guess", "198.51.100.9")
		var rl *auth.RateLimitError
		if errors.As(err, &rl) {
			waits = append(waits, rl.RetryAfter)
			f.clk.advance(rl.RetryAfter)
		}
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if i >= len(waits) || waits[i] != w {
			t.Fatalf("pair delays %v, want starting %v", waits, want)
		}
	}
	if last := waits[len(waits)-1]; last != 10*time.Minute {
		t.Fatalf("delay after many failures %v, want the 10m cap", last)
	}
}

func TestBadInput(t *testing.T) {
	f := newFixture(t)
	admin := f.login(t, "admin1")
	cases := []struct {
		name, method, path, token, body string
		want                            int
		field                           string
	}{
		{"not json", "POST", "/api/v1/auth/login", "", `{"login":`, 400, ""},
		{"trailing data", "POST", "/api/v1/auth/login", "", `{"login":"a","password":"b"} {}`, 400, ""},
		{"wrong type", "POST", "/api/v1/auth/login", "", `{"login":42}`, 400, "login"},
		{"oversized", "POST", "/api/v1/auth/login", "", `{"login":"` + strings.Repeat("a", 5000) + `"}`, 413, ""},
		{"empty login", "POST", "/api/v1/auth/login", "", `{"password":"x"}`, 400, "login"},
		{"bad login chars", "POST", "/api/v1/agents", admin, `{"login":"<script>","display_name":"x","role":"agent","password":"longenough"}`, 400, "login"},
		{"bad role", "POST", "/api/v1/agents", admin, `{"login":"ok","display_name":"x","role":"god","password":"longenough"}`, 400, "role"},
		{"short password", "POST", "/api/v1/agents", admin, `{"login":"ok","display_name":"x","role":"agent","password":"short"}`, 400, "password"},
		{"duplicate login", "POST", "/api/v1/agents", admin, `{"login":"agent1","display_name":"x","role":"agent","password":"longenough"}`, 409, "login"},
		{"unknown agent", "POST", "/api/v1/agents/nope/logout", admin, ``, 404, ""},
		{"unknown key", "DELETE", "/api/v1/apikeys/nope", admin, ``, 404, ""},
		{"bad key role", "POST", "/api/v1/apikeys", admin, `{"name":"x","role":"agent"}`, 400, "role"},
		{"malformed bearer", "GET", "/api/v1/auth/me", "not-a-token", ``, 401, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := f.do(t, tc.method, tc.path, tc.token, tc.body)
			if code != tc.want {
				t.Fatalf("got %d, want %d (%v)", code, tc.want, out)
			}
			if tc.field != "" {
				if e, _ := out["error"].(map[string]any); e["field"] != tc.field {
					t.Fatalf("error field: got %v, want %s", e["field"], tc.field)
				}
			}
		})
	}
}

func TestCookieCrossSiteRefused(t *testing.T) {
	f := newFixture(t)
	tok := f.login(t, "admin1")
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/apikeys", strings.NewReader(`{"name":"evil"}`))
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: tok})
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("cross-site cookie POST: got %d, want 403", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", f.srv.URL+"/api/v1/auth/me", nil)
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: tok})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("cookie GET: got %d, want 200", resp.StatusCode)
	}
}

func TestTokensStoredHashed(t *testing.T) {
	f := newFixture(t)
	tok, sess, _, err := f.svc.Login(ctx, "agent1", password, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sess.TokenHash, tok) || len(sess.TokenHash) != 64 {
		t.Fatalf("stored token hash %q looks like the token", sess.TokenHash)
	}
	if _, err := f.svc.Authenticate(ctx, sess.TokenHash); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("the stored hash authenticated: %v", err)
	}
}

func TestRolePolicy(t *testing.T) {
	if auth.RoleAgent.Can(auth.PermBoard) || auth.RoleAgent.Can(auth.PermSupervise) {
		t.Fatal("agents may not supervise")
	}
	if !auth.RoleSupervisor.Can(auth.PermSupervise) || auth.RoleSupervisor.Can(auth.PermAPIKeys) {
		t.Fatal("supervisor policy wrong")
	}
	if auth.RoleIntegration.Can(auth.PermDesk) {
		t.Fatal("integrations may not use the desk")
	}
	if auth.Role("root").Valid() || auth.Role("root").Can(auth.PermDesk) {
		t.Fatal("unknown role has rights")
	}
}
