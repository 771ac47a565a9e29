package agentdesk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/phone/webphone"
	"github.com/hotline10000/hotline/ivr/phone/webphone/webphonetest"
)

// phoneCenter is a test center whose desks are phones on loopback.
func phoneCenter(t *testing.T) *deskttest.Server { return phoneCenterHolding(t, nil) }

// phoneCenterHolding is phoneCenter with the voice channel's hold.
func phoneCenterHolding(t *testing.T, hold func(string, bool) error) *deskttest.Server {
	t.Helper()
	ep, err := webphone.New(webphone.Config{IPs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	return deskttest.New(t, deskttest.Options{Softphone: ep, OfferTimeout: time.Minute, HoldCall: hold})
}

type ringing struct {
	CallID  string `json:"call_id"`
	Contact string `json:"contact_id"`
	Caller  string `json:"caller"`
	Queue   string `json:"queue"`
	State   string `json:"state"`
}

type legResult struct {
	leg phone.Leg
	err error
}

// queueCall puts a call in the voice queue whose ring step rings the
// agent's desk phone through the gateway, as ivr/phone's Phones does; the
// leg (or the ring's error) arrives on the channel.
func queueCall(t *testing.T, s *deskttest.Server, contact, caller string) (<-chan legResult, *bridge.Handle) {
	t.Helper()
	legs := make(chan legResult, 4)
	h, err := s.Bridge.Enqueue(context.Background(), bridge.Holder{Channel: acd.Voice,
		Ring: func(ctx context.Context, contactID, agentID string) error {
			leg, err := s.Gateway.Ring(ctx, agentID, phone.CallInfo{ContactID: contactID, Caller: caller, Queue: "voice"})
			legs <- legResult{leg, err}
			return err
		}}, ivr.QueueRequest{ContactID: contact, Queue: "voice", ANI: caller})
	if err != nil {
		t.Fatal(err)
	}
	return legs, h
}

// answer answers the ring from a browser stand-in offering codecs and
// returns it once the server's answer is applied.
func answer(t *testing.T, ctx context.Context, desk *deskttest.Client, callID string, codecs ...string) *webphonetest.Peer {
	t.Helper()
	peer, err := webphonetest.New(codecs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = peer.Close() })
	offer, err := peer.Offer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ack struct {
		CallID string `json:"call_id"`
		SDP    string `json:"sdp"`
		Codec  string `json:"codec"`
	}
	if err := json.Unmarshal(do(t, desk, "phone.answer", map[string]string{"call_id": callID, "sdp": offer}), &ack); err != nil {
		t.Fatal(err)
	}
	if ack.SDP == "" || ack.CallID != callID {
		t.Fatalf("answer ack %+v", ack)
	}
	if err := peer.Answer(ack.SDP); err != nil {
		t.Fatal(err)
	}
	return peer
}

// TestDeskPhoneCall: a call queued for voice rings on the ready agent's
// desk; the page answers with a WebRTC offer; once media flows the ring
// step returns the agent's leg, the contact is connected, and audio goes
// both ways between the leg and the browser; the agent's mute, DTMF and
// hang-up reach the leg, and the desk is told the call ended.
func TestDeskPhoneCall(t *testing.T) {
	holds := make(chan string, 4)
	s := phoneCenterHolding(t, func(contact string, on bool) error {
		holds <- fmt.Sprintf("%s %v", contact, on)
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desk := dialDesk(t, s, "alice", "")
	do(t, desk, "state.ready", nil)
	legs, h := queueCall(t, s, "call-1", "13900001234")
	defer h.Cancel(context.Background(), acd.LeaveHangup)

	var ring ringing
	if _, err := desk.Want("phone.ring", &ring, wait); err != nil {
		t.Fatal(err)
	}
	if ring.Contact != "call-1" || ring.State != "ringing" || ring.Queue != "voice" || ring.Caller != "139****1234" {
		t.Fatalf("ring %+v, want call-1 ringing in voice from 139****1234", ring)
	}
	peer := answer(t, ctx, desk, ring.CallID, webphonetest.PCMU, webphonetest.PCMA)
	var r legResult
	select {
	case r = <-legs:
	case <-ctx.Done():
		t.Fatal("the ring step never returned")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	leg := r.leg
	if leg.Codec() != media.PCMU {
		t.Errorf("codec %v, want PCMU", leg.Codec())
	}
	if _, err := desk.Want("phone.connected", nil, wait); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Want("contact.started", nil, wait); err != nil {
		t.Fatal(err)
	}

	// Caller → agent.
	voice := bytes.Repeat([]byte{0x42}, 160)
	for range 20 {
		if err := leg.WriteFrame(voice); err != nil {
			t.Fatal(err)
		}
	}
	got, err := peer.WaitReceived(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[0], voice) {
		t.Errorf("the browser got %x…, want the caller's frames", got[0][:4])
	}
	// Agent → caller: the browser sends until the leg has read 5 frames.
	buf := make([]byte, 160)
	mic := bytes.Repeat([]byte{0x24}, 160)
	readOne := func() []byte {
		t.Helper()
		for range 200 {
			if err := peer.Send(mic); err != nil {
				t.Fatal(err)
			}
			rctx, rcancel := context.WithTimeout(ctx, 100*time.Millisecond)
			n, err := leg.ReadFrame(rctx, buf)
			rcancel()
			if err == nil {
				return buf[:n]
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatal(err)
			}
		}
		t.Fatal("no frame from the agent")
		return nil
	}
	for range 5 {
		if f := readOne(); !bytes.Equal(f, mic) {
			t.Fatalf("the leg read %x…, want the agent's frames", f[:4])
		}
	}

	// Mute from the desk: the caller hears µ-law silence.
	do(t, desk, "phone.mute", map[string]any{"call_id": ring.CallID, "on": true})
	var snapMuted []byte
	for range 10 { // frames already queued before the mute may still come
		if f := readOne(); bytes.Equal(f, bytes.Repeat([]byte{0xFF}, 160)) {
			snapMuted = f
			break
		}
	}
	if snapMuted == nil {
		t.Error("muted: the caller still hears the agent")
	}
	do(t, desk, "phone.mute", map[string]any{"call_id": ring.CallID, "on": false})

	// Hold: the voice channel is asked to play music to the caller.
	do(t, desk, "phone.hold", map[string]any{"call_id": ring.CallID, "on": true})
	do(t, desk, "phone.hold", map[string]any{"call_id": ring.CallID, "on": false})
	for _, want := range []string{"call-1 true", "call-1 false"} {
		if got := <-holds; got != want {
			t.Errorf("hold %q, want %q", got, want)
		}
	}

	// Bad commands are answered with codes.
	_, err = desk.Do("phone.dtmf", map[string]any{"call_id": ring.CallID, "digits": "12x"}, wait)
	wantCode(t, err, agentdesk.CodeInvalid)
	_, err = desk.Do("phone.mute", map[string]any{"call_id": "nope", "on": true}, wait)
	wantCode(t, err, agentdesk.CodeNotFound)
	_, err = desk.Do("phone.answer", map[string]any{"call_id": ring.CallID, "sdp": "v=0"}, wait)
	wantCode(t, err, agentdesk.CodeConflict)
	do(t, desk, "phone.dtmf", map[string]any{"call_id": ring.CallID, "digits": "1"})
	// A candidate trickled after the offer is taken; a malformed one is not.
	do(t, desk, "phone.ice", map[string]any{"call_id": ring.CallID, "candidate": "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host", "sdp_mid": "0", "sdp_mline_index": 0})
	do(t, desk, "phone.ice", map[string]any{"call_id": ring.CallID, "candidate": ""})
	_, err = desk.Do("phone.ice", map[string]any{"call_id": ring.CallID, "candidate": "candidate:nonsense", "sdp_mid": "0"}, wait)
	wantCode(t, err, agentdesk.CodeInvalid)

	// The agent hangs up: the leg ends, the desk hears why.
	do(t, desk, "phone.hangup", map[string]any{"call_id": ring.CallID})
	select {
	case <-leg.Done():
	case <-ctx.Done():
		t.Fatal("the leg did not end")
	}
	var ended struct {
		CallID string `json:"call_id"`
		Reason string `json:"reason"`
	}
	if _, err := desk.Want("phone.ended", &ended, wait); err != nil {
		t.Fatal(err)
	}
	if ended.CallID != ring.CallID || ended.Reason != "agent_hangup" {
		t.Errorf("ended %+v, want %s agent_hangup", ended, ring.CallID)
	}
	if err := s.ACD.End(ctx, "call-1"); err != nil {
		t.Fatal(err)
	}
}

// TestDeskPhoneDeclineAndNoCodec: an offer without G.711 is refused with an
// error frame naming the SDP and the phone rings on; a decline rejects the
// offer in the ACD (the caller keeps their place) and the desk hears it.
// A second ring while one rings is busy; a ring to an agent without a
// desk finds no phone.
func TestDeskPhoneDeclineAndNoCodec(t *testing.T) {
	s := phoneCenter(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desk := dialDesk(t, s, "alice", "")
	do(t, desk, "state.ready", nil)
	legs, h := queueCall(t, s, "call-2", "13900005678")
	defer h.Cancel(context.Background(), acd.LeaveHangup)
	var ring ringing
	if _, err := desk.Want("phone.ring", &ring, wait); err != nil {
		t.Fatal(err)
	}

	opus, err := webphonetest.New(webphonetest.Opus)
	if err != nil {
		t.Fatal(err)
	}
	defer opus.Close()
	offer, err := opus.Offer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = desk.Do("phone.answer", map[string]string{"call_id": ring.CallID, "sdp": offer}, wait)
	wantCode(t, err, agentdesk.CodeInvalid)
	var e *agentdesk.Error
	if errors.As(err, &e) && !bytes.Contains([]byte(e.Message), []byte("sdp: no usable codec")) {
		t.Errorf("message %q, want it to name the sdp and the codec", e.Message)
	}

	// Still ringing: busy for another call to the same agent.
	alice := s.Accounts["alice"].ID
	if _, err := s.Gateway.Ring(ctx, alice, phone.CallInfo{ContactID: "x"}); !errors.Is(err, agentdesk.ErrPhoneBusy) {
		t.Errorf("second ring: %v, want ErrPhoneBusy", err)
	}
	if _, err := s.Gateway.Ring(ctx, s.Accounts["bob"].ID, phone.CallInfo{ContactID: "x"}); !errors.Is(err, agentdesk.ErrNoDesk) {
		t.Errorf("ring without a desk: %v, want ErrNoDesk", err)
	}

	do(t, desk, "phone.decline", map[string]string{"call_id": ring.CallID})
	select {
	case r := <-legs:
		if !errors.Is(r.err, agentdesk.ErrDeclined) {
			t.Fatalf("ring: %v, want ErrDeclined", r.err)
		}
	case <-ctx.Done():
		t.Fatal("the ring step never returned")
	}
	var ended struct {
		Reason string `json:"reason"`
	}
	if _, err := desk.Want("phone.ended", &ended, wait); err != nil {
		t.Fatal(err)
	}
	if ended.Reason != "declined" {
		t.Errorf("ended %q, want declined", ended.Reason)
	}
	var oe struct {
		Reason string `json:"reason"`
	}
	if _, err := desk.Want("offer.ended", &oe, wait); err != nil {
		t.Fatal(err)
	}
	if oe.Reason != "rejected" {
		t.Errorf("offer ended %q, want rejected", oe.Reason)
	}
}

// TestDeskPhoneWithdrawn: the offer ending while the desk rings (the caller
// hung up) stops the ring: the desk hears phone.ended withdrawn, and an
// answer after it is a conflict or not found.
func TestDeskPhoneWithdrawn(t *testing.T) {
	s := phoneCenter(t)
	desk := dialDesk(t, s, "alice", "")
	do(t, desk, "state.ready", nil)
	legs, h := queueCall(t, s, "call-3", "13900009999")
	var ring ringing
	if _, err := desk.Want("phone.ring", &ring, wait); err != nil {
		t.Fatal(err)
	}
	if err := h.Cancel(context.Background(), acd.LeaveHangup); err != nil {
		t.Fatal(err)
	}
	r := <-legs
	if !errors.Is(r.err, context.Canceled) {
		t.Errorf("ring: %v, want the withdrawn context's error", r.err)
	}
	var ended struct {
		Reason string `json:"reason"`
	}
	if _, err := desk.Want("phone.ended", &ended, wait); err != nil {
		t.Fatal(err)
	}
	if ended.Reason != "withdrawn" {
		t.Errorf("ended %q, want withdrawn", ended.Reason)
	}
	_, err := desk.Do("phone.answer", map[string]string{"call_id": ring.CallID, "sdp": "v=0"}, wait)
	wantCode(t, err, agentdesk.CodeNotFound)
}

// The desk phone's keypad on the agent's own bridged call goes through the
// voice channel (which sends the keys as the caller's phone takes them:
// RFC 4733 events or tones); when the voice channel has no such call the
// page's leg plays the tones itself.
func TestDeskPhoneKeysGoThroughTheVoiceChannel(t *testing.T) {
	ep, err := webphone.New(webphone.Config{IPs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	calls := &fakeCalls{did: make(chan string, 8), gone: map[string]bool{}}
	s := deskttest.New(t, deskttest.Options{Softphone: ep, OfferTimeout: time.Minute, Calls: calls})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desk := dialDesk(t, s, "alice", "")
	do(t, desk, "state.ready", nil)
	legs, h := queueCall(t, s, "call-1", "13900001234")
	defer h.Cancel(context.Background(), acd.LeaveHangup)
	var ring ringing
	if _, err := desk.Want("phone.ring", &ring, wait); err != nil {
		t.Fatal(err)
	}
	peer := answer(t, ctx, desk, ring.CallID, webphonetest.PCMU)
	var r legResult
	select {
	case r = <-legs:
	case <-ctx.Done():
		t.Fatal("the ring step never returned")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if _, err := desk.Want("phone.connected", nil, wait); err != nil {
		t.Fatal(err)
	}
	do(t, desk, "phone.dtmf", map[string]any{"call_id": ring.CallID, "digits": "1#"})
	if got := <-calls.did; got != "call-1 dtmf 1#" {
		t.Fatalf("voice channel did %q, want call-1 dtmf 1#", got)
	}
	// The voice channel has no such call: the page's leg plays the tones
	// (the agent's frames carry 697 + 1209 Hz).
	calls.mu.Lock()
	calls.gone["call-1"] = true
	calls.mu.Unlock()
	do(t, desk, "phone.dtmf", map[string]any{"call_id": ring.CallID, "digits": "1"})
	buf := make([]byte, 160)
	mic := bytes.Repeat([]byte{0x24}, 160)
	for i := 0; ; i++ {
		if i == 200 {
			t.Fatal("no tone from the page's leg")
		}
		// The tones take the place of the browser's frames: it talks.
		if err := peer.Send(mic); err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithTimeout(ctx, 100*time.Millisecond)
		n, err := r.leg.ReadFrame(rctx, buf)
		rcancel()
		if errors.Is(err, context.DeadlineExceeded) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		pcm := media.Decode(nil, media.PCMU, buf[:n])
		if media.ToneLevel(pcm, 697) > 0.15 && media.ToneLevel(pcm, 1209) > 0.15 {
			break
		}
	}
}
