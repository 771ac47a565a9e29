package agentdesk_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/store"
)

type keptTranscript struct {
	mu    sync.Mutex
	msgs  []store.TranscriptMessage
	added chan struct{} // closed and replaced on every Keep
}

func (k *keptTranscript) Keep(m store.TranscriptMessage) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.msgs = append(k.msgs, m)
	if k.added != nil {
		close(k.added)
	}
	k.added = make(chan struct{})
}

// await returns the first kept message for which match holds, waiting for
// Keep calls (not polling) up to d.
func (k *keptTranscript) await(t *testing.T, d time.Duration, match func(store.TranscriptMessage) bool) store.TranscriptMessage {
	t.Helper()
	give := time.NewTimer(d)
	defer give.Stop()
	for {
		k.mu.Lock()
		for _, m := range k.msgs {
			if match(m) {
				k.mu.Unlock()
				return m
			}
		}
		if k.added == nil {
			k.added = make(chan struct{})
		}
		next := k.added
		k.mu.Unlock()
		select {
		case <-next:
		case <-give.C:
			t.Fatalf("no matching message kept in %v", d)
		}
	}
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

// A chat restored after a restart carries only the tail of its transcript;
// its next message is numbered after the last one kept, not by how many were
// kept, so the transcript store does not take it for a message it has.
func TestRestoredChatNumbersAfterItsTail(t *testing.T) {
	kept := &keptTranscript{}
	s := deskttest.New(t, deskttest.Options{Transcripts: kept})
	if err := s.ACD.Enqueue(context.Background(), acd.ContactSpec{ID: "chat-long", Queue: "general", Channel: acd.Chat}); err != nil {
		t.Fatal(err)
	}
	var tail []map[string]any
	for n := 151; n <= 250; n++ {
		tail = append(tail, map[string]any{"n": n, "from": "customer", "text": fmt.Sprint("line ", n), "at": time.Now()})
	}
	sum := sha256.Sum256([]byte("long-token"))
	restored, _ := json.Marshal(map[string]any{"token_hash": hex.EncodeToString(sum[:]), "queue": "general", "transcript": tail})
	s.Gateway.Restore(map[string]json.RawMessage{"chat-long": restored})
	cust := dialChat(t, s, "long-token")
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := cust.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "after", "text": "还在吗"})
	m := kept.await(t, wait, func(m store.TranscriptMessage) bool { return m.Text == "还在吗" })
	if m.Seq != 251 {
		t.Fatalf("message after the restored tail numbered %d, want 251", m.Seq)
	}
}
