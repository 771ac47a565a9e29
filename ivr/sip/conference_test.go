package sip

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
)

// Each side of a mixed call speaks its own tone, so what a leg hears tells
// who it hears.
var toneOf = map[string]float64{"caller": 440, "a1": 1000, "a2": 1700, "a3": 1700, "s1": 2300}

const toneLevel = 0.15

// speak feeds the legs' tones (and the caller's RTP) every 20 ms until the
// test ends.
func (x *transferFixture) speak(t *testing.T, legs ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(phone.FrameDuration)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			pcm := media.Tone(toneOf["caller"], toneLevel, i*phone.FrameSize, phone.FrameSize)
			pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: uint8(media.PCMU), SequenceNumber: uint16(i + 1),
				Timestamp: uint32(i * phone.FrameSize), SSRC: 7}, Payload: media.Encode(nil, media.PCMU, pcm)}).Marshal()
			_, _ = x.rtp.WriteToUDP(pkt, x.remote)
			for _, id := range legs {
				l := x.legs[id]
				f := media.Encode(nil, l.codec, media.Tone(toneOf[id], toneLevel, i*phone.FrameSize, phone.FrameSize))
				select {
				case l.says <- f:
				default:
				}
			}
		}
	}()
}

// tones lists the speakers whose tone is in pcm.
func tones(pcm []int16) map[string]bool {
	out := map[string]bool{}
	for who, f := range toneOf {
		if media.ToneLevel(pcm, f) > toneLevel/3 {
			out[who] = true
		}
	}
	return out
}

// legHears waits until the leg hears every one of want and none of never
// in 10 frames in a row (the audio from before a change has passed), then checks the next 25 frames (half a second) hold none
// of never.
func (x *transferFixture) legHears(t *testing.T, id string, want []string, never ...string) {
	t.Helper()
	l := x.legs[id]
	x.expectTones(t, id, func() ([]int16, error) {
		select {
		case f := <-l.heard:
			return media.Decode(nil, l.codec, f), nil
		case <-time.After(5 * time.Second):
			return nil, errors.New("no audio")
		}
	}, want, never)
}

// callerHears is legHears for the caller's RTP.
func (x *transferFixture) callerHears(t *testing.T, want []string, never ...string) {
	t.Helper()
	buf := make([]byte, 1500)
	x.expectTones(t, "caller", func() ([]int16, error) {
		_ = x.rtp.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			k, _, err := x.rtp.ReadFromUDP(buf)
			if err != nil {
				return nil, err
			}
			var pkt rtp.Packet
			if pkt.Unmarshal(buf[:k]) == nil {
				return media.Decode(nil, media.PCMU, pkt.Payload), nil
			}
		}
	}, want, never)
}

func (x *transferFixture) expectTones(t *testing.T, who string, next func() ([]int16, error), want, never []string) {
	t.Helper()
	var last map[string]bool
	for n, run := 0, 0; run < 10; n++ {
		pcm, err := next()
		if err != nil || n > 500 {
			t.Fatalf("%s never heard all of %v (last frame: %v): %v", who, want, last, err)
		}
		last = tones(pcm)
		all := true
		for _, w := range want {
			all = all && last[w]
		}
		for _, n := range never {
			all = all && !last[n] // older audio still on its way
		}
		if run++; !all {
			run = 0
		}
	}
	for range 25 {
		pcm, err := next()
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		got := tones(pcm)
		for _, n := range never {
			if got[n] {
				t.Logf("levels: 440 %.3f 1000 %.3f 523 %.3f 659 %.3f", media.ToneLevel(pcm, 440), media.ToneLevel(pcm, 1000), media.ToneLevel(pcm, 523), media.ToneLevel(pcm, 659))
				t.Fatalf("%s heard %s (frame: %v), want %v and never %v", who, n, got, want, never)
			}
		}
	}
}

// Warm transfer over real UDP with a tone per side: the consulted agent
// talks with the agent while the caller hears music; the conference mixes
// all three; completing the consultation hangs up the first agent and
// bridges the caller to the consulted one.
func TestConsultConferenceComplete(t *testing.T) {
	x := startTransferCall(t)
	x.speak(t, "a1", "a2")
	x.callerHears(t, []string{"a1"})
	x.legHears(t, "a1", []string{"caller"})

	if err := x.srv.Consult(context.Background(), x.id, "a2"); err != nil {
		t.Fatal(err)
	}
	if err := x.srv.Consult(context.Background(), x.id, "a2"); !errors.Is(err, ErrOnCall) {
		t.Fatalf("second consult of a2: %v, want ErrOnCall", err)
	}
	x.callerHears(t, nil, "a1", "a2") // hold music
	x.legHears(t, "a1", []string{"a2"}, "caller")
	x.legHears(t, "a2", []string{"a1"}, "caller")

	if err := x.srv.Conference(x.id); err != nil {
		t.Fatal(err)
	}
	x.callerHears(t, []string{"a1", "a2"})
	x.legHears(t, "a1", []string{"caller", "a2"})
	x.legHears(t, "a2", []string{"caller", "a1"})

	x.srv.EndConsult(x.id, true)
	select {
	case <-x.legs["a1"].Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first agent's leg is still up after the consultation completed")
	}
	if r := x.legs["a1"].hungUpFor(); r != "transferred" {
		t.Fatalf("first agent hung up for %q, want transferred", r)
	}
	x.callerHears(t, []string{"a2"}, "a1")
	x.legHears(t, "a2", []string{"caller"}, "a1")
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.agentLeft) != 0 {
		t.Fatalf("completing the consultation ended the contact (%d AgentLeft)", len(x.agentLeft))
	}
}

// A consultation cancelled hangs the consulted agent up and gives the
// caller back to the agent; a consulted agent hanging up ends the
// consultation in the ACD (ConsultLeft) the same way.
func TestConsultCancelledOrLeft(t *testing.T) {
	x := startTransferCall(t)
	x.speak(t, "a1", "a2", "a3")
	if err := x.srv.Conference(x.id); !errors.Is(err, ErrNoConsult) {
		t.Fatalf("conference without a consultation: %v, want ErrNoConsult", err)
	}
	if err := x.srv.Consult(context.Background(), x.id, "a2"); err != nil {
		t.Fatal(err)
	}
	x.legHears(t, "a2", []string{"a1"}, "caller")
	x.srv.EndConsult(x.id, false)
	if r := x.legs["a2"].hungUpFor(); r != "consult ended" {
		t.Fatalf("consulted agent hung up for %q, want consult ended", r)
	}
	x.callerHears(t, []string{"a1"}, "a2")
	x.legHears(t, "a1", []string{"caller"}, "a2")

	if err := x.srv.Consult(context.Background(), x.id, "a3"); err != nil {
		t.Fatal(err)
	}
	x.legHears(t, "a1", []string{"a3"}, "caller")
	_ = x.legs["a3"].Hangup(context.Background(), "bye")
	x.callerHears(t, []string{"a1"}, "a3")
	x.legHears(t, "a1", []string{"caller"})
	x.mu.Lock()
	defer x.mu.Unlock()
	if fmt.Sprint(x.consultLeft) != fmt.Sprint([]string{x.id}) {
		t.Fatalf("ConsultLeft calls %v, want one for %s", x.consultLeft, x.id)
	}
}

// The first agent hanging up during a conference leaves the caller with
// the consulted agent (ConsultTakeOver), not ended.
func TestAgentLeavesConference(t *testing.T) {
	x := startTransferCall(t)
	x.speak(t, "a2")
	if err := x.srv.Consult(context.Background(), x.id, "a2"); err != nil {
		t.Fatal(err)
	}
	if err := x.srv.Conference(x.id); err != nil {
		t.Fatal(err)
	}
	x.callerHears(t, []string{"a2"})
	_ = x.legs["a1"].Hangup(context.Background(), "agent")
	x.callerHears(t, []string{"a2"})
	x.legHears(t, "a2", []string{"caller"})
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.agentLeft) != 0 {
		t.Fatalf("the contact ended (%d AgentLeft), want the consulted agent to keep it", len(x.agentLeft))
	}
}

// A supervisor listens (hears both, heard by nobody), whispers (heard by
// the agent only) and barges in (heard by all); the call ending hangs the
// supervisor up, and monitoring an ended call is ErrNoCall.
func TestSupervisorListenWhisperBarge(t *testing.T) {
	x := startTransferCall(t)
	x.speak(t, "a1", "s1")
	if err := x.srv.Monitor(context.Background(), x.id, "s1", "spy"); !errors.Is(err, ErrBadMode) {
		t.Fatalf("mode spy: %v, want ErrBadMode", err)
	}
	if err := x.srv.Monitor(context.Background(), x.id, "s1", ModeListen); err != nil {
		t.Fatal(err)
	}
	x.legHears(t, "s1", []string{"caller", "a1"})
	x.callerHears(t, []string{"a1"}, "s1")
	x.legHears(t, "a1", []string{"caller"}, "s1")

	if err := x.srv.SetMonitorMode(x.id, "s1", ModeWhisper); err != nil {
		t.Fatal(err)
	}
	x.legHears(t, "a1", []string{"caller", "s1"})
	x.callerHears(t, []string{"a1"}, "s1")
	x.legHears(t, "s1", []string{"caller", "a1"})

	if err := x.srv.SetMonitorMode(x.id, "s1", ModeBarge); err != nil {
		t.Fatal(err)
	}
	x.callerHears(t, []string{"a1", "s1"})
	x.legHears(t, "a1", []string{"caller", "s1"})
	if err := x.srv.SetMonitorMode(x.id, "a2", ModeBarge); !errors.Is(err, ErrNotOnCall) {
		t.Fatalf("mode of someone not on the call: %v, want ErrNotOnCall", err)
	}

	x.caller.send(x.caller.request("BYE", "10000", ""))
	<-x.runner.done
	select {
	case <-x.legs["s1"].Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the supervisor's leg is still up after the call ended")
	}
	if err := x.srv.Monitor(context.Background(), x.id, "s1", ModeListen); !errors.Is(err, ErrNoCall) && !errors.Is(err, ErrNotBridged) {
		t.Fatalf("monitor of an ended call: %v, want ErrNoCall", err)
	}
}
