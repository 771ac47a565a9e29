package media

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zaf/g711"
)

// Stream carries G.711 audio of one codec from a producer to one consumer
// that run at their own pace (two networks): a bridged call's audio from
// the caller's RTP toward the agent's phone, or back. Audio written in the
// other law is transcoded on the way in (a byte table, no linear step
// kept). The queue is bounded: past its limit the oldest audio is dropped,
// so a stalled consumer costs latency up to the limit, never memory.
//
// A Stream a Leg sends from (Feed) is also the relay's playout buffer:
// the Pacer re-times the audio to the leg's own 20 ms grid, whatever the
// jitter it arrived with. After running dry it starts again only once
// the audio has waited the playout delay (one frame by default, see
// SetPlayout) or a frame more than the delay is queued, so a frame that
// arrives a little late does not leave a hole of silence in the next one.
//
// Written here rather than taken from a library: it is a few lines over
// zaf/g711's per-byte transcoders, and the Leg's pacer must be able to
// take a partial frame without blocking.
type Stream struct {
	codec Codec
	max   int // bytes

	mu  sync.Mutex
	buf []byte

	closed  bool
	playout int  // frames (Fill calls) a restart waits; see SetPlayout
	starved bool // ran dry: waiting for the playout delay
	waited  int  // Fill calls waited since audio came while starved

	ready     chan struct{} // signalled (1-buffered) after a write
	dropped   atomic.Uint64 // bytes dropped at the limit
	underruns atomic.Uint64 // Fills that ran dry while playing
}

// DefaultStreamLimit bounds a Stream: audio older than this is dropped.
const DefaultStreamLimit = 200 * time.Millisecond

// NewStream returns an empty Stream of codec holding at most limit of
// audio (0: DefaultStreamLimit).
func NewStream(codec Codec, limit time.Duration) *Stream {
	if limit <= 0 {
		limit = DefaultStreamLimit
	}
	n := samplesFor(limit)
	return &Stream{codec: codec, max: n, buf: make([]byte, 0, n), ready: make(chan struct{}, 1),
		playout: 1, starved: true}
}

// SetPlayout sets the playout delay in frames (Fill calls, each a packet
// time of the leg sending from the Stream): after running dry the Stream
// gives audio again once it waited that many frames, or holds that many
// frames and one more. 0: audio plays at the first Fill after it came.
func (s *Stream) SetPlayout(frames int) {
	s.mu.Lock()
	s.playout = max(frames, 0)
	s.mu.Unlock()
}

// Close makes ReadFrame return io.EOF once less than a frame is queued,
// and wakes a ReadFrame waiting.
func (s *Stream) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Codec is the law the Stream holds.
func (s *Stream) Codec() Codec { return s.codec }

// Write queues p, audio of codec from; it never blocks.
func (s *Stream) Write(from Codec, p []byte) {
	s.mu.Lock()
	if over := len(s.buf) + len(p) - s.max; over > 0 {
		if over >= len(s.buf) {
			// p alone fills the stream: keep its newest part.
			s.dropped.Add(uint64(len(s.buf) + len(p) - s.max))
			p = p[len(p)-min(len(p), s.max):]
			s.buf = s.buf[:0]
		} else {
			s.dropped.Add(uint64(over))
			s.buf = s.buf[:copy(s.buf, s.buf[over:])]
		}
	}
	at := len(s.buf)
	s.buf = append(s.buf, p...)
	if from != s.codec {
		Transcode(s.buf[at:], from, s.codec)
	}
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Fill takes up to len(p) bytes of queued audio into p without waiting
// and returns how many: 0 while the playout delay runs after the Stream
// ran dry (see SetPlayout).
func (s *Stream) Fill(p []byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.starved {
		switch {
		case len(s.buf) == 0:
			s.waited = 0
			return 0
		case s.waited < s.playout && len(s.buf) < (s.playout+1)*len(p):
			s.waited++
			return 0
		}
		s.starved, s.waited = false, 0
	}
	n := copy(p, s.buf)
	s.buf = s.buf[:copy(s.buf, s.buf[n:])]
	if n < len(p) {
		s.starved = true
		s.underruns.Add(1)
	}
	return n
}

// Underruns counts the Fills that found less than a frame while playing
// (the rest of that frame went out as silence).
func (s *Stream) Underruns() uint64 { return s.underruns.Load() }

// ReadFrame waits until len(p) bytes are queued and takes them; it
// returns ctx's error when ctx ends first, io.EOF once the Stream is
// closed with less than len(p) queued.
func (s *Stream) ReadFrame(ctx context.Context, p []byte) error {
	for {
		s.mu.Lock()
		if len(s.buf) >= len(p) {
			copy(p, s.buf)
			s.buf = s.buf[:copy(s.buf, s.buf[len(p):])]
			more := len(s.buf) >= len(p)
			s.mu.Unlock()
			if more {
				select {
				case s.ready <- struct{}{}:
				default:
				}
			}
			return nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return io.EOF
		}
		select {
		case <-s.ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Reset drops the queued audio (after a hold: stale speech is not played).
func (s *Stream) Reset() {
	s.mu.Lock()
	s.buf = s.buf[:0]
	s.starved, s.waited = true, 0
	s.mu.Unlock()
}

// Buffered is the play time of the queued audio.
func (s *Stream) Buffered() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return durationOf(len(s.buf))
}

// Dropped is the play time dropped at the Stream's limit so far.
func (s *Stream) Dropped() time.Duration { return durationOf(int(s.dropped.Load())) }

// Transcode converts p in place from one G.711 law to the other (RFC 3551
// 4.5.14: both laws carry the same 8 kHz samples). Same law: unchanged.
func Transcode(p []byte, from, to Codec) {
	switch {
	case from == to:
	case from == PCMU:
		for i, b := range p {
			p[i] = g711.Ulaw2AlawFrame(b)
		}
	default:
		for i, b := range p {
			p[i] = g711.Alaw2UlawFrame(b)
		}
	}
}

// Decode turns G.711 bytes of codec into linear samples appended to dst.
func Decode(dst []int16, codec Codec, p []byte) []int16 {
	for _, b := range p {
		dst = append(dst, codec.decode(b))
	}
	return dst
}

// Silence returns the codec's byte for a zero sample.
func (c Codec) Silence() byte { return c.silence() }

// Sink takes the audio a leg receives, one RTP payload of the leg's codec
// at a time, on the leg's receive path: the pacer's shard for a polled
// leg, so Write must not block (a Stream's does not). It may keep p only
// until it returns. A bridge that hands a caller's audio straight on to
// the agent's leg (ivr/sip) needs no goroutine woken per frame.
type Sink interface {
	Write(from Codec, p []byte)
}

// sinkRef holds a Sink for an atomic.Pointer.
type sinkRef struct{ Sink }

// Listen makes the leg copy the caller's audio (RTP of its codec) into s,
// from the next packet on; nil stops it.
func (l *Leg) Listen(s *Stream) {
	if s == nil {
		l.ListenTo(nil)
		return
	}
	l.ListenTo(s)
}

// ListenTo makes the leg hand the caller's audio to s, from the next
// packet on; nil stops it.
func (l *Leg) ListenTo(s Sink) {
	if s == nil {
		l.listen.Store(nil)
		return
	}
	l.listen.Store(&sinkRef{s})
}

// Feed makes the leg send audio from s (its own codec) whenever no Play
// runs, silence where s runs dry; nil stops it.
func (l *Leg) Feed(s *Stream) { l.feed.Store(s) }
