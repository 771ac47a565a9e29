package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zaf/g711"

	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
	"github.com/hotline10000/hotline/ivr/media"
)

// A recorded call is a WAV in the data directory linked to its contact;
// the call's agent and supervisors play it (audited), other agents do not.
func TestRecordingPlayback(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	dir := t.TempDir()
	a := auth.NewService(st, auth.Options{PasswordMinLength: 8, IdleTimeout: time.Hour, MaxAge: time.Hour})
	token, ids := map[string]string{}, map[string]string{}
	for login, role := range map[string]auth.Role{"own": auth.RoleAgent, "other": auth.RoleAgent, "sup": auth.RoleSupervisor} {
		ag, err := a.CreateAgent(ctx, login, login, role, "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		tok, _, _, err := a.Login(ctx, login, "correct horse", "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		token[login], ids[login] = tok, ag.ID
	}
	rec, err := callRecorder{store: st, dataDir: dir}.Record(ctx, "call-42", ids["own"])
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		rec.Caller(media.PCMU, bytes.Repeat([]byte{g711.EncodeUlawFrame(1000)}, 160))
		rec.Agent(media.PCMU, bytes.Repeat([]byte{g711.EncodeUlawFrame(-1000)}, 160))
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	rows, err := st.ContactRecordings(ctx, "call-42")
	if err != nil || len(rows) != 1 || rows[0].Duration < 200*time.Millisecond {
		t.Fatalf("recordings of the contact: %+v, %v", rows, err)
	}
	if _, err := os.Stat(filepath.Join(dir, rows[0].Path)); err != nil {
		t.Fatalf("recording file: %v", err)
	}
	mux := http.NewServeMux()
	trail := audit.New(st, audit.Options{})
	recordingRoutes(mux, a, st, trail, auth.ClientAddr, dir)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path, login string) (int, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token[login])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for login, want := range map[string]int{"own": 200, "sup": 200, "other": 403} {
		code, body := get("/api/v1/recordings/"+rows[0].ID, login)
		if code != want {
			t.Fatalf("%s: got %d, want %d", login, code, want)
		}
		if code == 200 && string(body[:4]) != "RIFF" {
			t.Fatalf("%s: not a WAV", login)
		}
	}
	if code, body := get("/api/v1/contacts/call-42/recordings", "other"); code != 200 || bytes.Contains(body, []byte(rows[0].ID)) {
		t.Fatalf("another agent lists the recording: %d %s", code, body)
	}
	plays, err := trail.List(ctx, audit.Query{Action: actionRecordingPlay})
	if err != nil || len(plays.Records) != 2 {
		t.Fatalf("audited plays: %+v, %v; want 2", plays, err)
	}
}

// Whether a queue's calls are recorded: the queue's own record field
// (administration), else phones.record_queues (empty: every queue).
func TestQueueRecordSetting(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	for id, routing := range map[string]string{"plain": "{}", "on": `{"record":true}`, "off": `{"record":false}`} {
		if err := st.UpsertQueue(ctx, store.Queue{ID: id, Name: id, Channel: store.Voice, SLThreshold: 20 * time.Second, SLTargetPercent: 80}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := st.SetQueueRouting(ctx, id, routing); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		setting []string // phones.record_queues
		queue   string
		want    bool
	}{
		{nil, "plain", true}, {nil, "on", true}, {nil, "off", false}, {nil, "no-such-queue", true},
		{[]string{"plain"}, "plain", true}, {[]string{"other"}, "plain", false},
		{[]string{"other"}, "on", true}, {[]string{"off"}, "off", false},
	} {
		r := callRecorder{store: st, queues: recordQueues(c.setting), log: slog.New(slog.DiscardHandler)}
		if got := r.recorded(ctx, c.queue); got != c.want {
			t.Errorf("record_queues %v, queue %s: recorded %v, want %v", c.setting, c.queue, got, c.want)
		}
	}
}
