package auth_test

import (
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

// TestShortIdleTimeoutKeepsActiveSession: with the one-minute idle rule, a
// session used every 20 seconds stays signed in (activity is recorded well
// under the timeout, not once a minute), and one left alone for a minute
// ends.
func TestShortIdleTimeoutKeepsActiveSession(t *testing.T) {
	st := storetest.SQLite(t)
	clk := &clock{t: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
	svc := auth.NewService(st, auth.Options{IdleTimeout: time.Minute, MaxAge: 12 * time.Hour,
		LoginLimitAccount: 5, LoginLimitAddress: 20, LoginLimitWindow: 15 * time.Minute,
		PasswordMinLength: 8, Hash: auth.FastHashParams, Now: clk.now})
	if _, err := svc.CreateAgent(ctx, "agent1", "Agent", auth.RoleAgent, password); err != nil {
		t.Fatal(err)
	}
	tok, _, _, err := svc.Login(ctx, "agent1", password, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 { // ten minutes of work
		clk.advance(20 * time.Second)
		if _, err := svc.Authenticate(ctx, tok); err != nil {
			t.Fatalf("active session ended after %v: %v", time.Duration(i+1)*20*time.Second, err)
		}
	}
	clk.advance(61 * time.Second)
	if _, err := svc.Authenticate(ctx, tok); err == nil {
		t.Fatal("session idle for over a minute still valid")
	}
}
