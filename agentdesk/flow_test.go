package agentdesk_test

import (
	"testing"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

// TestChatFromWidgetToWrapUp walks one chat: the flow's menu, the queue,
// the offer, messages both ways, the agent ending it, the rating, wrap-up.
func TestChatFromWidgetToWrapUp(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	agent, cust, contact := readyAgentWithChat(t, s)

	do(t, cust, "chat.send", map[string]string{"msg_id": "m1", "text": "我的话费不对"})
	if m := wantMessage(t, agent, "customer"); m.Text != "我的话费不对" || m.Contact != contact {
		t.Fatalf("agent got %+v, want the customer's text", m)
	}
	do(t, agent, "chat.send", map[string]string{"contact_id": contact, "msg_id": "a1", "text": "我来查一下"})
	if m := wantMessage(t, cust, "agent"); m.Text != "我来查一下" {
		t.Fatalf("customer got %+v", m)
	}
	do(t, agent, "chat.end", map[string]string{"contact_id": contact})
	if _, err := cust.Want("chat.agent_left", nil, wait); err != nil {
		t.Fatal(err)
	}
	survey := wantMessage(t, cust, "bot")
	if len(survey.Buttons) != 3 {
		t.Fatalf("survey buttons %+v, want 3", survey.Buttons)
	}
	do(t, cust, "chat.send", map[string]string{"msg_id": "r1", "text": survey.Buttons[0].Key})
	if _, err := cust.Want("chat.ended", nil, wait); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Want("wrapup.started", nil, wait); err != nil {
		t.Fatal(err)
	}
	do(t, agent, "wrapup.done", map[string]string{"contact_id": contact, "code": "resolved", "notes": "ok"})
	if _, err := agent.Want("wrapup.ended", nil, wait); err != nil {
		t.Fatal(err)
	}
}
