package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"
)

func TestTranscodeKeepsSamples(t *testing.T) {
	for s := -32000; s <= 32000; s += 500 {
		u := g711.EncodeUlawFrame(int16(s))
		p := []byte{u}
		Transcode(p, PCMU, PCMA)
		lin, a := int(PCMU.decode(u)), int(PCMA.decode(p[0]))
		// Both laws quantise; across one conversion the sample stays
		// within the coarser law's step (about 1/16 of its magnitude).
		if abs(lin-a) > abs(lin)/8+16 {
			t.Fatalf("sample %d: µ-law %d became A-law %d", s, lin, a)
		}
	}
	p := []byte{1, 2, 3}
	Transcode(p, PCMA, PCMA)
	if !bytes.Equal(p, []byte{1, 2, 3}) {
		t.Fatal("same law changed")
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestStreamLimitAndTranscode(t *testing.T) {
	s := NewStream(PCMA, 40*time.Millisecond) // 320 bytes
	s.SetPlayout(0)                           // Fill gives what is there (TestStreamPlayout)
	ulaw := bytes.Repeat([]byte{g711.EncodeUlawFrame(1000)}, 160)
	for range 3 {
		s.Write(PCMU, ulaw)
	}
	if got, want := s.Buffered(), 40*time.Millisecond; got != want {
		t.Fatalf("Buffered = %v, want %v", got, want)
	}
	if got, want := s.Dropped(), 20*time.Millisecond; got != want {
		t.Fatalf("Dropped = %v, want %v", got, want)
	}
	frame := make([]byte, 160)
	if err := s.ReadFrame(t.Context(), frame); err != nil {
		t.Fatal(err)
	}
	if want := g711.Ulaw2AlawFrame(ulaw[0]); frame[0] != want || frame[159] != want {
		t.Fatalf("frame byte %#x, want the A-law %#x", frame[0], want)
	}
	if n := s.Fill(make([]byte, 500)); n != 160 {
		t.Fatalf("Fill took %d, want the 160 left", n)
	}
	// One write larger than the limit keeps its newest part.
	big := make([]byte, 1000)
	big[999] = 7
	s.Write(PCMA, big)
	out := make([]byte, 320)
	if n := s.Fill(out); n != 320 || out[319] != 7 {
		t.Fatalf("Fill = %d, last %d; want 320 ending in the newest byte", n, out[319])
	}
}

// A Stream a leg sends from is a playout buffer: after running dry it
// waits one frame (the default delay) before playing again, unless more
// than that is queued, and counts the frames that ran dry while playing.
func TestStreamPlayout(t *testing.T) {
	s := NewStream(PCMU, 0)
	frame := make([]byte, 160)
	fill := func(want int) {
		t.Helper()
		if n := s.Fill(frame); n != want {
			t.Fatalf("Fill = %d, want %d", n, want)
		}
	}
	fill(0) // nothing yet
	s.Write(PCMU, make([]byte, 160))
	fill(0)   // the one-frame playout delay
	fill(160) // then the frame
	fill(0)   // dry while playing: an underrun
	if got := s.Underruns(); got != 1 {
		t.Fatalf("Underruns = %d, want 1", got)
	}
	// A frame that came while waiting plays after the delay; two frames
	// (the delay's worth and one) play at once.
	s.Write(PCMU, make([]byte, 320))
	fill(160)
	fill(160)
	s.Write(PCMU, make([]byte, 100))
	fill(100) // a partial frame: the rest is silence, and it ran dry
	if got := s.Underruns(); got != 2 {
		t.Fatalf("Underruns = %d, want 2", got)
	}
	// After Reset (hold) the delay applies again.
	s.Write(PCMU, make([]byte, 160))
	s.Reset()
	s.Write(PCMU, make([]byte, 160))
	fill(0)
	fill(160)
	// Without delay the audio plays at once.
	s.SetPlayout(0)
	fill(0)
	s.Write(PCMU, make([]byte, 160))
	fill(160)
}

// Close ends a ReadFrame waiting, and later ReadFrames once less than a
// frame is left; queued frames are still read first.
func TestStreamClose(t *testing.T) {
	s := NewStream(PCMU, 0)
	s.Write(PCMU, make([]byte, 200))
	s.Close()
	frame := make([]byte, 160)
	if err := s.ReadFrame(t.Context(), frame); err != nil {
		t.Fatalf("queued frame: %v", err)
	}
	if err := s.ReadFrame(t.Context(), frame); err != io.EOF {
		t.Fatalf("after Close: got %v, want io.EOF", err)
	}
	w := NewStream(PCMU, 0)
	got := make(chan error, 1)
	go func() { got <- w.ReadFrame(context.Background(), frame) }()
	w.Close()
	if err := <-got; err != io.EOF {
		t.Fatalf("waiting ReadFrame after Close: got %v, want io.EOF", err)
	}
}

func TestStreamReadFrameWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewStream(PCMU, 0)
		got := make(chan error, 1)
		go func() { got <- s.ReadFrame(t.Context(), make([]byte, 160)) }()
		s.Write(PCMU, make([]byte, 100))
		synctest.Wait()
		select {
		case err := <-got:
			t.Fatalf("ReadFrame returned %v with half a frame", err)
		default:
		}
		s.Write(PCMU, make([]byte, 60))
		if err := <-got; err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		go func() { got <- s.ReadFrame(ctx, make([]byte, 160)) }()
		cancel()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
}

// A leg's caller audio reaches Listen's stream, and Feed's audio goes out
// paced, in the leg's codec; a Play takes precedence over the feed.
func TestLegListenAndFeed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, LegConfig{Codec: PCMU})
		heard := NewStream(PCMA, 0) // the agent's phone speaks A-law
		say := NewStream(PCMU, 0)
		f.leg.Listen(heard)
		f.leg.Feed(say)
		voice := bytes.Repeat([]byte{g711.EncodeUlawFrame(4000)}, 160)
		f.caller.send(legAddr, rtpBytes(t, 0, 1, 160, voice))
		synctest.Wait()
		frame := make([]byte, 160)
		if err := heard.ReadFrame(t.Context(), frame); err != nil {
			t.Fatal(err)
		}
		if want := g711.Ulaw2AlawFrame(voice[0]); frame[0] != want {
			t.Fatalf("agent side got %#x, want %#x", frame[0], want)
		}
		f.caller.drain()
		agent := bytes.Repeat([]byte{g711.EncodeAlawFrame(-2000)}, 160)
		say.Write(PCMA, agent)
		time.Sleep(60 * time.Millisecond) // the next slot, then the one-frame playout delay
		var got []byte
		for _, p := range f.caller.drain() {
			var pkt rtp.Packet
			if err := pkt.Unmarshal(p.data); err != nil {
				t.Fatal(err)
			}
			got = append(got, pkt.Payload...)
		}
		want := g711.Alaw2UlawFrame(agent[0])
		if bytes.Count(got, []byte{want}) != 160 {
			t.Fatalf("caller got %d bytes of the agent's audio in %d, want 160", bytes.Count(got, []byte{want}), len(got))
		}
		f.leg.Feed(nil)
		f.leg.Listen(nil)
	})
}
