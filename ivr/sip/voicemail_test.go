package sip

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
)

// memVoicemail keeps voice messages in memory.
type memVoicemail struct {
	mu      sync.Mutex
	caller  map[byte]int // caller bytes recorded, by value
	agent   int          // agent-side bytes (silence)
	closed  bool
	contact string
}

func (m *memVoicemail) NewMessage(_ context.Context, contactID string) (Recording, string, error) {
	m.mu.Lock()
	m.contact = contactID
	m.mu.Unlock()
	return m, "vm-1", nil
}

func (m *memVoicemail) Caller(_ media.Codec, f []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range f {
		m.caller[b]++
	}
}
func (m *memVoicemail) Agent(_ media.Codec, f []byte) { m.mu.Lock(); m.agent += len(f); m.mu.Unlock() }
func (m *memVoicemail) Close() error                  { m.mu.Lock(); m.closed = true; m.mu.Unlock(); return nil }

// recordRunner's flow records one voice message and reports it.
type recordRunner struct {
	contact chan string
	done    chan recordResult
}

type recordResult struct {
	id            string
	err, afterErr error
}

func (r *recordRunner) Run(ctx context.Context, c ivr.Contact, ch ivr.Channel) (ivr.Result, error) {
	r.contact <- c.ID
	id, err := ch.(ivr.MessageRecorder).RecordMessage(ctx, ivr.Utterance{}, 10*time.Second)
	_, after := ch.Receive(ctx, time.Now().Add(50*time.Millisecond), nil)
	r.done <- recordResult{id, err, after}
	return ivr.Result{Outcome: "test"}, nil
}

func startRecording(t *testing.T) (*agentFixture, *memVoicemail, *recordRunner) {
	t.Helper()
	vm := &memVoicemail{caller: map[byte]int{}}
	rr := &recordRunner{contact: make(chan string, 1), done: make(chan recordResult, 1)}
	f := &agentFixture{}
	startCallServerOnly(t, f, func(s *Server) {
		s.Attach(rr)
		s.AttachVoicemail(vm)
	})
	var err error
	f.rtp, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.rtp.Close() })
	sdp := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n", f.rtp.LocalAddr().(*net.UDPAddr).Port)
	f.caller = newUAC(t, f.srv.Addr("udp"))
	f.caller.send(f.caller.request("INVITE", "10000", sdp))
	res := f.caller.expect(200)
	f.caller.ack("10000")
	ans, err := ParseOffer(res.Body())
	if err != nil {
		t.Fatal(err)
	}
	f.remote = net.UDPAddrFromAddrPort(ans.Remote)
	f.id = <-rr.contact
	return f, vm, rr
}

func waitRecorded(t *testing.T, rr *recordRunner) recordResult {
	t.Helper()
	select {
	case r := <-rr.done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the message was never finished")
	}
	return recordResult{}
}

// The caller speaks, then presses # (RFC 4733): the message holds the
// caller's audio, the other side silence, and the call goes on.
func TestVoiceMessageEndsWithHash(t *testing.T) {
	f, vm, rr := startRecording(t)
	f.say(t, media.PCMU, 0x42, 25)
	// # right after: the leg reads in order, so the audio is queued first.
	for i := range 3 {
		pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: uint16(100 + i), Timestamp: 99999, SSRC: 9, Marker: i == 0},
			Payload: []byte{11, 0x80 | 10, 0x03, 0x20}}).Marshal() // event 11 is '#'
		if _, err := f.rtp.WriteToUDP(pkt, f.remote); err != nil {
			t.Fatal(err)
		}
	}
	r := waitRecorded(t, rr)
	if r.id != "vm-1" || r.err != nil {
		t.Fatalf("got %q %v, want vm-1", r.id, r.err)
	}
	if r.afterErr != ivr.ErrTimeout {
		t.Fatalf("after #: got %v, want the call still up", r.afterErr)
	}
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if !vm.closed || vm.contact != f.id || vm.agent == 0 {
		t.Fatalf("message: closed %v contact %q (want %s) silent side %d bytes", vm.closed, vm.contact, f.id, vm.agent)
	}
	if vm.caller[0x42] < 20*160 {
		t.Fatalf("caller audio: %d bytes", vm.caller[0x42])
	}
}

// A caller who hangs up after speaking leaves the message: the id comes
// back, and the channel then reports the hang-up.
func TestVoiceMessageKeptWhenCallerHangsUp(t *testing.T) {
	f, vm, rr := startRecording(t)
	f.say(t, media.PCMU, 0x42, 10)
	f.caller.send(f.caller.request("BYE", "10000", ""))
	r := waitRecorded(t, rr)
	if r.id != "vm-1" || r.err != nil {
		t.Fatalf("got %q %v, want vm-1", r.id, r.err)
	}
	if r.afterErr != ivr.ErrHangup {
		t.Fatalf("after the hang-up: got %v, want ErrHangup", r.afterErr)
	}
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if !vm.closed {
		t.Fatal("the message was not closed")
	}
}
