package e2e

import (
	"context"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zaf/g711"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/phone/webphone"
)

// TestBrowserPhone: Chromium with a fake microphone is the agent's phone.
// A call queued for voice rings on alice's desk once she is ready; she
// answers in the page (phone.mjs); the Go caller plays a 1 kHz tone toward
// her (the page checks it received audio with energy) and hears the fake
// microphone's beeps from her: audio both ways through the server.
func TestBrowserPhone(t *testing.T) {
	ep, err := webphone.New(webphone.Config{IPs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	s := deskttest.New(t, deskttest.Options{Softphone: ep, OfferTimeout: 60 * time.Second, WrapUp: 60 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()

	legs := make(chan phone.Leg, 1)
	h, err := s.Bridge.Enqueue(ctx, bridge.Holder{Channel: acd.Voice,
		Ring: func(ctx context.Context, contactID, agentID string) error {
			leg, err := s.Gateway.Ring(ctx, agentID, phone.CallInfo{ContactID: contactID, Caller: "13900004321", Queue: "voice"})
			if err == nil {
				legs <- leg
			}
			return err
		}}, ivr.QueueRequest{ContactID: "call-e2e", Queue: "voice", ANI: "13900004321"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Cancel(context.Background(), acd.LeaveHangup)

	// The caller: once the agent answered, a tone toward the agent every
	// 20 ms and a count of what comes back, until the call ends.
	var heard, loud atomic.Int64
	callerDone := make(chan struct{})
	go func() {
		defer close(callerDone)
		var leg phone.Leg
		select {
		case leg = <-legs:
		case <-ctx.Done():
			return
		}
		go func() {
			buf := make([]byte, 320)
			for {
				n, err := leg.ReadFrame(ctx, buf)
				if err != nil {
					return
				}
				heard.Add(1)
				if energy(buf[:n], leg.Codec()) > 100 {
					loud.Add(1)
				}
			}
		}()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-tick.C:
			case <-leg.Done():
				return
			case <-ctx.Done():
				_ = leg.Hangup(context.Background(), "test_over")
				return
			}
			_ = leg.WriteFrame(tone(i, leg.Codec()))
		}
	}()

	runScriptEnv(t, s, "phone.mjs", nil, "phone-ringing.png", "phone-call.png")
	cancel()
	<-callerDone
	t.Logf("the caller heard %d frames from the agent, %d of them not silent", heard.Load(), loud.Load())
	if heard.Load() < 50 || loud.Load() == 0 {
		t.Errorf("the caller heard %d frames (%d not silent), want at least 50 with the microphone's beeps", heard.Load(), loud.Load())
	}
}

// tone is the i-th 20 ms frame of a 1 kHz tone.
func tone(i int, c media.Codec) []byte {
	b := make([]byte, 160)
	for n := range b {
		v := int16(8000 * math.Sin(2*math.Pi*1000*float64(i*160+n)/8000))
		if c == media.PCMA {
			b[n] = g711.EncodeAlawFrame(v)
		} else {
			b[n] = g711.EncodeUlawFrame(v)
		}
	}
	return b
}

// energy is a frame's mean absolute sample.
func energy(b []byte, c media.Codec) float64 {
	var sum float64
	for _, x := range b {
		v := g711.DecodeUlawFrame(x)
		if c == media.PCMA {
			v = g711.DecodeAlawFrame(x)
		}
		sum += math.Abs(float64(v))
	}
	return sum / float64(max(len(b), 1))
}
