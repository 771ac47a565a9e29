package store_test

import (
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

func TestAgentPhones(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		a := mustAgent(t, s, "li.na", store.RoleAgent)
		b := mustAgent(t, s, "wang.fang", store.RoleAgent)
		if k, err := s.PhoneKind(ctx, a.ID); err != nil || k != "" {
			t.Fatalf("kind before any setting: %q, %v", k, err)
		}
		_, err := s.AgentPhone(ctx, a.ID)
		wantErr(t, err, store.ErrNotFound)
		x := store.AgentPhone{AgentID: a.ID, Kind: "sip", SIPUser: "1001", SIPRealm: "hotline", SIPHA1: "abc", UpdatedAt: t0}
		if _, err := s.SetAgentPhone(ctx, x); err != nil {
			t.Fatal(err)
		}
		got, err := s.AgentPhoneBySIPUser(ctx, "1001")
		if err != nil || got != x {
			t.Fatalf("by sip user: got %+v, %v; want %+v", got, err, x)
		}
		if k, _ := s.PhoneKind(ctx, a.ID); k != "sip" {
			t.Fatalf("kind %q, want sip", k)
		}
		_, err = s.SetAgentPhone(ctx, store.AgentPhone{AgentID: b.ID, SIPUser: "1001", UpdatedAt: t0})
		wantErr(t, err, store.ErrConflict)
		_, err = s.SetAgentPhone(ctx, store.AgentPhone{AgentID: "ghost", UpdatedAt: t0})
		wantErr(t, err, store.ErrReference)
		_, err = s.SetAgentPhone(ctx, store.AgentPhone{AgentID: b.ID, Kind: "fax", UpdatedAt: t0})
		wantErr(t, err, store.ErrInvalid)
		// Clearing the credentials frees the user name; two agents without
		// one do not conflict.
		if _, err := s.SetAgentPhone(ctx, store.AgentPhone{AgentID: a.ID, Kind: "browser", UpdatedAt: t0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetAgentPhone(ctx, store.AgentPhone{AgentID: b.ID, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		_, err = s.AgentPhoneBySIPUser(ctx, "1001")
		wantErr(t, err, store.ErrNotFound)
	})
}

func TestRecordings(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		r, err := s.CreateRecording(ctx, store.Recording{ContactID: "call-1", AgentID: "a1", Path: "recordings/x.wav", StartedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishRecording(ctx, r.ID, 61500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.FinishRecording(ctx, "nope", time.Second), store.ErrNotFound)
		got, err := s.ContactRecordings(ctx, "call-1")
		if err != nil || len(got) != 1 || got[0].Duration != 61500*time.Millisecond || got[0].Path != r.Path || !got[0].StartedAt.Equal(t0) {
			t.Fatalf("recordings: %+v, %v", got, err)
		}
		one, err := s.Recording(ctx, r.ID)
		if err != nil || one.AgentID != "a1" {
			t.Fatalf("recording: %+v, %v", one, err)
		}
	})
}
