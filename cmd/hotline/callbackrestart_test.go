package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr/sip/siptest"
)

// A callback owed when the node stopped is queued again at start: the
// store holds a callback whose contact the ACD's state does not (it was
// lost with the node); `hotline serve` re-queues it in its queue as
// attempt contact ID.1.xxxxxx, and when the agent goes ready the agent's SIP
// phone rings for it, then the customer is dialled through the trunk. Once
// the two are connected the callback is no longer owed.
func TestCallbackOwedSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.SaveCallback(ctx, store.Callback{ID: "call-owed", Contact: "call-owed", Number: "13911113333", Queue: "general-voice",
		NextAt: now.Add(-time.Minute), CreatedAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	trunk := siptest.NewTrunk(t, "hotline", "trunk-secret")
	r := start(t, "--data-dir", dir, "--ivr-always-open", "--sip-trunk-proxy", trunk.Addr,
		"--sip-trunk-from", "02110000", "--sip-trunk-user", "hotline", "--sip-trunk-password", "trunk-secret")
	waitReady(t, r.base)
	phone := giveSIPPhone(t, adminCaller(t, r), sipUDPAddr(t, r), "wang.fang", "8002", "desk-phone-8002")
	agent, _, err := deskttest.Dial(ctx, r.base, "/ws/desk", agentdesk.DeskProtocol, r.login(t, "wang.fang"))
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	const wait = 10 * time.Second
	if _, err := agent.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Do("state.ready", nil, wait); err != nil {
		t.Fatalf("ready: %v", err)
	}
	select {
	case inv := <-phone.Invites:
		if h := inv.GetHeader("X-Hotline-Contact"); h == nil || !strings.HasPrefix(h.Value(), "call-owed.1.") {
			t.Fatalf("the phone rang for %v, want call-owed.1…", h)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the agent's phone never rang: %s", tail(r.stderr.String(), 3000))
	}
	var out *sip.Request
	select {
	case out = <-trunk.Invites:
	case <-time.After(30 * time.Second):
		t.Fatalf("the trunk was never called: %s", tail(r.stderr.String(), 3000))
	}
	if out.Recipient.User != "13911113333" {
		t.Fatalf("called %s, want the owed callback's number", out.Recipient.User)
	}
	// Connected (the desk's contact.started comes after the ring step
	// returned): the callback is made and no longer owed.
	var started struct {
		Contact string `json:"contact_id"`
	}
	if _, err := agent.Want("contact.started", &started, 30*time.Second); err != nil || !strings.HasPrefix(started.Contact, "call-owed.1.") {
		t.Fatalf("contact.started %+v, %v; want call-owed.1…", started, err)
	}
	if code := r.stop(); code != 0 {
		t.Fatalf("serve exited with %d: %s", code, tail(r.stderr.String(), 2000))
	}
	st, err = store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if owed, err := st.Callbacks(ctx); err != nil || len(owed) != 0 {
		t.Fatalf("owed after the call: %+v, %v", owed, err)
	}
}
