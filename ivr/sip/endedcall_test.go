package sip

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hotline10000/hotline/ivr/phone"
)

// A supervisor action on a call that has just ended (issue 12, "Bad
// input"): the call ends while the supervisor's phone rings for it. The
// ring is withdrawn (before, it rang on until answered or the desk gave up,
// for a call that was over) and Monitor says the call is gone; a phone
// that answers anyway, in the instant the call ends, is hung up at once.
// Every control on the ended call is ErrNoCall (or ErrNotBridged); nothing
// panics or hangs.
func TestSupervisorOnACallThatJustEnded(t *testing.T) {
	for _, tc := range []struct {
		name string
		// answers: the supervisor's phone answers once the call has
		// ended, whatever its ring's context says.
		answers bool
	}{{"ring withdrawn", false}, {"answered as the call ends", true}} {
		t.Run(tc.name, func(t *testing.T) {
			x := startTransferCall(t)
			ringing, withdrawn, answer := make(chan struct{}), make(chan struct{}), make(chan struct{})
			x.runner.phones.Register(phone.KindBrowser, phone.RingerFunc(func(ctx context.Context, agent string, _ phone.CallInfo) (phone.Leg, error) {
				if agent != "s1" {
					return x.legs[agent], nil
				}
				close(ringing)
				if tc.answers {
					<-answer
					return x.legs["s1"], nil
				}
				<-ctx.Done()
				close(withdrawn)
				return nil, ctx.Err()
			}))
			got := make(chan error, 1)
			go func() { got <- x.srv.Monitor(context.Background(), x.id, "s1", ModeListen) }()
			<-ringing
			x.caller.send(x.caller.request("BYE", "10000", ""))
			<-x.runner.done
			if tc.answers {
				close(answer)
			} else {
				select {
				case <-withdrawn:
				case <-time.After(5 * time.Second): // bounds a broken test only
					t.Fatal("the supervisor's phone still rings for a call that ended")
				}
			}
			select {
			case err := <-got:
				if !errors.Is(err, ErrNoCall) && !errors.Is(err, ErrNotBridged) {
					t.Fatalf("Monitor: %v, want ErrNoCall", err)
				}
			case <-time.After(5 * time.Second): // bounds a broken test only
				t.Fatal("Monitor did not return after the call ended")
			}
			if tc.answers {
				select {
				case <-x.legs["s1"].Done():
					if r := x.legs["s1"].hungUpFor(); r != "call ended" && r != "withdrawn" {
						t.Fatalf("supervisor's leg hung up for %q, want call ended or withdrawn", r)
					}
				case <-time.After(5 * time.Second): // bounds a broken test only
					t.Fatal("the supervisor's answered leg is still up")
				}
			}
			for name, err := range map[string]error{
				"monitor":  x.srv.Monitor(context.Background(), x.id, "s1", ModeBarge),
				"mode":     x.srv.SetMonitorMode(x.id, "s1", ModeWhisper),
				"consult":  x.srv.Consult(context.Background(), x.id, "a2"),
				"hold":     x.srv.Hold(x.id, true),
				"mute":     x.srv.Mute(x.id, true),
				"hang up":  x.srv.HangupAgent(x.id),
				"bridged?": x.srv.Bridged(x.id),
			} {
				// ErrNotBridged until the ended call leaves the
				// server's table (the desk says conflict for both).
				if !errors.Is(err, ErrNoCall) && !errors.Is(err, ErrNotBridged) {
					t.Errorf("%s on the ended call: %v, want ErrNoCall or ErrNotBridged", name, err)
				}
			}
		})
	}
}
