package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

// TestPINGuard: the service-PIN limit counts per account across contacts
// (whoever asks), locks after max failures in the window, unlocks by time
// or by a clear, and parallel guesses cannot overtake the count.
func TestPINGuard(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		const window, lockFor = 15 * time.Minute, time.Hour
		now := t0
		try := func() (bool, store.PINGuard) {
			t.Helper()
			ok, g, err := s.ReservePINAttempt(ctx, "A1", now, window, 3, lockFor)
			if err != nil {
				t.Fatal(err)
			}
			return ok, g
		}
		for i := 1; i <= 3; i++ {
			if ok, g := try(); !ok || g.Failures != i {
				t.Fatalf("attempt %d: allowed %v %+v, want allowed with %d counted", i, ok, g, i)
			}
			now = now.Add(time.Minute)
		}
		ok, g := try()
		if ok || !g.Locked(now) || !g.LockedUntil.Equal(now.Add(lockFor)) {
			t.Fatalf("4th attempt: allowed %v %+v, want refused and locked for an hour", ok, g)
		}
		if got, err := s.PINGuardOf(ctx, "A1"); err != nil || !got.Locked(now) {
			t.Fatalf("guard %+v %v, want locked", got, err)
		}
		// Other accounts are not touched.
		if ok, _, err := s.ReservePINAttempt(ctx, "A2", now, window, 3, lockFor); err != nil || !ok {
			t.Fatalf("A2: %v %v, want allowed", ok, err)
		}
		now = now.Add(30 * time.Minute)
		if ok, _ := try(); ok {
			t.Fatal("locked account allowed an attempt")
		}
		now = now.Add(lockFor)
		if ok, g := try(); !ok || g.Failures != 1 {
			t.Fatalf("after the lock: %v %+v, want a fresh count", ok, g)
		}
		if err := s.ClearPINGuard(ctx, "A1"); err != nil {
			t.Fatal(err)
		}
		if g, err := s.PINGuardOf(ctx, "A1"); err != nil || g.Failures != 0 {
			t.Fatalf("cleared guard %+v %v", g, err)
		}
		// A window that passed starts over.
		try()
		try()
		now = now.Add(window + time.Second)
		if ok, g := try(); !ok || g.Failures != 1 {
			t.Fatalf("new window: %v %+v, want 1 counted", ok, g)
		}
		// 20 parallel guesses on a fresh account: exactly 3 get through.
		var wg sync.WaitGroup
		var mu sync.Mutex
		allowed := 0
		for range 20 {
			wg.Go(func() {
				ok, _, err := s.ReservePINAttempt(ctx, "A3", now, window, 3, lockFor)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if allowed != 3 {
			t.Fatalf("parallel guesses: %d allowed, want 3", allowed)
		}
	})
}

// TestVerificationCodes: one code per contact, hashed; attempts and sends
// counted; sends per phone counted across contacts.
func TestVerificationCodes(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		c := store.VerificationCode{Contact: "chat-1", Phone: "13900000001", CodeHash: "h1", ExpiresAt: t0.Add(5 * time.Minute), CreatedAt: t0}
		if err := s.PutVerificationCode(ctx, c); err != nil {
			t.Fatal(err)
		}
		if n, err := s.CountVerificationAttempt(ctx, "chat-1"); err != nil || n != 1 {
			t.Fatalf("attempt: %d %v", n, err)
		}
		c.CodeHash, c.CreatedAt = "h2", t0.Add(time.Minute)
		if err := s.PutVerificationCode(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.VerificationCodeOf(ctx, "chat-1")
		if err != nil || got.CodeHash != "h2" || got.Attempts != 0 || got.Sends != 2 || !got.ExpiresAt.Equal(c.ExpiresAt) {
			t.Fatalf("got %+v %v, want the second code, attempts reset, 2 sends", got, err)
		}
		if err := s.PutVerificationCode(ctx, store.VerificationCode{Contact: "chat-2", Phone: "13900000001", CodeHash: "x", ExpiresAt: t0.Add(time.Hour), CreatedAt: t0.Add(2 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.VerificationCodesSince(ctx, "13900000001", t0); err != nil || n != 3 {
			t.Fatalf("sends to the phone: %d %v, want 3", n, err)
		}
		if err := s.DeleteVerificationCode(ctx, "chat-1"); err != nil {
			t.Fatal(err)
		}
		_, err = s.VerificationCodeOf(ctx, "chat-1")
		wantErr(t, err, store.ErrNotFound)
		_, err = s.CountVerificationAttempt(ctx, "chat-1")
		wantErr(t, err, store.ErrNotFound)
	})
}
