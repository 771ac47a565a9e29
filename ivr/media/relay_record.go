package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// StereoWAV records a bridged call as a 16-bit 8 kHz stereo WAV: the
// caller on the left channel, the agent on the right. The two sides arrive
// on their own networks; each is placed by the clock, so a side that
// stays silent (no RTP) is filled with silence and the channels stay in
// step. Safe for concurrent use.
//
// Caller and Agent never wait for the disk: a bridged call hands its
// frames in on the pacer's shards (ivr/sip), where a write held up by the
// disk would delay every call of the shard. They queue the samples in
// memory; a writer goroutine of the recording writes them once
// writeChunk has gathered (about once a second) and Close writes the
// rest. A disk that falls further behind than maxPending fails the
// recording (Close reports it) rather than holding memory or the call.
//
// Written here rather than with a WAV library: the header is 44 bytes and
// the sizes are patched at Close, which needs only an io.WriteSeeker.
type StereoWAV struct {
	mu    sync.Mutex
	out   io.WriteSeeker // written by the writer goroutine, then by Close
	now   func() time.Time
	start time.Time
	side  [2][]int16 // samples not yet interleaved, left and right
	at    [2]int     // samples placed so far per side
	n     int        // sample frames interleaved
	pend  []byte     // interleaved samples not yet written
	spare []byte     // the writer's last buffer, for reuse
	err   error
	kick  chan struct{} // 1-buffered: pend has a chunk to write
	quit  chan struct{} // closed by Close: the writer stops
	done  chan struct{} // closed when the writer has stopped
	once  sync.Once
}

// writeChunk is how much the writer writes at once (1 s of audio).
const writeChunk = 32 << 10

// maxPending bounds the samples waiting for the disk (32 s of audio).
const maxPending = 1 << 20

// errBehind fails a recording whose disk is more than maxPending behind.
var errBehind = errors.New("the disk fell more than 32 s behind")

// wavHeaderSize is the RIFF/WAVE header of a PCM file (no extra chunks).
const wavHeaderSize = 44

// maxSkew is how far behind the clock a side may lag before silence is
// inserted for it (network jitter within it is absorbed).
const maxSkew = 60 * time.Millisecond

// NewStereoWAV starts a recording on out (a new file); now is the clock.
func NewStereoWAV(out io.WriteSeeker, now func() time.Time) (*StereoWAV, error) {
	if now == nil {
		now = time.Now
	}
	r := &StereoWAV{out: out, now: now, start: now(), kick: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{})}
	if _, err := out.Write(make([]byte, wavHeaderSize)); err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	go r.write()
	return r, nil
}

// write is the recording's writer: it writes the queued samples each time
// a chunk has gathered, until Close.
func (r *StereoWAV) write() {
	defer close(r.done)
	for {
		select {
		case <-r.kick:
		case <-r.quit:
			return
		}
		r.mu.Lock()
		b := r.pend
		r.pend, r.spare = r.spare[:0], nil
		r.mu.Unlock()
		_, err := r.out.Write(b)
		r.mu.Lock()
		r.spare = b[:0]
		if err != nil && r.err == nil {
			r.err = err
		}
		r.mu.Unlock()
	}
}

// Caller adds a frame the caller spoke.
func (r *StereoWAV) Caller(codec Codec, frame []byte) { r.add(0, codec, frame) }

// Agent adds a frame the agent spoke.
func (r *StereoWAV) Agent(codec Codec, frame []byte) { r.add(1, codec, frame) }

func (r *StereoWAV) add(ch int, codec Codec, frame []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	due := samplesFor(r.now().Sub(r.start)) - len(frame)
	if gap := due - r.at[ch]; gap > samplesFor(maxSkew) {
		r.side[ch] = append(r.side[ch], make([]int16, gap)...)
		r.at[ch] += gap
	}
	r.side[ch] = Decode(r.side[ch], codec, frame)
	r.at[ch] += len(frame)
	r.flush(min(len(r.side[0]), len(r.side[1])))
}

// flush interleaves n sample frames from both sides into pend and wakes
// the writer once a chunk is there. Call with mu held.
func (r *StereoWAV) flush(n int) {
	if n == 0 {
		return
	}
	if len(r.pend)+4*n > maxPending {
		r.err = errBehind
		return
	}
	for i := range n {
		r.pend = binary.LittleEndian.AppendUint16(r.pend, uint16(r.side[0][i]))
		r.pend = binary.LittleEndian.AppendUint16(r.pend, uint16(r.side[1][i]))
	}
	r.n += n
	for ch := range r.side {
		r.side[ch] = r.side[ch][:copy(r.side[ch], r.side[ch][n:])]
	}
	if len(r.pend) >= writeChunk {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
}

// Duration is the length recorded so far.
func (r *StereoWAV) Duration() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return durationOf(r.n + max(len(r.side[0]), len(r.side[1])))
}

// Close stops the writer, pads the shorter side, writes the rest and the
// header's sizes. It does not close out. Later calls return nil.
func (r *StereoWAV) Close() error {
	first := false
	r.once.Do(func() { first = true })
	if !first {
		return nil
	}
	close(r.quit)
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return fmt.Errorf("recording: %w", r.err)
	}
	longest := max(len(r.side[0]), len(r.side[1]))
	for ch := range r.side {
		r.side[ch] = append(r.side[ch], make([]int16, longest-len(r.side[ch]))...)
	}
	r.flush(longest)
	if r.err == nil {
		_, r.err = r.out.Write(r.pend)
		r.pend = r.pend[:0]
	}
	if r.err != nil {
		return fmt.Errorf("recording: %w", r.err)
	}
	data := uint32(r.n * 4)
	h := make([]byte, 0, wavHeaderSize)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, 36+data)
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, wavPCM)
	h = binary.LittleEndian.AppendUint16(h, 2) // channels
	h = binary.LittleEndian.AppendUint32(h, SampleRate)
	h = binary.LittleEndian.AppendUint32(h, SampleRate*4) // byte rate
	h = binary.LittleEndian.AppendUint16(h, 4)            // block align
	h = binary.LittleEndian.AppendUint16(h, 16)           // bits per sample
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, data)
	if _, err := r.out.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	if _, err := r.out.Write(h); err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	r.err = io.ErrClosedPipe // later frames are dropped
	return nil
}
