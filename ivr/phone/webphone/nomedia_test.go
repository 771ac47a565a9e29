package webphone_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hotline10000/hotline/ivr/phone/webphone/webphonetest"
)

// TestBrowserAnswersAndSendsNoMedia (issue 12, "Bad input": a phone that
// answers and sends no media), for the desk page's softphone: a browser
// whose call is up (ICE, DTLS) but whose microphone sends nothing leaves
// the call up. Reads from it wait (the relay plays silence in its place:
// ivr/sip TestSIPPhoneSendsNoMedia), the caller's audio still reaches it,
// and its first frame, when it comes, is read.
func TestBrowserAnswersAndSendsNoMedia(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, peer := connect(t, ctx, webphonetest.PCMA, webphonetest.PCMU)
	buf := make([]byte, 320)
	for range 5 { // 5 reads of 100 ms each with nothing sent
		rctx, rcancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, err := call.ReadFrame(rctx, buf)
		rcancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("read from a silent browser: %v, want it to wait", err)
		}
	}
	select {
	case <-call.Done():
		t.Fatalf("the call ended (%s) while the browser was silent", call.Reason())
	default:
	}
	for i := range 20 {
		if err := call.WriteFrame(frame(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := peer.WaitReceived(ctx, 15); err != nil {
		t.Fatalf("the silent browser did not hear the caller: %v", err)
	}
	// The browser speaks at last (resent until one arrives: UDP).
	for i := 0; ; i++ {
		if i == 500 {
			t.Fatal("500 frames sent, none arrived")
		}
		if err := peer.Send(frame(42)); err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithTimeout(ctx, 100*time.Millisecond)
		n, err := call.ReadFrame(rctx, buf)
		rcancel()
		if errors.Is(err, context.DeadlineExceeded) {
			continue
		}
		if err != nil || n != 160 || buf[0] != frame(42)[0] {
			t.Fatalf("first frame: %d bytes %x, %v; want the browser's", n, buf[:min(n, 4)], err)
		}
		break
	}
}
