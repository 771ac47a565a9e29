package store_test

import (
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

// The retention purge's queries: recordings older than a time, oldest
// first and bounded; then each row deleted once.
func TestRecordingsStartedBefore(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		for i, c := range []string{"call-old-1", "call-old-2", "call-new"} {
			at := t0.Add(time.Duration(i) * time.Hour)
			if c == "call-new" {
				at = t0.Add(48 * time.Hour)
			}
			if _, err := s.CreateRecording(ctx, store.Recording{ID: c, ContactID: c, Path: "recordings/" + c + ".wav", StartedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		cut := t0.Add(24 * time.Hour)
		got, err := s.RecordingsStartedBefore(ctx, cut, 1)
		if err != nil || len(got) != 1 || got[0].ID != "call-old-1" {
			t.Fatalf("first batch: got %+v, %v; want call-old-1", got, err)
		}
		got, err = s.RecordingsStartedBefore(ctx, cut, 10)
		if err != nil || len(got) != 2 || got[1].ID != "call-old-2" || got[1].Path != "recordings/call-old-2.wav" {
			t.Fatalf("all old: got %+v, %v", got, err)
		}
		for _, x := range got {
			if err := s.DeleteRecording(ctx, x.ID); err != nil {
				t.Fatal(err)
			}
		}
		wantErr(t, s.DeleteRecording(ctx, "call-old-1"), store.ErrNotFound)
		if got, err := s.RecordingsStartedBefore(ctx, cut, 10); err != nil || len(got) != 0 {
			t.Fatalf("after the purge: got %+v, %v", got, err)
		}
		if left, _ := s.ContactRecordings(ctx, "call-new"); len(left) != 1 {
			t.Fatalf("the newer recording went too: %+v", left)
		}
	})
}
