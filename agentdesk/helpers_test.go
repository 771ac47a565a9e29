package agentdesk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

const wait = 5 * time.Second

func dialDesk(t *testing.T, s *deskttest.Server, login, view string) *deskttest.Client {
	t.Helper()
	tok, err := s.Login(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := deskttest.Dial(context.Background(), s.URL, "/ws/desk", agentdesk.DeskProtocol, tok)
	if err != nil {
		t.Fatalf("dial desk %s: %v", login, err)
	}
	t.Cleanup(c.Close)
	if _, err := c.Hello(view, "", 0); err != nil {
		t.Fatalf("hello %s: %v", login, err)
	}
	if _, err := c.Want("snapshot", nil, wait); err != nil {
		t.Fatal(err)
	}
	return c
}

type started struct {
	Token   string `json:"token"`
	Contact string `json:"contact_id"`
}

func startChat(t *testing.T, s *deskttest.Server, info map[string]string) started {
	t.Helper()
	b, _ := json.Marshal(info)
	req, _ := http.NewRequest("POST", s.URL+"/chat/api/start", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("start chat: got status %d, want 200", resp.StatusCode)
	}
	var st started
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func dialChat(t *testing.T, s *deskttest.Server, token string) *deskttest.Client {
	t.Helper()
	c, _, err := deskttest.Dial(context.Background(), s.URL, "/ws/chat?token="+token, agentdesk.ChatProtocol, "")
	if err != nil {
		t.Fatalf("dial chat: %v", err)
	}
	t.Cleanup(c.Close)
	c.Token = token
	return c
}

// do runs a command that must succeed and returns the ack's data.
func do(t *testing.T, c *deskttest.Client, typ string, data any) json.RawMessage {
	t.Helper()
	out, err := c.Do(typ, data, wait)
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	return out
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *agentdesk.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want error code %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("got code %s (%s), want %s", e.Code, e.Message, code)
	}
}

type msg struct {
	Contact string `json:"contact_id"`
	N       int    `json:"n"`
	MsgID   string `json:"msg_id"`
	From    string `json:"from"`
	Text    string `json:"text"`
	Buttons []struct {
		Key   string `json:"key"`
		Label string `json:"label"`
	} `json:"buttons"`
}

// wantMessage skips frames until a chat.message from `from`.
func wantMessage(t *testing.T, c *deskttest.Client, from string) msg {
	t.Helper()
	for {
		var m msg
		if _, err := c.Want("chat.message", &m, wait); err != nil {
			t.Fatalf("waiting for a message from %s: %v", from, err)
		}
		if m.From == from {
			return m
		}
	}
}

// readyAgentWithChat brings alice to ready and a customer chat to her
// desk, accepted; it returns both clients and the contact id.
func readyAgentWithChat(t *testing.T, s *deskttest.Server) (agent, cust *deskttest.Client, contact string) {
	t.Helper()
	agent = dialDesk(t, s, "alice", "")
	do(t, agent, "state.ready", nil)
	st := startChat(t, s, map[string]string{"name": "张三", "phone": "13900000001", "topic": "billing"})
	cust = dialChat(t, s, st.Token)
	if _, err := cust.Hello("", "", 0); err != nil {
		t.Fatal(err)
	}
	var snap struct {
		Transcript []msg `json:"transcript"`
	}
	if _, err := cust.Want("snapshot", &snap, wait); err != nil {
		t.Fatal(err)
	}
	if len(snap.Transcript) == 0 {
		wantMessage(t, cust, "bot")
	}
	if _, err := cust.Do("chat.send", map[string]string{"msg_id": "m0", "text": "0"}, wait); err != nil {
		t.Fatal(err)
	}
	var offer struct {
		Contact string `json:"contact_id"`
	}
	if _, err := agent.Want("offer", &offer, wait); err != nil {
		t.Fatal(err)
	}
	if offer.Contact != st.Contact {
		t.Fatalf("offer for %s, want %s", offer.Contact, st.Contact)
	}
	do(t, agent, "offer.accept", map[string]string{"contact_id": st.Contact})
	if _, err := agent.Want("chat.started", nil, wait); err != nil {
		t.Fatal(err)
	}
	if _, err := cust.Want("chat.agent_joined", nil, wait); err != nil {
		t.Fatal(err)
	}
	return agent, cust, st.Contact
}

func ioCopy(w *strings.Builder, resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	return io.Copy(w, resp.Body)
}
