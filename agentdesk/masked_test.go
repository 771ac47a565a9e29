package agentdesk_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/ivr"
)

// lockedBuffer is a log sink tests read while the gateway writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const pinFlow = `flow: pin
start: ask
entries: ["web"]
nodes:
  ask:
    kind: collect
    prompt: password.enter
    var: pin
    min: 6
    max: 6
    masked: true
    exhausted: bye
    next: tk
  tk:
    kind: ticket
    type: message
    summary: pin test
    fields: {pin: pin}
    next: q
    error: q
  q:
    kind: transfer
    queue: general
    comfort: queue.comfort
    after: bye
    error: bye
  bye:
    kind: hangup
    prompt: goodbye
`

// TestMaskedInputNeverLeavesTheFlow: digits a flow collects as masked
// reach the flow, and nothing else: not the customer's own bubble, the
// agent's transcript or panel, the ticket the flow creates, or the log.
func TestMaskedInputNeverLeavesTheFlow(t *testing.T) {
	logs := &lockedBuffer{}
	s := deskttest.New(t, deskttest.Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	lib, err := ivr.LoadDir(fstest.MapFS{"f/pin.yaml": {Data: []byte(pinFlow)}}, "f")
	if err != nil {
		t.Fatal(err)
	}
	s.Gateway.ReloadFlows(lib)
	const pin = "864213"
	var seen strings.Builder
	agent := dialDesk(t, s, "alice", "")
	do(t, agent, "state.ready", nil)
	st := startChat(t, s, map[string]string{"name": "钱七", "phone": "13700000007"})
	cust := dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	type message struct {
		Secret bool `json:"secret"`
		From   string
	}
	var snap struct {
		Transcript []message `json:"transcript"`
	}
	if _, err := cust.Want("snapshot", &snap, wait); err != nil {
		t.Fatal(err)
	}
	var prompt message
	if len(snap.Transcript) > 0 {
		prompt = snap.Transcript[len(snap.Transcript)-1]
	}
	for prompt.From != "bot" {
		if _, err := cust.Want("chat.message", &prompt, wait); err != nil {
			t.Fatal(err)
		}
	}
	if !prompt.Secret {
		t.Errorf("the PIN prompt is not marked secret: the widget would echo the PIN")
	}
	seen.Write(do(t, cust, "chat.send", map[string]string{"msg_id": "p", "text": pin}))
	var offer struct {
		Contact string `json:"contact_id"`
	}
	if _, err := agent.Want("offer", &offer, wait); err != nil {
		t.Fatal(err)
	}
	do(t, agent, "offer.accept", map[string]string{"contact_id": st.Contact})
	f, err := agent.Want("chat.started", nil, wait)
	if err != nil {
		t.Fatal(err)
	}
	seen.Write(f.Data)
	if !strings.Contains(string(f.Data), "••••••") {
		t.Errorf("agent's transcript %s: want the masked reply shown as dots", f.Data)
	}
	seen.Write(do(t, agent, "customer.get", map[string]string{"contact_id": st.Contact}))
	if _, err := cust.Want("chat.agent_joined", nil, wait); err != nil {
		t.Fatal(err)
	}
	for _, fr := range append(cust.Drain(), agent.Drain()...) {
		seen.Write(fr.Data)
	}
	// A reconnecting customer gets the transcript again.
	again := dialChat(t, s, st.Token)
	if _, err := again.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if f, err = again.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	seen.Write(f.Data)
	ts, err := s.Tickets.Search(context.Background(), ticket.Actor{ID: "t", Role: ticket.SupervisorRole}, ticket.Filter{Phone: "13700000007"})
	if err != nil || len(ts) != 1 {
		t.Fatalf("tickets %v %v, want the flow's one", ts, err)
	}
	seen.WriteString(ts[0].Subject + ts[0].Body)
	for _, sink := range []struct{ name, text string }{{"frames and ticket", seen.String()}, {"log", logs.String()}} {
		if strings.Contains(sink.text, pin) {
			t.Errorf("the masked PIN appears in the %s:\n%s", sink.name, sink.text)
		}
	}
}
