package bridge

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/ivr"
)

type ringCall struct{ contact, agent, by string }

// A caller who asks for a callback leaves the line and keeps the place:
// the voice holder's ring step no longer runs for it; the callback
// holder's does (ring the agent, dial the customer), and its answer
// connects the contact.
func TestKeepAsCallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRig(t, router(t, acd.Voice))
		ctx := context.Background()
		rings := make(chan ringCall, 4)
		numbers := map[string]string{}
		cbHolder := Holder{Channel: acd.Voice, Ring: func(ctx context.Context, contact, agent string) error {
			rings <- ringCall{contact, agent, "callback"}
			return nil
		}}
		voice := Holder{Channel: acd.Voice, Ring: func(ctx context.Context, contact, agent string) error {
			rings <- ringCall{contact, agent, "voice"}
			<-ctx.Done()
			return ctx.Err()
		}, Callback: func(_ context.Context, contact, number string) (Holder, error) {
			if number == "forbidden" {
				return Holder{}, errors.New("outside the dial plan")
			}
			numbers[contact] = number
			return cbHolder, nil
		}}
		x.must(x.e.Login(ctx, acd.AgentSpec{ID: "A", Skills: map[string]int{"x": 5}})) // not ready yet
		h := enqueue(x, x.b.Queuer(voice), "v1", "")
		cb, ok := h.(ivr.CallbackHandle)
		if !ok {
			t.Fatal("the bridge's handle is no ivr.CallbackHandle")
		}
		if err := cb.KeepAsCallback(ctx, "forbidden"); err == nil {
			t.Fatal("a refused number was kept")
		}
		if st, _ := x.e.Contact(ctx, "v1"); st.Callback {
			t.Fatal("a refused number made the contact a callback")
		}
		x.must(cb.KeepAsCallback(ctx, "13800138000"))
		synctest.Wait()
		if numbers["v1"] != "13800138000" {
			t.Fatalf("number handed to the callback holder: %q", numbers["v1"])
		}
		if e, ok := x.find(acd.EventCallbackRequested, "v1"); !ok || e.Actor != acd.ActorCustomer {
			t.Fatalf("callback_requested: got %+v, want one by the customer", e)
		}
		// The caller's run ends without Cancel; the contact waits on.
		time.Sleep(time.Hour)
		if st, err := x.e.Contact(ctx, "v1"); err != nil || !st.Callback || st.State != "queued" {
			t.Fatalf("an hour later: got %+v %v, want a queued callback", st, err)
		}
		x.must(x.e.SetReady(ctx, "A"))
		synctest.Wait()
		if r := <-rings; r != (ringCall{"v1", "A", "callback"}) {
			t.Fatalf("rang %+v, want the callback holder's ring of v1 on A", r)
		}
		synctest.Wait()
		if _, ok := x.find(acd.EventAnswered, "v1"); !ok {
			t.Fatal("the answered callback is not connected")
		}
		x.must(x.e.End(ctx, "v1"))
		synctest.Wait()
	})
}

// A queue whose maximum wait offers callbacks tells the caller's flow
// (QueueMaxWait callback, kept); the flow then keeps it as one.
func TestMaxWaitCallbackTold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := acd.DefaultConfig()
		cfg.Aging = 0
		r, err := acd.NewRouter(cfg, []acd.Queue{{ID: "Q", Channel: acd.Voice, Skills: []acd.Requirement{{Skill: "x", Min: 1}},
			MaxWait: time.Minute, OnMaxWait: acd.OfferCallback, JoinEmpty: true}})
		if err != nil {
			t.Fatal(err)
		}
		x := newRig(t, r)
		ctx := context.Background()
		voice := Holder{Channel: acd.Voice, Ring: func(context.Context, string, string) error { return nil },
			Callback: func(context.Context, string, string) (Holder, error) { return Holder{Channel: acd.Voice}, nil }}
		h := enqueue(x, x.b.Queuer(voice), "v1", "")
		time.Sleep(61 * time.Second)
		synctest.Wait()
		var got ivr.QueueEvent
		for len(h.Events()) > 0 {
			if got = <-h.Events(); got.Kind == ivr.QueueMaxWait {
				break
			}
		}
		if got.Kind != ivr.QueueMaxWait || got.Action != ivr.ActionCallback || !got.Kept {
			t.Fatalf("got %+v, want max wait, callback, kept", got)
		}
		x.must(h.(ivr.CallbackHandle).KeepAsCallback(ctx, "13800138000"))
		if st, _ := x.e.Contact(ctx, "v1"); !st.Callback {
			t.Fatal("not a callback")
		}
		// A channel without callbacks is not told: its callers wait on.
		h2 := enqueue(x, x.b.Queuer(Holder{Channel: acd.Voice}), "v2", "")
		time.Sleep(61 * time.Second)
		synctest.Wait()
		for len(h2.Events()) > 0 {
			if ev := <-h2.Events(); ev.Kind == ivr.QueueMaxWait {
				t.Fatalf("got %+v on a channel without callbacks", ev)
			}
		}
		if err := h2.(ivr.CallbackHandle).KeepAsCallback(ctx, "1"); !errors.Is(err, ErrNoCallbacks) {
			t.Fatalf("got %v, want ErrNoCallbacks", err)
		}
	})
}
