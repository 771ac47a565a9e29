package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

// The contact record carries the chat's transcript, for supervisors only.
func TestContactRecordWithTranscript(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	a := auth.NewService(st, auth.Options{PasswordMinLength: 8, IdleTimeout: time.Hour, MaxAge: time.Hour})
	token := map[auth.Role]string{}
	for _, r := range []auth.Role{auth.RoleAgent, auth.RoleSupervisor} {
		if _, err := a.CreateAgent(ctx, "u-"+string(r), "U", r, "correct horse"); err != nil {
			t.Fatal(err)
		}
		tok, _, _, err := a.Login(ctx, "u-"+string(r), "correct horse", "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		token[r] = tok
	}
	at := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	c, err := st.CreateContact(ctx, store.Contact{Channel: store.Chat, ANI: "13900000001", EntryPoint: "web", StartedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AppendTranscript(ctx, []store.TranscriptMessage{
		{ContactID: c.ID, Seq: 1, Sender: store.SenderBot, Text: "请输入服务密码", At: at},
		{ContactID: c.ID, Seq: 2, Sender: store.SenderCustomer, Text: "••••••", At: at.Add(time.Second)},
	}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	trail := audit.New(st, audit.Options{})
	contactRoutes(mux, a, st, trail, auth.ClientAddr)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(id, tok string) (int, contactRecord) {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/contacts/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rec contactRecord
		_ = json.NewDecoder(resp.Body).Decode(&rec)
		return resp.StatusCode, rec
	}
	code, rec := get(c.ID, token[auth.RoleSupervisor])
	if code != 200 || rec.ID != c.ID || len(rec.Transcript) != 2 || rec.Transcript[1].Text != "••••••" || rec.Transcript[0].From != "bot" {
		t.Fatalf("supervisor: got %d %+v, want the contact with its two messages", code, rec)
	}
	if code, _ := get(c.ID, token[auth.RoleAgent]); code != http.StatusForbidden {
		t.Fatalf("agent: got %d, want 403", code)
	}
	if code, _ := get("nope", token[auth.RoleSupervisor]); code != http.StatusNotFound {
		t.Fatalf("unknown contact: got %d, want 404", code)
	}
	if rec.Verified != "none" || rec.VerifiedAt != nil {
		t.Errorf("unproved chat: verified %q at %v, want none", rec.Verified, rec.VerifiedAt)
	}
	if err := st.SetContactVerification(ctx, c.ID, store.ContactVerification{Level: "otp", At: at.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, rec := get(c.ID, token[auth.RoleSupervisor]); rec.Verified != "otp" || rec.VerifiedAt == nil || !rec.VerifiedAt.Equal(at.Add(time.Minute)) {
		t.Errorf("chat proved by code: verified %q at %v", rec.Verified, rec.VerifiedAt)
	}
	// Each read is in the audit trail, by the supervisor.
	page, err := trail.List(ctx, audit.Query{})
	if err != nil || len(page.Records) != 2 {
		t.Fatalf("audit trail: got %+v, %v; want the two reads", page, err)
	}
	if r := page.Records[0]; r.Action != audit.ActionContactView || r.SubjectID != c.ID || r.ActorRole != "supervisor" || r.Actor == "" || r.Address != "127.0.0.1" {
		t.Errorf("audit record %+v", r)
	}
}
