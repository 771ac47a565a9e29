package store_test

import (
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

func TestContactVerification(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		_, err := s.ContactVerificationOf(ctx, "c1")
		wantErr(t, err, store.ErrNotFound)
		if err := s.SetContactVerification(ctx, "c1", store.ContactVerification{Level: "otp", At: t0}); err != nil {
			t.Fatal(err)
		}
		// A later proof replaces it; an older one (a retried write) does not.
		if err := s.SetContactVerification(ctx, "c1", store.ContactVerification{Level: "pin", At: t0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetContactVerification(ctx, "c1", store.ContactVerification{Level: "otp", At: t0}); err != nil {
			t.Fatal(err)
		}
		v, err := s.ContactVerificationOf(ctx, "c1")
		if err != nil || v.Level != "pin" || !v.At.Equal(t0.Add(time.Minute)) {
			t.Fatalf("got %+v, %v; want pin at t0+1m", v, err)
		}
		wantErr(t, s.SetContactVerification(ctx, "c2", store.ContactVerification{Level: "guess", At: t0}), store.ErrInvalid)
	})
}
