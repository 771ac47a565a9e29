package agentdesk_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/store"
)

type keptTranscript struct {
	mu   sync.Mutex
	msgs []store.TranscriptMessage
}

func (k *keptTranscript) Keep(m store.TranscriptMessage) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.msgs = append(k.msgs, m)
}

// Every message the chat relays goes to the transcript sink, in order, with
// who wrote it: the flow's prompts, the customer, the agent.
func TestChatMessagesGoToTheTranscript(t *testing.T) {
	kept := &keptTranscript{}
	s := deskttest.New(t, deskttest.Options{Transcripts: kept})
	agent, cust, contact := readyAgentWithChat(t, s)
	do(t, agent, "chat.send", map[string]string{"contact_id": contact, "msg_id": "a1", "text": "您好，请讲"})
	wantMessage(t, cust, "agent")
	do(t, cust, "chat.send", map[string]string{"msg_id": "c1", "text": "查话费"})
	wantMessage(t, agent, "customer")

	kept.mu.Lock()
	defer kept.mu.Unlock()
	var lines []string
	for i, m := range kept.msgs {
		if m.ContactID != contact || m.Seq != i+1 || m.At.IsZero() {
			t.Fatalf("message %d: got %+v, want contact %s seq %d with a time", i, m, contact, i+1)
		}
		lines = append(lines, string(m.Sender)+"/"+m.SenderID+": "+m.Text)
	}
	got := strings.Join(lines, "\n")
	agentID := s.Accounts["alice"].ID
	for _, want := range []string{"bot/: ", "customer/: 0", "agent/" + agentID + ": 您好，请讲", "customer/: 查话费"} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript kept:\n%s\nwant a line %q", got, want)
		}
	}
}
