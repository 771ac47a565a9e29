package e2e

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/agentdesk/ticket/notify"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/flows"
)

// smsGateway is a test HTTP SMS gateway: the chat's codes arrive as the
// notify.SMSGateway posts them, and the browser script reads them back
// from GET /outbox.
type smsGateway struct {
	mu   sync.Mutex
	sent []map[string]string
}

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch r.Method {
	case http.MethodPost:
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		g.sent = append(g.sent, m)
		_ = json.NewEncoder(w).Encode(map[string]string{"id": "sms-test"})
	default:
		_ = json.NewEncoder(w).Encode(g.sent)
	}
}

// shippedFlowsAllDay are the shipped 10000 flows with the center open
// around the clock and the chat queue the test center has, so the browser
// test passes at any hour.
func shippedFlowsAllDay(t *testing.T) *ivr.Library {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(flows.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(flows.FS, p)
		m["f/"+p] = &fstest.MapFile{Data: []byte(strings.ReplaceAll(string(b), "queue: general-chat", "queue: general"))}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	lib, err := ivr.LoadDir(m, "f")
	if err != nil {
		t.Fatal(err)
	}
	return lib.AlwaysOpen()
}

// TestBrowserIdentity: in Chromium, an unverified chat gets no account
// data and its agent sees an "unverified" badge and a masked number; the
// code typed in the chat (masked input) never appears on the widget or the
// desk; the code read from the SMS gateway proves the number and the
// balance follows, and the desk shows the customer verified.
func TestBrowserIdentity(t *testing.T) {
	gw := &smsGateway{}
	sms := httptest.NewServer(gw)
	t.Cleanup(sms.Close)
	s := deskttest.New(t, deskttest.Options{OfferTimeout: 60 * time.Second, WrapUp: 60 * time.Second,
		Flows: shippedFlowsAllDay(t), SMS: &notify.SMSGateway{URL: sms.URL + "/sms", Sender: "10000"}})
	ctx := context.Background()
	if _, err := s.Store.CreateCustomer(ctx, store.Customer{ANI: "13900000001", Account: "A100", Name: "张三", Tier: store.TierGold}); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	if err := s.Store.UpsertAccount(ctx, store.Account{Account: "A100", BalanceFen: 12345, BillFen: 8800, BillDue: &due, Points: 321}); err != nil {
		t.Fatal(err)
	}
	runScriptEnv(t, s, "identity.mjs", []string{"SMS_URL=" + sms.URL}, "identity-desk.png", "identity-chat.png")
}
