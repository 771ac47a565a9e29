package sip

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/sip/siptest"
)

// acdCalls records what the callbacks told the ACD.
type acdCalls struct {
	mu    sync.Mutex
	ended []string
	lost  []string
	endCh chan string
}

func (a *acdCalls) end(_ context.Context, id string) error {
	a.mu.Lock()
	a.ended = append(a.ended, id)
	a.mu.Unlock()
	a.endCh <- id
	return nil
}

func (a *acdCalls) lose(_ context.Context, id, why string) error {
	a.mu.Lock()
	a.lost = append(a.lost, id+":"+why)
	a.mu.Unlock()
	return nil
}

// startCallbacks is a server with a trunk and an agent whose phone
// answers at once as agent (PCMA).
func startCallbacks(t *testing.T) (*Server, *siptest.Trunk, *Callbacks, *pipeLeg, *acdCalls, chan phone.CallInfo) {
	t.Helper()
	s, tr := startTrunked(t, "trunk-secret")
	agent := newPipeLeg(media.PCMA)
	rang := make(chan phone.CallInfo, 4)
	phones := phone.New(phone.Options{})
	phones.Register(phone.KindBrowser, phone.RingerFunc(func(_ context.Context, agentID string, c phone.CallInfo) (phone.Leg, error) {
		rang <- c
		return agent, nil
	}))
	a := &acdCalls{endCh: make(chan string, 4)}
	cb := s.NewCallbacks(CallbackOptions{Phones: phones, End: a.end, Lose: a.lose})
	return s, tr, cb, agent, a, rang
}

// The ACD reserved an agent for a callback: the agent's phone rings first,
// then the customer is dialled through the trunk, audio flows both ways
// (transcoded: agent PCMA, customer PCMU), and the customer's hang-up ends
// the contact.
func TestCallbackRingsAgentThenDialsCustomer(t *testing.T) {
	_, tr, cb, agent, a, rang := startCallbacks(t)
	if err := cb.Expect("c1", "0085212345678"); !errors.Is(err, ErrForbiddenNumber) {
		t.Fatalf("Expect outside the plan: got %v, want ErrForbiddenNumber", err)
	}
	if err := cb.Expect("c1", "138 0013 8000"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cb.Ring(ctx, "c1", "a1"); err != nil {
		t.Fatalf("ring: %v", err)
	}
	if c := <-rang; c.ContactID != "c1" || c.Caller != "13800138000" {
		t.Fatalf("agent's phone showed %+v", c)
	}
	inv := <-tr.Invites
	if inv.Recipient.User != "13800138000" {
		t.Fatalf("dialled %s", inv.Recipient.User)
	}
	if h := inv.GetHeader("X-Hotline-Contact"); h == nil || h.Value() != "c1" {
		t.Fatalf("X-Hotline-Contact: %v", h)
	}
	if _, ok := cb.Number("c1"); ok {
		t.Error("the number is still pending after the call connected")
	}

	// Agent -> customer: a PCMA frame arrives PCMU at the trunk.
	agentFrame := make([]byte, phone.FrameSize)
	for i := range agentFrame {
		agentFrame[i] = byte(0x20 + i%64)
	}
	agent.says <- agentFrame
	_ = tr.RTP.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	n, from, err := tr.RTP.ReadFrom(buf)
	if err != nil {
		t.Fatalf("customer heard nothing: %v", err)
	}
	var pkt rtp.Packet
	want := append([]byte(nil), agentFrame...)
	media.Transcode(want, media.PCMA, media.PCMU)
	if err := pkt.Unmarshal(buf[:n]); err != nil || pkt.PayloadType != 0 || !bytes.Equal(pkt.Payload, want) {
		t.Fatalf("at the customer: pt=%d len=%d err=%v, want the agent's frame in PCMU", pkt.PayloadType, len(pkt.Payload), err)
	}
	// Customer -> agent: PCMU arrives PCMA.
	custFrame := make([]byte, phone.FrameSize)
	for i := range custFrame {
		custFrame[i] = byte(0x90 + i%32)
	}
	out, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1, SSRC: 9}, Payload: custFrame}).Marshal()
	if _, err := tr.RTP.WriteTo(out, from); err != nil {
		t.Fatal(err)
	}
	select {
	case f := <-agent.heard:
		want := append([]byte(nil), custFrame...)
		media.Transcode(want, media.PCMU, media.PCMA)
		if !bytes.Equal(f, want) {
			t.Fatalf("at the agent: len=%d, want the customer's frame in PCMA", len(f))
		}
	case <-ctx.Done():
		t.Fatal("the agent heard nothing")
	}

	// The customer hangs up: the agent's leg ends and the contact ends.
	if err := tr.Hangup(); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-a.endCh:
		if id != "c1" {
			t.Fatalf("ended %s", id)
		}
	case <-ctx.Done():
		t.Fatal("the contact was not ended")
	}
	select {
	case <-agent.Done():
	default:
		t.Fatal("the agent's leg is still up")
	}
}

// A customer who does not answer ends the callback as lost, and the
// agent's leg is hung up; a contact whose number is unknown is lost too.
func TestCallbackCustomerNotReached(t *testing.T) {
	_, tr, cb, agent, a, _ := startCallbacks(t)
	tr.SetAnswer(486)
	if err := cb.Expect("c2", "13800138000"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cb.Ring(ctx, "c2", "a1"); !errors.Is(err, ErrCustomerUnreachable) {
		t.Fatalf("got %v, want ErrCustomerUnreachable", err)
	}
	if got := agent.hungUpFor(); got != "customer not reached" {
		t.Fatalf("agent leg: hung up for %q", got)
	}
	if err := cb.Ring(ctx, "unknown", "a1"); !errors.Is(err, ErrNoCall) {
		t.Fatalf("unknown number: got %v, want ErrNoCall", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.lost) != 2 || a.lost[0] != "c2:callback_not_answered" || a.lost[1] != "unknown:callback_number_unknown" {
		t.Fatalf("lost: %v", a.lost)
	}
}
