package ivr

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/hotline10000/hotline/acd"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type chatLog struct {
	mu   sync.Mutex
	msgs []ChatMessage
	sent chan ChatMessage
}

func (l *chatLog) Send(ctx context.Context, m ChatMessage) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, m)
	l.mu.Unlock()
	if l.sent != nil {
		l.sent <- m
	}
	return nil
}

func TestChatChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &chatLog{}
		c := NewChatChannel(log, SystemClock{})
		cat, err := DefaultCatalog()
		if err != nil {
			t.Fatal(err)
		}
		u := Utterance{Lang: "zh", Items: []Item{{Prompt: "balance.is"}, {Say: SayMoney, Value: "12.50"}},
			Choices: []Choice{{Key: "1", Label: "余额账单"}}, Prompts: cat}
		if _, err := c.Play(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		if got, want := log.msgs[0].Text, "您的账户余额为12.50元。"; got != want {
			t.Errorf("text: got %q, want %q", got, want)
		}
		if len(log.msgs[0].Buttons) != 1 || log.msgs[0].Buttons[0].Label != "余额账单" {
			t.Errorf("buttons: got %+v", log.msgs[0].Buttons)
		}

		start := time.Now()
		if _, err := c.Receive(context.Background(), start.Add(time.Minute), nil); !errors.Is(err, ErrTimeout) {
			t.Errorf("idle: got %v, want ErrTimeout", err)
		}
		if got := time.Since(start); got != time.Minute {
			t.Errorf("idle wait: got %v, want 1m on the clock", got)
		}

		if !c.Deliver("  余额 ") {
			t.Fatal("Deliver refused")
		}
		in, err := c.Receive(context.Background(), time.Time{}, nil)
		if err != nil || in.Kind != InputText || in.Text != "余额" {
			t.Errorf("got %+v, %v; want text 余额", in, err)
		}

		q := make(chan QueueEvent, 1)
		q <- QueueEvent{Kind: QueuePosition, Position: 2}
		if in, err := c.Receive(context.Background(), time.Time{}, q); err != nil || in.Queue.Position != 2 {
			t.Errorf("queue: got %+v, %v", in, err)
		}

		if err := c.Transfer(context.Background(), "A1"); err != nil {
			t.Fatal(err)
		}
		// Back from the agent (the survey): the flow takes input again at
		// once; relaying to the agent meanwhile is the transport's job.
		if !c.Deliver("1") {
			t.Error("Deliver refused the survey answer after the agent leg")
		}
		if in, err := c.Receive(context.Background(), time.Time{}, nil); err != nil || in.Text != "1" {
			t.Errorf("survey answer: got %+v, %v", in, err)
		}

		c.Leave()
		if _, err := c.Receive(context.Background(), time.Time{}, nil); !errors.Is(err, ErrHangup) {
			t.Errorf("after Leave: got %v, want ErrHangup", err)
		}
		if _, err := c.Play(context.Background(), u); !errors.Is(err, ErrHangup) {
			t.Errorf("Play after Leave: got %v, want ErrHangup", err)
		}
	})
}

// TestChatRunDefaultFlow runs the shipped main flow over the chat channel:
// the customer types a keyword and waits in the queue.
func TestChatRunDefaultFlow(t *testing.T) {
	lib, err := LoadDir(os.DirFS("flows"), ".")
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		// The bubble's clock starts on a Saturday at 08:00 in Shanghai,
		// before opening; move it to Monday 10:00.
		clock := offsetClock(time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC).Sub(time.Now()))
		log := &chatLog{sent: make(chan ChatMessage, 64)}
		c := NewChatChannel(log, clock)
		q := &chanQueue{events: make(chan QueueEvent, 4)}
		rec := &recorder{}
		r := NewRunner(lib, Config{Clock: clock, Sink: rec, Queuer: q})
		done := make(chan Result)
		go func() {
			res, _ := r.Run(context.Background(), Contact{ID: "chat1", ANI: "web:bob", Entry: "web"}, c)
			done <- res
		}()
		for m := range log.sent {
			if m.Kind == ChatPrompt && len(m.Buttons) == 7 {
				break // the main menu, with its buttons
			}
		}
		c.Deliver("转人工")
		synctest.Wait()
		q.events <- QueueEvent{Kind: QueueConnected, Agent: "A5"}
		q.events <- QueueEvent{Kind: QueueAgentLeft}
		synctest.Wait()
		c.Deliver("3")
		res := <-done
		if res.Outcome != OutcomeAgent || q.req.Queue != "general-chat" || q.req.Channel != Chat {
			t.Errorf("got %s queue %q channel %s; want agent via general-chat over chat", res.Outcome, q.req.Queue, q.req.Channel)
		}
		if res.Vars["survey"] != 3 {
			t.Errorf("survey: got %v, want 3", res.Vars["survey"])
		}
		var kinds []ChatMessageKind
		log.mu.Lock()
		for _, m := range log.msgs {
			kinds = append(kinds, m.Kind)
		}
		log.mu.Unlock()
		if kinds[len(kinds)-1] != ChatEnd {
			t.Errorf("last chat message: got %v, want end", kinds)
		}
	})
}

type chanQueue struct {
	req    QueueRequest
	events chan QueueEvent
}

func (q *chanQueue) Enqueue(ctx context.Context, req QueueRequest) (QueueHandle, error) {
	q.req = req
	return q, nil
}
func (q *chanQueue) Events() <-chan QueueEvent                     { return q.events }
func (q *chanQueue) Cancel(context.Context, acd.LeaveReason) error { return nil }

type offsetClock time.Duration

func (o offsetClock) Now() time.Time                         { return time.Now().Add(time.Duration(o)) }
func (o offsetClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
