package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

func TestTranscripts(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		msgs := []store.TranscriptMessage{
			{ContactID: "c1", Seq: 1, Sender: store.SenderBot, Text: "您好，请问办理什么业务？", At: t0},
			{ContactID: "c1", Seq: 2, Sender: store.SenderCustomer, Text: "查话费\x00", At: t0.Add(time.Second)},
			{ContactID: "c1", Seq: 3, Sender: store.SenderAgent, SenderID: "a1", Text: "您好", At: t0.Add(2 * time.Second)},
			{ContactID: "c2", Seq: 1, Sender: store.SenderSystem, Text: "old", At: t0.Add(-48 * time.Hour)},
		}
		if err := s.AppendTranscript(ctx, msgs); err != nil {
			t.Fatal(err)
		}
		// A retried write is kept once.
		if err := s.AppendTranscript(ctx, msgs[:2]); err != nil {
			t.Fatal(err)
		}
		got, err := s.Transcripts(ctx, "c1", "c2", "none")
		if err != nil {
			t.Fatal(err)
		}
		want := append([]store.TranscriptMessage(nil), msgs[:3]...)
		want[1].Text = "查话费\uFFFD"
		if !reflect.DeepEqual(got["c1"], want) || len(got["c2"]) != 1 || got["none"] != nil {
			t.Fatalf("got %+v, want c1 %+v and one message of c2", got, want)
		}
		wantErr(t, s.AppendTranscript(ctx, []store.TranscriptMessage{{ContactID: "c3", Seq: 1, Sender: "robot", Text: "x", At: t0}}), store.ErrInvalid)
		wantErr(t, s.AppendTranscript(ctx, []store.TranscriptMessage{{ContactID: "", Seq: 1, Sender: store.SenderBot, At: t0}}), store.ErrInvalid)

		n, err := s.PurgeTranscripts(ctx, t0.Add(-24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("purge: got %d, %v; want 1", n, err)
		}
		got, _ = s.Transcripts(ctx, "c1", "c2")
		if len(got["c1"]) != 3 || got["c2"] != nil {
			t.Fatalf("after purge: got %+v", got)
		}
	})
}
