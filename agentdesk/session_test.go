package agentdesk

import (
	"fmt"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
)

func TestSessionReplayWindow(t *testing.T) {
	s := newSession("s", kindAgent, 4, 2, time.Time{})
	for i := range 6 {
		s.push(Frame{Type: fmt.Sprint(i)})
	}
	cases := []struct {
		last uint64
		ok   bool
		n    int
	}{
		{6, true, 0}, {5, true, 1}, {2, true, 4}, {1, false, 0}, {0, false, 0}, {7, false, 0},
	}
	for _, tc := range cases {
		got, ok := s.since(tc.last)
		if ok != tc.ok || len(got) != tc.n {
			t.Errorf("since(%d): got %d frames, ok %v; want %d, %v", tc.last, len(got), ok, tc.n, tc.ok)
		}
	}
	got, _ := s.since(2)
	for i, b := range got {
		f, err := DecodeFrame(b)
		if err != nil || f.Seq != uint64(3+i) || f.Type != fmt.Sprint(2+i) {
			t.Errorf("frame %d: got %s seq %d (%v), want seq %d", i, f.Type, f.Seq, err, 3+i)
		}
	}
}

func TestReplyCacheForgetsOldest(t *testing.T) {
	r := newReplyCache(2)
	r.put("a", []byte("1"))
	r.put("b", []byte("2"))
	r.put("c", []byte("3"))
	if _, ok := r.get("a"); ok {
		t.Error("oldest reply kept past the bound")
	}
	for _, id := range []string{"b", "c"} {
		if _, ok := r.get(id); !ok {
			t.Errorf("reply %s forgotten", id)
		}
	}
}

// TestDeliverACDDoesNotWait: before Run the hub's queue takes the batches;
// after the gateway stopped DeliverACD returns at once.
func TestDeliverACDDoesNotWait(t *testing.T) {
	g := &Gateway{acdIn: make(chan []acd.Event, 2), done: make(chan struct{})}
	ev := []acd.Event{{Kind: acd.EventQueued}}
	for range 2 {
		g.DeliverACD(ev)
	}
	close(g.done)
	returned := make(chan struct{})
	go func() { g.DeliverACD(ev); close(returned) }()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("DeliverACD blocked on a stopped gateway")
	}
}

func BenchmarkSessionPush(b *testing.B) {
	s := newSession("s", kindAgent, 512, 256, time.Time{})
	data := raw(chatMessageData{Contact: "chat-1", Message: Message{N: 1, From: "customer", Text: "我的宽带又断了，麻烦看一下"}})
	b.ReportAllocs()
	for b.Loop() {
		s.push(Frame{Type: "chat.message", Data: data})
	}
}

func BenchmarkDecodeFrame(b *testing.B) {
	in := []byte(`{"type":"chat.send","id":"k3f9-17","data":{"contact_id":"chat-1f","msg_id":"a81c","text":"您好，请问有什么可以帮您？"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeFrame(in); err != nil {
			b.Fatal(err)
		}
	}
}
