package contactrecord

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
	"github.com/hotline10000/hotline/ivr"
)

func TestContactRecords(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	cust, err := st.CreateCustomer(ctx, store.Customer{ANI: "13300000002", Tier: store.TierGold})
	if err != nil {
		t.Fatal(err)
	}
	agent, _ := st.CreateAgent(ctx, store.Agent{Login: "a1", DisplayName: "A", Role: store.RoleAgent, PasswordHash: "h"})
	bus := event.NewBus(event.Options{})
	rec := New(bus, st, slog.New(slog.DiscardHandler))
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()

	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	pubIVR := ivr.SinkFunc(func(e ivr.Event) {
		_, _ = bus.Publish(ctx, event.Event{Type: "ivr.event", At: e.Head().Time, ContactID: e.Head().ContactID, Data: e})
	})
	pubACD := func(e acd.Event) {
		_, _ = bus.Publish(ctx, event.Event{Type: event.Type("acd." + e.Kind.String()), At: e.At, ContactID: e.Contact, Data: e})
	}
	head := func(id string, s int, ch ivr.ChannelKind) ivr.Header {
		return ivr.Header{ContactID: id, Time: at(s), Flow: "main", Channel: ch}
	}

	// Self-service: balance read out, caller hangs up satisfied.
	pubIVR.Emit(ivr.Started{Header: head("self", 0, ivr.Voice), ANI: "13300000002", Entry: "10000"})
	pubIVR.Emit(ivr.Ended{Header: head("self", 40, ivr.Voice), Outcome: ivr.OutcomeSelfService})
	// Through the IVR to an agent.
	pubIVR.Emit(ivr.Started{Header: head("agent", 0, ivr.Voice), ANI: "13900000009", Entry: "10000"})
	pubACD(acd.Event{Kind: acd.EventQueued, Contact: "agent", Queue: "general-voice", RequestQueue: "general-voice", FirstEntry: true, Channel: acd.Voice, At: at(30)})
	pubACD(acd.Event{Kind: acd.EventQueued, Contact: "agent", Queue: "overflow", RequestQueue: "general-voice", Channel: acd.Voice, At: at(90)})
	pubACD(acd.Event{Kind: acd.EventAnswered, Contact: "agent", Agent: agent.ID, Queue: "overflow", Outcome: acd.Answered, At: at(100)})
	pubIVR.Emit(ivr.Ended{Header: head("agent", 100, ivr.Voice), Outcome: ivr.OutcomeAgent, AgentRequested: true})
	pubACD(acd.Event{Kind: acd.EventHoldStarted, Contact: "agent", Agent: agent.ID, At: at(200)})
	pubACD(acd.Event{Kind: acd.EventHoldEnded, Contact: "agent", Agent: agent.ID, Wait: 45 * time.Second, At: at(245)})
	pubACD(acd.Event{Kind: acd.EventHoldStarted, Contact: "agent", Agent: agent.ID, At: at(390)})
	pubACD(acd.Event{Kind: acd.EventHoldEnded, Contact: "agent", Agent: agent.ID, Wait: 10 * time.Second, Reason: "ended", At: at(400)})
	pubACD(acd.Event{Kind: acd.EventEnded, Contact: "agent", Agent: agent.ID, Hold: 55 * time.Second, At: at(400)})
	// A chat straight to the queue, abandoned.
	pubACD(acd.Event{Kind: acd.EventQueued, Contact: "chat", Queue: "general-chat", RequestQueue: "general-chat", FirstEntry: true, Channel: acd.Chat, Customer: "13300000002", At: at(5)})
	pubACD(acd.Event{Kind: acd.EventAbandoned, Contact: "chat", Outcome: acd.Abandoned, At: at(65)})
	pubACD(acd.Event{Kind: acd.EventAbandoned, Contact: "chat", Outcome: acd.Abandoned, At: at(66)}) // a second outcome is ignored
	// Waited the longest allowed and left a message.
	pubIVR.Emit(ivr.Started{Header: head("msg", 0, ivr.Voice), ANI: "13900000010"})
	pubACD(acd.Event{Kind: acd.EventQueued, Contact: "msg", RequestQueue: "general-voice", FirstEntry: true, At: at(10)})
	pubACD(acd.Event{Kind: acd.EventLost, Contact: "msg", Action: acd.Ticket, Outcome: acd.SystemLost, At: at(310)})
	// Answered, transferred, and the customer hung up in the second queue:
	// the request was answered; the contact ends at the hang-up.
	pubIVR.Emit(ivr.Started{Header: head("xfer", 0, ivr.Voice), ANI: "13900000011"})
	pubACD(acd.Event{Kind: acd.EventQueued, Contact: "xfer", RequestQueue: "general-voice", FirstEntry: true, At: at(5)})
	pubACD(acd.Event{Kind: acd.EventAnswered, Contact: "xfer", Agent: agent.ID, Outcome: acd.Answered, At: at(20)})
	pubACD(acd.Event{Kind: acd.EventTransferred, Contact: "xfer", Agent: agent.ID, Target: "vip-voice", At: at(80)})
	pubACD(acd.Event{Kind: acd.EventAnswered, Contact: "xfer", Agent: "someone-else", At: at(95)})
	pubACD(acd.Event{Kind: acd.EventAbandoned, Contact: "xfer", At: at(99)})
	// Hung up in the menu.
	pubIVR.Emit(ivr.Started{Header: head("gone", 0, ivr.Chat), ANI: "web:abc"})
	pubIVR.Emit(ivr.Ended{Header: head("gone", 8, ivr.Chat), Outcome: ivr.OutcomeAbandoned})
	bus.Close()
	<-done

	want := map[string]struct {
		outcome  store.Outcome
		customer string
		queue    string
		agent    string
		channel  store.Channel
		ended    time.Time
	}{
		"self":  {store.OutcomeSelfService, cust.ID, "", "", store.Voice, at(40)},
		"agent": {store.OutcomeAnswered, "", "general-voice", agent.ID, store.Voice, at(400)},
		"chat":  {store.OutcomeAbandoned, cust.ID, "general-chat", "", store.Chat, at(65)},
		"msg":   {store.OutcomeMessage, "", "general-voice", "", store.Voice, at(310)},
		"gone":  {store.OutcomeIVRAbandoned, "", "", "", store.Chat, at(8)},
		"xfer":  {store.OutcomeAnswered, "", "general-voice", agent.ID, store.Voice, at(99)},
	}
	for id, w := range want {
		c, err := st.Contact(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if c.Outcome != w.outcome || c.CustomerID != w.customer || c.QueueID != w.queue || c.AgentID != w.agent ||
			c.Channel != w.channel || c.EndedAt == nil || !c.EndedAt.Equal(w.ended) {
			t.Errorf("%s: got %+v, want %+v", id, c, w)
		}
	}
	if c, _ := st.Contact(ctx, "agent"); c.QueuedAt == nil || !c.QueuedAt.Equal(at(30)) || c.AnsweredAt == nil || !c.AnsweredAt.Equal(at(100)) {
		t.Errorf("agent contact times: %+v", c)
	}
	if c, _ := st.Contact(ctx, "agent"); c.Holds != 2 || c.Hold != 55*time.Second {
		t.Errorf("agent contact hold: got %d holds, %v; want 2, 55s", c.Holds, c.Hold)
	}
}
