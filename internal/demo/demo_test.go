package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

func TestSeedOnceWithDistinctPasswords(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	svc := auth.NewService(st, auth.Options{IdleTimeout: time.Hour, MaxAge: 2 * time.Hour, LoginLimitAccount: 5,
		LoginLimitAddress: 5, LoginLimitWindow: time.Minute, PasswordMinLength: 8, Hash: auth.FastHashParams})
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	seeded, err := Seed(ctx, st, svc, now)
	if err != nil {
		t.Fatal(err)
	}
	accounts := seeded.Accounts
	if len(accounts) != len(agents) {
		t.Fatalf("accounts: got %d, want %d", len(accounts), len(agents))
	}
	seen := map[string]bool{}
	for _, a := range accounts {
		if len(a.Password) != 12 || seen[a.Password] {
			t.Fatalf("password of %s: %q (repeated: %v)", a.Login, a.Password, seen[a.Password])
		}
		seen[a.Password] = true
		if _, _, _, err := svc.Login(ctx, a.Login, a.Password, "127.0.0.1", "test"); err != nil {
			t.Fatalf("log in as %s: %v", a.Login, err)
		}
	}
	qs, _ := st.Queues(ctx)
	if len(qs) != len(queues) {
		t.Fatalf("queues: got %d", len(qs))
	}
	vip, err := st.CustomerByANI(ctx, "13300000001")
	if err != nil || vip.Tier != store.TierDiamond {
		t.Fatalf("VIP customer: %+v, %v", vip, err)
	}
	pins := map[string]bool{}
	for _, c := range seeded.Callers {
		acct, err := st.Account(ctx, c.Account)
		if err != nil || len(c.PIN) != 6 || !svc.Hasher().Verify(c.PIN, acct.ServicePasswordHash) || acct.BillDue == nil {
			t.Fatalf("caller %s: account %+v, %v", c.ANI, acct, err)
		}
		pins[c.PIN] = true
	}
	if len(pins) < len(seeded.Callers)-1 {
		t.Fatalf("service PINs repeat: %v", pins)
	}
	again, err := Seed(ctx, st, svc, now)
	if err != nil || again != nil {
		t.Fatalf("second seed: got %v, %v; want nothing", again, err)
	}
	var b strings.Builder
	Print(&b, seeded, "http://localhost:8080")
	for _, a := range accounts {
		if !strings.Contains(b.String(), a.Password) {
			t.Fatalf("printout lacks %s's password", a.Login)
		}
	}
}
