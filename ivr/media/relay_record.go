package media

import (
	"bufio"
	"encoding/binary"
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
// Written here rather than with a WAV library: the header is 44 bytes and
// the sizes are patched at Close, which needs only an io.WriteSeeker.
type StereoWAV struct {
	mu    sync.Mutex
	out   io.WriteSeeker
	w     *bufio.Writer
	now   func() time.Time
	start time.Time
	side  [2][]int16 // samples not yet written, left and right
	at    [2]int     // samples placed so far per side
	n     int        // sample frames written
	err   error
}

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
	r := &StereoWAV{out: out, w: bufio.NewWriterSize(out, 32<<10), now: now, start: now()}
	if _, err := r.w.Write(make([]byte, wavHeaderSize)); err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	return r, nil
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

// flush writes n interleaved sample frames from both sides. Call with mu
// held.
func (r *StereoWAV) flush(n int) {
	if n == 0 {
		return
	}
	var b [4]byte
	for i := range n {
		binary.LittleEndian.PutUint16(b[0:], uint16(r.side[0][i]))
		binary.LittleEndian.PutUint16(b[2:], uint16(r.side[1][i]))
		if _, err := r.w.Write(b[:]); err != nil {
			r.err = err
			return
		}
	}
	r.n += n
	for ch := range r.side {
		r.side[ch] = r.side[ch][:copy(r.side[ch], r.side[ch][n:])]
	}
}

// Duration is the length recorded so far.
func (r *StereoWAV) Duration() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return durationOf(r.n + max(len(r.side[0]), len(r.side[1])))
}

// Close pads the shorter side, writes the rest and the header's sizes.
// It does not close out.
func (r *StereoWAV) Close() error {
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
		r.err = r.w.Flush()
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
