package webphone_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"testing"
	"time"

	"github.com/zaf/g711"
	"go.uber.org/goleak"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone/webphone"
	"github.com/hotline10000/hotline/ivr/phone/webphone/webphonetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// frame is a recognisable 20 ms payload: n in every byte, never silence.
func frame(n int) []byte { return bytes.Repeat([]byte{byte(n%100 + 10)}, 160) }

// connect sets up a call between a browser stand-in offering codecs and a
// loopback endpoint.
func connect(t *testing.T, ctx context.Context, codecs ...string) (*webphone.Call, *webphonetest.Peer) {
	t.Helper()
	ep, err := webphone.New(webphone.Config{IPs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	peer, err := webphonetest.New(codecs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = peer.Close() })
	offer, err := peer.Offer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	call, answer, err := ep.Answer(ctx, offer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = call.Hangup(context.Background(), "test_over") })
	if err := peer.Answer(answer); err != nil {
		t.Fatal(err)
	}
	for _, up := range []<-chan struct{}{call.Connected(), peer.Connected()} {
		select {
		case <-up:
		case <-ctx.Done():
			t.Fatal("the call never connected")
		}
	}
	return call, peer
}

// TestAudioBothWays: a browser stand-in offering Opus first, then PCMA and
// PCMU gets PCMA (the first G.711 it lists); frames go both ways intact;
// mute and hold silence the agent; DTMF tones replace the agent's audio;
// a hang-up ends reads with io.EOF.
func TestAudioBothWays(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, peer := connect(t, ctx, webphonetest.PCMA, webphonetest.Opus, webphonetest.PCMU)
	if call.Codec() != media.PCMA {
		t.Fatalf("codec %v, want PCMA", call.Codec())
	}

	// Agent → server: one frame sent per frame read (resent when one is
	// lost: UDP, and the first may race the track's setup), 10 in all.
	sent := 0
	buf := make([]byte, 320)
	send := func() {
		t.Helper()
		sent++
		if sent > 500 {
			t.Fatal("500 frames sent, not enough arrived")
		}
		if err := peer.Send(frame(sent)); err != nil {
			t.Fatal(err)
		}
	}
	send()
	got := 0
	for got < 10 {
		rctx, rcancel := context.WithTimeout(ctx, 100*time.Millisecond)
		n, err := call.ReadFrame(rctx, buf)
		rcancel()
		if errors.Is(err, context.DeadlineExceeded) {
			send()
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if n != 160 || buf[0] < 10 || !bytes.Equal(buf[:n], bytes.Repeat(buf[:1], 160)) {
			t.Fatalf("frame from the agent: %d bytes %x…, want 160 equal bytes", n, buf[:4])
		}
		got++
		send()
	}

	// Server → agent.
	for i := range 20 {
		if err := call.WriteFrame(frame(i)); err != nil {
			t.Fatal(err)
		}
	}
	rx, err := peer.WaitReceived(ctx, 15)
	if err != nil {
		t.Fatal(err)
	}
	if _, codec := peer.Received(); codec != webphonetest.PCMA {
		t.Errorf("browser receives %s, want PCMA", codec)
	}
	for _, p := range rx {
		if len(p) != 160 || p[0] < 10 || p[0] >= 30 {
			t.Fatalf("frame at the browser: %d bytes %x…", len(p), p[:min(4, len(p))])
		}
	}

	// Muted: the caller hears silence.
	call.SetMute(true)
	send()
	n, err := call.ReadFrame(ctx, buf)
	if err != nil || !bytes.Equal(buf[:n], bytes.Repeat([]byte{0xD5}, n)) {
		t.Fatalf("muted frame %x… (%v), want A-law silence", buf[:4], err)
	}
	call.SetMute(false)

	// DTMF: the next frames carry the key's two tones.
	if err := call.SendDTMF("5"); err != nil {
		t.Fatal(err)
	}
	send()
	n, err = call.ReadFrame(ctx, buf)
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi := power(buf[:n], 770), power(buf[:n], 1336); lo < 100*power(buf[:n], 1000) || hi < 100*power(buf[:n], 1000) {
		t.Errorf("DTMF 5: 770 Hz %.0f, 1336 Hz %.0f, 1000 Hz %.0f: the key's tones should dominate", lo, hi, power(buf[:n], 1000))
	}
	if err := call.SendDTMF("5x"); !errors.Is(err, webphone.ErrBadDigit) {
		t.Errorf("SendDTMF(5x) = %v, want ErrBadDigit", err)
	}

	// Hang up: reads end, writes fail, the reason is kept.
	if err := call.Hangup(ctx, "agent_hangup"); err != nil {
		t.Fatal(err)
	}
	if _, err := call.ReadFrame(ctx, buf); err != io.EOF {
		t.Errorf("read after hang-up: %v, want io.EOF", err)
	}
	if err := call.WriteFrame(frame(1)); !errors.Is(err, webphone.ErrEnded) {
		t.Errorf("write after hang-up: %v, want ErrEnded", err)
	}
	if call.Reason() != "agent_hangup" {
		t.Errorf("reason %q, want agent_hangup", call.Reason())
	}
}

// TestBrowserClosesItsEnd: the browser closing its peer connection ends the
// call (DTLS close_notify, or ICE failing when that is lost), without a
// hang-up from the server.
func TestBrowserClosesItsEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, peer := connect(t, ctx, webphonetest.PCMU)
	if call.Codec() != media.PCMU {
		t.Fatalf("codec %v, want PCMU", call.Codec())
	}
	if err := peer.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-call.Done():
	case <-ctx.Done():
		t.Fatal("the call did not end when the browser closed")
	}
	if call.Reason() == "" {
		t.Error("no reason for the end")
	}
}

// TestOfferWithoutG711: an offer of Opus alone is refused with ErrNoCodec,
// and leaves nothing running (goleak).
func TestOfferWithoutG711(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ep, err := webphone.New(webphone.Config{IPs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	peer, err := webphonetest.New(webphonetest.Opus)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	offer, err := peer.Offer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ep.Answer(ctx, offer); !errors.Is(err, webphone.ErrNoCodec) {
		t.Fatalf("Answer(opus only) = %v, want ErrNoCodec", err)
	}
	if _, _, err := ep.Answer(ctx, "v=0\r\nnonsense"); !errors.Is(err, webphone.ErrBadOffer) {
		t.Fatalf("Answer(nonsense) = %v, want ErrBadOffer", err)
	}
}

func TestConfigRefusesBadAddresses(t *testing.T) {
	for _, cfg := range []webphone.Config{{IPs: []string{"localhost"}}, {PublicIPs: []string{"1.2.3"}}, {PortMin: 2000, PortMax: 1000}} {
		if _, err := webphone.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// power is the Goertzel power of freq in an A-law frame.
func power(alaw []byte, freq float64) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/media.SampleRate)
	var s1, s2 float64
	for _, b := range alaw {
		s := float64(g711.DecodeAlawFrame(b)) + k*s1 - s2
		s2, s1 = s1, s
	}
	return s1*s1 + s2*s2 - k*s1*s2
}
