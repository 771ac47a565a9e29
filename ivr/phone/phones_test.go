package phone

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/hotline10000/hotline/ivr/media"
)

type fakeLeg struct {
	mu     sync.Mutex
	reason string
	done   chan struct{}
	once   sync.Once
}

func newFakeLeg() *fakeLeg { return &fakeLeg{done: make(chan struct{})} }

func (l *fakeLeg) Codec() media.Codec { return media.PCMA }
func (l *fakeLeg) ReadFrame(ctx context.Context, buf []byte) (int, error) {
	select {
	case <-l.done:
		return 0, io.EOF
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
func (l *fakeLeg) WriteFrame([]byte) error { return nil }
func (l *fakeLeg) Hangup(_ context.Context, reason string) error {
	l.once.Do(func() {
		l.mu.Lock()
		l.reason = reason
		l.mu.Unlock()
		close(l.done)
	})
	return nil
}
func (l *fakeLeg) Done() <-chan struct{} { return l.done }
func (l *fakeLeg) hungUp() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

type kinds map[string]string

func (k kinds) PhoneKind(_ context.Context, agent string) (string, error) { return k[agent], nil }

func TestRingAnswerTake(t *testing.T) {
	p := New(Options{Settings: kinds{"a2": KindSIP}})
	leg := newFakeLeg()
	var got CallInfo
	var gotAgent string
	p.Register(KindSIP, RingerFunc(func(ctx context.Context, agent string, call CallInfo) (Leg, error) {
		got, gotAgent = call, agent
		return leg, nil
	}))
	p.Register(KindBrowser, RingerFunc(func(context.Context, string, CallInfo) (Leg, error) { return nil, ErrBusy }))
	call := CallInfo{ContactID: "c1", Caller: "13800000000", Queue: "general-voice"}
	p.Expect(call)
	if err := p.Ring(context.Background(), "c1", "a2"); err != nil {
		t.Fatalf("Ring: %v", err)
	}
	if got != call || gotAgent != "a2" {
		t.Fatalf("ringer saw %+v for %q, want %+v for a2", got, gotAgent, call)
	}
	l, ok := p.Take("c1")
	if !ok || l != leg {
		t.Fatalf("Take = %v, %v; want the answered leg", l, ok)
	}
	if _, ok := p.Take("c1"); ok {
		t.Fatal("second Take found a leg")
	}
	if err := p.Ring(context.Background(), "c1", "a1"); !errors.Is(err, ErrBusy) {
		t.Fatalf("default kind ring: got %v, want ErrBusy", err)
	}
	if got := p.Kinds(); len(got) != 2 || got[0] != KindBrowser || got[1] != KindSIP {
		t.Fatalf("Kinds = %v", got)
	}
}

func TestRingErrors(t *testing.T) {
	p := New(Options{})
	if err := p.Ring(context.Background(), "c1", "a1"); !errors.Is(err, ErrUnknownCall) {
		t.Fatalf("unexpected call: got %v, want ErrUnknownCall", err)
	}
	p.Expect(CallInfo{ContactID: "c1"})
	if err := p.Ring(context.Background(), "c1", "a1"); !errors.Is(err, ErrNoPhone) || !IsRingError(err) {
		t.Fatalf("no ringer: got %v, want ErrNoPhone", err)
	}
	for _, want := range []error{ErrBusy, ErrDeclined, ErrNoAnswer} {
		p.Register(KindBrowser, RingerFunc(func(context.Context, string, CallInfo) (Leg, error) { return nil, want }))
		if err := p.Ring(context.Background(), "c1", "a1"); !errors.Is(err, want) {
			t.Fatalf("got %v, want %v", err, want)
		}
	}
}

// A leg answered after the caller left is hung up, not kept.
func TestAnsweredAfterCallerLeft(t *testing.T) {
	p := New(Options{})
	leg := newFakeLeg()
	p.Expect(CallInfo{ContactID: "c1"})
	p.Register(KindBrowser, RingerFunc(func(context.Context, string, CallInfo) (Leg, error) {
		p.Forget("c1") // the caller hangs up while the phone rings
		return leg, nil
	}))
	if err := p.Ring(context.Background(), "c1", "a1"); !errors.Is(err, ErrUnknownCall) {
		t.Fatalf("got %v, want ErrUnknownCall", err)
	}
	if leg.hungUp() == "" {
		t.Fatal("the leg answered for a gone caller was not hung up")
	}
	if _, ok := p.Take("c1"); ok {
		t.Fatal("Take found a leg for a gone caller")
	}
}

// Forget hangs up an answered leg nobody took.
func TestForgetHangsUpUntaken(t *testing.T) {
	p := New(Options{})
	leg := newFakeLeg()
	p.Expect(CallInfo{ContactID: "c1"})
	p.Register(KindBrowser, RingerFunc(func(context.Context, string, CallInfo) (Leg, error) { return leg, nil }))
	if err := p.Ring(context.Background(), "c1", "a1"); err != nil {
		t.Fatal(err)
	}
	p.Forget("c1")
	if leg.hungUp() == "" {
		t.Fatal("untaken leg not hung up")
	}
}

// A ring withdrawn (ctx ended) returns ctx's error and hangs up a late answer.
func TestRingWithdrawn(t *testing.T) {
	p := New(Options{})
	leg := newFakeLeg()
	p.Expect(CallInfo{ContactID: "c1"})
	ctx, cancel := context.WithCancel(context.Background())
	p.Register(KindBrowser, RingerFunc(func(context.Context, string, CallInfo) (Leg, error) {
		cancel()
		return leg, nil
	}))
	if err := p.Ring(ctx, "c1", "a1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if leg.hungUp() == "" {
		t.Fatal("late answer not hung up")
	}
}
