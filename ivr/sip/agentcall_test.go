package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"

	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
)

// pipeLeg is an agent phone in memory: frames the test sends as the
// agent come out of ReadFrame, frames written to the agent arrive on heard.
type pipeLeg struct {
	codec  media.Codec
	says   chan []byte
	heard  chan []byte
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	reason string
}

func newPipeLeg(c media.Codec) *pipeLeg {
	return &pipeLeg{codec: c, says: make(chan []byte, 64), heard: make(chan []byte, 512), done: make(chan struct{})}
}

func (p *pipeLeg) Codec() media.Codec { return p.codec }
func (p *pipeLeg) ReadFrame(ctx context.Context, buf []byte) (int, error) {
	select {
	case f := <-p.says:
		return copy(buf, f), nil
	case <-p.done:
		return 0, io.EOF
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
func (p *pipeLeg) WriteFrame(f []byte) error {
	select {
	case <-p.done:
		return io.ErrClosedPipe
	default:
	}
	select {
	case p.heard <- append([]byte(nil), f...):
	default:
	}
	return nil
}
func (p *pipeLeg) Hangup(_ context.Context, reason string) error {
	p.once.Do(func() {
		p.mu.Lock()
		p.reason = reason
		p.mu.Unlock()
		close(p.done)
	})
	return nil
}
func (p *pipeLeg) Done() <-chan struct{} { return p.done }
func (p *pipeLeg) hungUpFor() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reason
}

// agentRunner is a voice flow in short: queue (the ring step answers at
// once), transfer, talk until the agent leaves, then the "survey".
type agentRunner struct {
	phones  *phone.Phones
	queue   chan ivr.QueueEvent
	contact chan string
	bridged chan struct{} // closed once Transfer bridged the call
	ringErr chan error    // why the ring failed
	survey  chan struct{}
	done    chan error
}

func (r *agentRunner) Run(ctx context.Context, c ivr.Contact, ch ivr.Channel) (ivr.Result, error) {
	err := r.flow(ctx, c, ch)
	r.done <- err
	return ivr.Result{Outcome: "test"}, nil
}

func (r *agentRunner) flow(ctx context.Context, c ivr.Contact, ch ivr.Channel) error {
	r.phones.Expect(phone.CallInfo{ContactID: c.ID, Caller: c.ANI, Queue: "general-voice"})
	r.contact <- c.ID
	if err := r.phones.Ring(ctx, c.ID, "a1"); err != nil {
		r.ringErr <- err
		_, err := ch.Receive(ctx, time.Time{}, nil) // the caller keeps waiting
		return err
	}
	if err := ch.Transfer(ctx, "a1"); err != nil {
		return err
	}
	close(r.bridged)
	for {
		in, err := ch.Receive(ctx, time.Time{}, r.queue)
		if err != nil {
			return err
		}
		if in.Kind == ivr.InputQueue && in.Queue.Kind == ivr.QueueAgentLeft {
			close(r.survey)
			_, err := ch.Receive(ctx, time.Time{}, nil) // the survey waits for a key
			return err
		}
	}
}

type agentFixture struct {
	srv    *Server
	runner *agentRunner
	agent  *pipeLeg
	caller *uac
	rtp    *net.UDPConn
	remote *net.UDPAddr // the server's RTP address
	id     string       // contact id
	// callerDTMF: the caller offers telephone-event 101 (RFC 4733).
	callerDTMF bool
}

// startBridged calls the server from a real UDP caller speaking callerCodec
// and has the call bridged to an agent leg speaking agentCodec.
func startBridged(t *testing.T, callerCodec, agentCodec media.Codec) *agentFixture {
	t.Helper()
	f := &agentFixture{agent: newPipeLeg(agentCodec)}
	return startCall(t, f, callerCodec, func(*Server, *phone.Phones) phone.Ringer {
		return phone.RingerFunc(func(context.Context, string, phone.CallInfo) (phone.Leg, error) { return f.agent, nil })
	}, true)
}

// startCall starts a server whose browser phones ring with the Ringer ring
// returns, and calls it; bridged: wait until the call is bridged.
func startCall(t *testing.T, f *agentFixture, callerCodec media.Codec, ring func(*Server, *phone.Phones) phone.Ringer, bridged bool) *agentFixture {
	t.Helper()
	var (
		mu     sync.Mutex // the ringer is made once the server serves
		ringer phone.Ringer
	)
	startCallServerOnly(t, f, func(s *Server) {
		f.runner.phones.Register(phone.KindBrowser, phone.RingerFunc(func(ctx context.Context, agent string, c phone.CallInfo) (phone.Leg, error) {
			mu.Lock()
			r := ringer
			mu.Unlock()
			return r.Ring(ctx, agent, c)
		}))
	})
	r := ring(f.srv, f.runner.phones)
	mu.Lock()
	ringer = r
	mu.Unlock()
	return f.call(t, callerCodec, bridged)
}

// startCallServerOnly starts a server with real media and the agentRunner
// flow; setup runs before it serves.
func startCallServerOnly(t *testing.T, f *agentFixture, setup func(*Server)) {
	t.Helper()
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
	f.srv = s
	phones := phone.New(phone.Options{})
	f.runner = &agentRunner{phones: phones, queue: make(chan ivr.QueueEvent, 4), contact: make(chan string, 1),
		bridged: make(chan struct{}), ringErr: make(chan error, 1), survey: make(chan struct{}), done: make(chan error, 1)}
	s.Attach(f.runner)
	s.AttachAgents(Agents{Phones: phones})
	setup(s)
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
}

// call calls the server from a real UDP caller speaking callerCodec.
func (f *agentFixture) call(t *testing.T, callerCodec media.Codec, bridged bool) *agentFixture {
	t.Helper()
	var err error
	f.rtp, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.rtp.Close() })
	port := f.rtp.LocalAddr().(*net.UDPAddr).Port
	sdp := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP %d\r\na=sendrecv\r\n", port, callerCodec)
	if f.callerDTMF {
		sdp = fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
			"m=audio %d RTP/AVP %d 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n", port, callerCodec)
	}
	f.caller = newUAC(t, f.srv.Addr("udp"))
	f.caller.send(f.caller.request("INVITE", "10000", sdp))
	res := f.caller.expect(200)
	f.caller.ack("10000")
	ans, err := ParseOffer(res.Body())
	if err != nil {
		t.Fatal(err)
	}
	f.remote = net.UDPAddrFromAddrPort(ans.Remote)
	f.id = <-f.runner.contact
	if bridged {
		<-f.runner.bridged
	}
	return f
}

// say sends n caller packets of one sample value.
func (f *agentFixture) say(t *testing.T, codec media.Codec, b byte, n int) {
	t.Helper()
	for i := range n {
		pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: uint8(codec), SequenceNumber: uint16(i + 1),
			Timestamp: uint32(i * 160), SSRC: 9}, Payload: bytes.Repeat([]byte{b}, 160)}).Marshal()
		if _, err := f.rtp.WriteToUDP(pkt, f.remote); err != nil {
			t.Fatal(err)
		}
	}
}

// hears reads the caller's RTP until a payload byte want arrives n times.
func (f *agentFixture) hears(t *testing.T, want byte, n int) {
	t.Helper()
	buf := make([]byte, 1500)
	got := 0
	deadline := time.Now().Add(5 * time.Second) // bounds a broken test only
	for got < n {
		_ = f.rtp.SetReadDeadline(deadline)
		k, _, err := f.rtp.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("caller heard %d bytes of %#x, want %d: %v", got, want, n, err)
		}
		var pkt rtp.Packet
		if err := pkt.Unmarshal(buf[:k]); err != nil {
			continue
		}
		got += bytes.Count(pkt.Payload, []byte{want})
	}
}

// agentHears waits for n bytes of want at the agent.
func (f *agentFixture) agentHears(t *testing.T, want byte, n int) {
	t.Helper()
	got := 0
	timeout := time.After(5 * time.Second)
	for got < n {
		select {
		case fr := <-f.agent.heard:
			got += bytes.Count(fr, []byte{want})
		case <-timeout:
			t.Fatalf("agent heard %d bytes of %#x, want %d", got, want, n)
		}
	}
}

func TestBridgeAudioBothWaysTranscoded(t *testing.T) {
	for _, tc := range []struct{ caller, agent media.Codec }{{media.PCMU, media.PCMA}, {media.PCMA, media.PCMA}, {media.PCMA, media.PCMU}} {
		t.Run(tc.caller.String()+"-"+tc.agent.String(), func(t *testing.T) {
			f := startBridged(t, tc.caller, tc.agent)
			callerByte := encode(tc.caller, 5000)
			f.say(t, tc.caller, callerByte, 10)
			w := []byte{callerByte}
			media.Transcode(w, tc.caller, tc.agent)
			f.agentHears(t, w[0], 5*phone.FrameSize)

			agentByte := encode(tc.agent, -7000)
			for range 5 {
				f.agent.says <- bytes.Repeat([]byte{agentByte}, phone.FrameSize)
			}
			a := []byte{agentByte}
			media.Transcode(a, tc.agent, tc.caller)
			f.hears(t, a[0], 3*phone.FrameSize)

			// The agent hangs up: the caller goes on into the survey.
			_ = f.agent.Hangup(context.Background(), "agent")
			<-f.runner.survey
			f.caller.send(f.caller.request("BYE", "10000", ""))
			if err := <-f.runner.done; !errors.Is(err, ivr.ErrHangup) {
				t.Fatalf("flow ended with %v, want ErrHangup after the survey", err)
			}
		})
	}
}

func encode(c media.Codec, s int16) byte {
	if c == media.PCMA {
		return g711.EncodeAlawFrame(s)
	}
	return g711.EncodeUlawFrame(s)
}

// The caller hanging up while bridged hangs the agent leg up.
func TestBridgeCallerHangsUp(t *testing.T) {
	f := startBridged(t, media.PCMU, media.PCMU)
	f.say(t, media.PCMU, 0x10, 3)
	f.agentHears(t, 0x10, phone.FrameSize)
	f.caller.send(f.caller.request("BYE", "10000", ""))
	if err := <-f.runner.done; !errors.Is(err, ivr.ErrHangup) {
		t.Fatalf("flow ended with %v, want ErrHangup", err)
	}
	select {
	case <-f.agent.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("agent leg still up after the caller hung up")
	}
	if r := f.agent.hungUpFor(); r == "" {
		t.Fatal("no hangup reason")
	}
}

// On hold the caller hears music, not the agent, and the agent hears
// nothing; unhold restores both ways.
func TestBridgeHold(t *testing.T) {
	f := startBridged(t, media.PCMU, media.PCMU)
	if err := f.srv.Hold(f.id, true); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Hold("nobody", true); !errors.Is(err, ErrNoCall) {
		t.Fatalf("hold of an unknown call: %v, want ErrNoCall", err)
	}
	f.say(t, media.PCMU, 0x22, 5)
	for range 5 {
		f.agent.says <- bytes.Repeat([]byte{0x33}, phone.FrameSize)
	}
	// Music reaches the caller (the chime is not constant: many distinct bytes).
	buf := make([]byte, 1500)
	distinct := map[byte]bool{}
	_ = f.rtp.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(distinct) < 20 {
		k, _, err := f.rtp.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("no hold music: %v", err)
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:k]) == nil {
			for _, b := range pkt.Payload {
				distinct[b] = true
				if b == 0x33 {
					t.Fatal("the caller heard the agent while on hold")
				}
			}
		}
	}
	select {
	case fr := <-f.agent.heard:
		t.Fatalf("the agent heard %#x while the caller was on hold", fr[0])
	default:
	}
	if err := f.srv.Hold(f.id, false); err != nil {
		t.Fatal(err)
	}
	f.say(t, media.PCMU, 0x44, 5)
	f.agentHears(t, 0x44, phone.FrameSize)
	for range 5 {
		f.agent.says <- bytes.Repeat([]byte{0x55}, phone.FrameSize)
	}
	f.hears(t, 0x55, phone.FrameSize)
	if err := f.srv.HangupAgent(f.id); err != nil {
		t.Fatal(err)
	}
	<-f.runner.survey
}

// The direct relay's framer cuts payloads of any size into 20 ms frames
// of the agent leg's codec, keeps the remainder for the next payload, and
// hands nothing on once stopped.
func TestFramer(t *testing.T) {
	var frames [][]byte
	f := newFramer(media.PCMA, func(b []byte) { frames = append(frames, append([]byte(nil), b...)) })
	ulaw := encode(media.PCMU, 3000)
	alaw := []byte{ulaw}
	media.Transcode(alaw, media.PCMU, media.PCMA)
	for _, n := range []int{80, 240, 30, 130, 160} { // 640 bytes: 4 frames
		f.Write(media.PCMU, bytes.Repeat([]byte{ulaw}, n))
	}
	if len(frames) != 4 {
		t.Fatalf("%d frames, want 4", len(frames))
	}
	for i, fr := range frames {
		if len(fr) != phone.FrameSize || bytes.Count(fr, alaw) != phone.FrameSize {
			t.Fatalf("frame %d: %d bytes %x..., want %d of %#x", i, len(fr), fr[:4], phone.FrameSize, alaw[0])
		}
	}
	f.Write(media.PCMA, bytes.Repeat(alaw, 100))
	f.stop()
	f.Write(media.PCMA, bytes.Repeat(alaw, 320))
	if len(frames) != 4 {
		t.Fatalf("%d frames after stop, want 4", len(frames))
	}
}
