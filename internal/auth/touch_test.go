package auth_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

// TestTouchesBatched: sign-in activity is written in batches, one
// transaction per few seconds, not one write per session as each comes due
// (10 000 desks re-checked every minute made about 170 SQLite writes a
// second). Sessions stay live on this node meanwhile, and Flush writes what
// waits. The old code wrote each touch at once.
func TestTouchesBatched(t *testing.T) {
	st := storetest.SQLite(t)
	clk := &clock{t: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
	t0 := clk.now()
	svc := auth.NewService(st, auth.Options{IdleTimeout: 30 * time.Minute, MaxAge: 12 * time.Hour,
		LoginLimitAccount: 50, LoginLimitAddress: 200, LoginLimitWindow: 15 * time.Minute,
		PasswordMinLength: 8, Hash: auth.FastHashParams, Now: clk.now})
	var tokens, ids []string
	for i := range 5 {
		login := fmt.Sprint("agent", i)
		if _, err := svc.CreateAgent(ctx, login, "Agent", auth.RoleAgent, password); err != nil {
			t.Fatal(err)
		}
		tok, sess, _, err := svc.Login(ctx, login, password, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		tokens, ids = append(tokens, tok), append(ids, sess.ID)
	}
	stored := func(step string, want ...time.Time) {
		t.Helper()
		for i, id := range ids {
			s, err := st.Session(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !s.LastSeenAt.Equal(want[i]) {
				t.Fatalf("%s: session %d last seen %v in the store, want %v", step, i, s.LastSeenAt, want[i])
			}
		}
	}
	use := func(toks ...string) {
		t.Helper()
		for _, tok := range toks {
			if _, err := svc.Authenticate(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
	}

	clk.advance(2 * time.Minute)
	t1 := clk.now()
	use(tokens...)
	// The first due touch is written at once (nothing was for a while);
	// the others wait for the batch.
	stored("first touches", t1, t0, t0, t0, t0)
	clk.advance(5 * time.Second)
	use(tokens[0]) // not due itself: it writes the batch that is
	stored("batch", t1, t1, t1, t1, t1)

	clk.advance(2 * time.Minute)
	t2 := clk.now()
	use(tokens[1:]...)
	stored("second touches", t1, t2, t1, t1, t1)
	svc.Flush(ctx)
	stored("flushed", t1, t2, t2, t2, t2)
}
