package sip

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
)

// talkRunner is the voice flow's agent part as ivr's runner has it: the
// first agent's ring step, the transfer, then talk: QueueConnected (after
// a transfer) connects the next agent, QueueAgentLeft goes to the survey.
type talkRunner struct {
	agentRunner
	connected chan string // each agent Transfer connected
}

func (r *talkRunner) Run(ctx context.Context, c ivr.Contact, ch ivr.Channel) (ivr.Result, error) {
	r.done <- r.talk(ctx, c, ch)
	return ivr.Result{Outcome: "test"}, nil
}

func (r *talkRunner) talk(ctx context.Context, c ivr.Contact, ch ivr.Channel) error {
	r.phones.Expect(phone.CallInfo{ContactID: c.ID, Caller: c.ANI, Queue: "general-voice"})
	r.contact <- c.ID
	if err := r.phones.Ring(ctx, c.ID, "a1"); err != nil {
		return err
	}
	if err := ch.Transfer(ctx, "a1"); err != nil {
		return err
	}
	r.connected <- "a1"
	for {
		in, err := ch.Receive(ctx, time.Time{}, r.queue)
		if err != nil {
			return err
		}
		switch in.Queue.Kind {
		case ivr.QueueConnected:
			if err := ch.Transfer(ctx, in.Queue.Agent); err != nil {
				return err
			}
			r.connected <- in.Queue.Agent
		case ivr.QueueAgentLeft:
			close(r.survey)
			_, err := ch.Receive(ctx, time.Time{}, nil)
			return err
		}
	}
}

// transferFixture is a real UDP caller bridged to agent a1; the agents'
// legs are pipeLegs by id.
type transferFixture struct {
	agentFixture
	talk        *talkRunner
	legs        map[string]*pipeLeg
	mu          sync.Mutex
	agentLeft   []string // AgentLeft calls
	consultLeft []string // ConsultLeft calls
}

func startTransferCall(t *testing.T) *transferFixture {
	t.Helper()
	x := &transferFixture{legs: map[string]*pipeLeg{"a1": newPipeLeg(media.PCMU), "a2": newPipeLeg(media.PCMA), "a3": newPipeLeg(media.PCMU),
		"s1": newPipeLeg(media.PCMA)}}
	ctx, cancel := context.WithCancel(context.Background())
	pacer := media.NewPacer(ctx)
	m, err := NewRTPMedia(pacer, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{UDPAddr: "127.0.0.1:0", MediaIP: netip.MustParseAddr("127.0.0.1"), Numbers: map[string]string{"10000": "main"},
		Media: m, DrainTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.byeTimeout = 200 * time.Millisecond
	x.srv = s
	phones := phone.New(phone.Options{})
	phones.Register(phone.KindBrowser, phone.RingerFunc(func(_ context.Context, agent string, _ phone.CallInfo) (phone.Leg, error) {
		return x.legs[agent], nil
	}))
	x.talk = &talkRunner{agentRunner: agentRunner{phones: phones, queue: make(chan ivr.QueueEvent, 4), contact: make(chan string, 1),
		survey: make(chan struct{}), done: make(chan error, 1)}, connected: make(chan string, 4)}
	x.runner = &x.talk.agentRunner
	s.Attach(x.talk)
	s.AttachAgents(Agents{Phones: phones, AgentLeft: func(_ context.Context, contact string) error {
		x.mu.Lock()
		defer x.mu.Unlock()
		x.agentLeft = append(x.agentLeft, contact)
		// The ACD ends the contact: the flow goes on to the survey.
		x.talk.queue <- ivr.QueueEvent{Kind: ivr.QueueAgentLeft}
		return nil
	}, ConsultLeft: func(_ context.Context, contact string) error {
		x.mu.Lock()
		defer x.mu.Unlock()
		x.consultLeft = append(x.consultLeft, contact)
		return nil
	}, ConsultTakeOver: func(_ context.Context, contact string) error {
		// The ACD completes the consultation; its event moves the media.
		x.srv.EndConsult(contact, true)
		return nil
	}})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.Serve(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-served
		pacer.Wait()
	})
	x.call(t, media.PCMU, false)
	if a := <-x.talk.connected; a != "a1" {
		t.Fatalf("connected %s, want a1", a)
	}
	x.agent = x.legs["a1"]
	return x
}

// connects plays the bridge's ring step for agent and the queue's
// QueueConnected, and waits for the flow to connect the agent.
func (x *transferFixture) connects(t *testing.T, agent string) {
	t.Helper()
	if err := x.runner.phones.Ring(context.Background(), x.id, agent); err != nil {
		t.Fatal(err)
	}
	x.talk.queue <- ivr.QueueEvent{Kind: ivr.QueueConnected, Agent: agent}
	if a := <-x.talk.connected; a != agent {
		t.Fatalf("connected %s, want %s", a, agent)
	}
	x.agent = x.legs[agent]
}

// music waits until the caller hears hold music (many distinct bytes) and,
// once it has begun, never one of the agents' bytes. What the agent said
// before the transfer may still be queued on the caller's socket ahead of
// the music (the same socket sends both, in order): skipped.
func (x *transferFixture) music(t *testing.T, never ...byte) {
	t.Helper()
	buf := make([]byte, 1500)
	distinct := map[byte]bool{}
	agentSaid := func(p []byte) bool {
		for _, b := range never {
			if len(p) > 0 && bytes.Count(p, []byte{b}) == len(p) {
				return true
			}
		}
		return false
	}
	_ = x.rtp.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(distinct) < 20 {
		k, _, err := x.rtp.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("no hold music: %v", err)
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:k]) != nil {
			continue
		}
		if agentSaid(pkt.Payload) {
			if len(distinct) > 0 {
				t.Fatalf("the caller heard %x while waiting for the next agent", pkt.Payload[0])
			}
			continue
		}
		for _, b := range pkt.Payload {
			distinct[b] = true
		}
	}
}

// A blind transfer: the first agent's leg ends (not as an agent hang-up:
// the contact goes on), the caller hears hold music, the next agent's
// answered leg is bridged with audio both ways (and transcoded: a2 speaks
// PCMA to a PCMU caller); the first agent hears nothing more.
func TestBlindTransferBridgesNextAgent(t *testing.T) {
	x := startTransferCall(t)
	a1, a2 := x.legs["a1"], x.legs["a2"]
	x.say(t, media.PCMU, 0x10, 5)
	x.agentHears(t, 0x10, phone.FrameSize)
	for range 5 {
		a1.says <- bytes.Repeat([]byte{0x20}, phone.FrameSize)
	}
	x.hears(t, 0x20, phone.FrameSize)

	x.talk.queue <- ivr.QueueEvent{Kind: ivr.QueueTransferred, Agent: "a2"}
	select {
	case <-a1.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first agent's leg is still up after the transfer")
	}
	if r := a1.hungUpFor(); r != "transferred" {
		t.Fatalf("first agent hung up for %q, want transferred", r)
	}
	x.music(t, 0x20)

	x.connects(t, "a2")
	for len(a1.heard) > 0 {
		<-a1.heard
	}
	callerByte := encode(media.PCMU, 3000)
	x.say(t, media.PCMU, callerByte, 10)
	w := []byte{callerByte}
	media.Transcode(w, media.PCMU, media.PCMA)
	x.agentHears(t, w[0], 3*phone.FrameSize)
	agentByte := encode(media.PCMA, -9000)
	for range 5 {
		a2.says <- bytes.Repeat([]byte{agentByte}, phone.FrameSize)
	}
	a := []byte{agentByte}
	media.Transcode(a, media.PCMA, media.PCMU)
	x.hears(t, a[0], 3*phone.FrameSize)
	if len(a1.heard) > 0 {
		t.Fatal("the first agent heard the caller after the transfer")
	}
	x.mu.Lock()
	left := len(x.agentLeft)
	x.mu.Unlock()
	if left != 0 {
		t.Fatalf("the transfer ended the contact (%d AgentLeft calls), want none", left)
	}

	// The second agent hangs up: now the contact ends, the survey follows.
	_ = a2.Hangup(context.Background(), "agent")
	<-x.runner.survey
	x.caller.send(x.caller.request("BYE", "10000", ""))
	if err := <-x.runner.done; !errors.Is(err, ivr.ErrHangup) {
		t.Fatalf("flow ended with %v, want ErrHangup", err)
	}
}

// The desk's mute and DTMF act on the bridge, whatever the agent's phone:
// muted, the caller hears silence while the agent still hears the caller;
// DTMF keys reach the caller as their two tones, in place of the agent.
func TestBridgeMuteAndDTMF(t *testing.T) {
	f := startBridged(t, media.PCMA, media.PCMU)
	if err := f.srv.Mute(f.id, true); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Mute("nobody", true); !errors.Is(err, ErrNoCall) {
		t.Fatalf("mute of an unknown call: %v, want ErrNoCall", err)
	}
	speech, marker := encode(media.PCMU, 8000), encode(media.PCMU, -3000)
	for range 10 {
		f.agent.says <- bytes.Repeat([]byte{speech}, phone.FrameSize)
	}
	f.say(t, media.PCMA, 0x10, 5)
	w := []byte{0x10}
	media.Transcode(w, media.PCMA, media.PCMU)
	f.agentHears(t, w[0], phone.FrameSize)
	// A last quiet frame: once the relay took it, every speech frame
	// before it went through muted.
	f.agent.says <- bytes.Repeat([]byte{media.PCMU.Silence()}, phone.FrameSize)
	for len(f.agent.says) > 0 {
		runtime.Gosched()
	}
	if err := f.srv.Mute(f.id, false); err != nil {
		t.Fatal(err)
	}
	// Unmuted, the marker follows the speech: the caller hears the marker
	// and never the speech before it.
	for range 5 {
		f.agent.says <- bytes.Repeat([]byte{marker}, phone.FrameSize)
	}
	said, mark := []byte{speech}, []byte{marker}
	media.Transcode(said, media.PCMU, media.PCMA)
	media.Transcode(mark, media.PCMU, media.PCMA)
	buf := make([]byte, 1500)
	_ = f.rtp.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		k, _, err := f.rtp.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("the caller never heard the unmuted agent: %v", err)
		}
		if bytes.Contains(buf[12:k], said) {
			t.Fatal("the caller heard the muted agent")
		}
		if bytes.Contains(buf[12:k], mark) {
			break
		}
	}

	if err := f.srv.SendDTMF(f.id, "5x"); !errors.Is(err, media.ErrBadDigit) {
		t.Fatalf("SendDTMF(5x) = %v, want ErrBadDigit", err)
	}
	if err := f.srv.SendDTMF(f.id, "5"); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		f.agent.says <- bytes.Repeat([]byte{speech}, phone.FrameSize)
	}
	_ = f.rtp.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		k, _, err := f.rtp.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("the caller never heard the 5's tones: %v", err)
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:k]) != nil {
			continue
		}
		pcm := media.Decode(nil, media.PCMA, pkt.Payload)
		if media.ToneLevel(pcm, 770) > 0.15 && media.ToneLevel(pcm, 1336) > 0.15 && media.ToneLevel(pcm, 1209) < 0.05 {
			break
		}
	}
}
