package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zaf/g711"
)

// A recording holds the caller left and the agent right, in step by the
// clock: a side that was silent for a while is padded.
func TestStereoWAV(t *testing.T) {
	now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	f, err := os.Create(filepath.Join(t.TempDir(), "call.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewStereoWAV(f, clock)
	if err != nil {
		t.Fatal(err)
	}
	callerFrame := bytes.Repeat([]byte{g711.EncodeUlawFrame(8000)}, 160)
	agentFrame := bytes.Repeat([]byte{g711.EncodeAlawFrame(-8000)}, 160)
	// 1 s of both sides talking, then 1 s of only the caller, then the
	// agent speaks once more.
	for range 50 {
		now = now.Add(20 * time.Millisecond)
		r.Caller(PCMU, callerFrame)
		r.Agent(PCMA, agentFrame)
	}
	for range 50 {
		now = now.Add(20 * time.Millisecond)
		r.Caller(PCMU, callerFrame)
	}
	r.Agent(PCMA, agentFrame)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" || binary.LittleEndian.Uint16(data[22:]) != 2 ||
		binary.LittleEndian.Uint32(data[24:]) != 8000 || binary.LittleEndian.Uint32(data[40:]) != uint32(len(data)-44) {
		t.Fatalf("bad header % x", data[:44])
	}
	frames := (len(data) - 44) / 4
	if want := 2 * 8000; frames != want {
		t.Fatalf("recorded %d sample frames, want %d (2 s)", frames, want)
	}
	sample := func(i, ch int) int16 { return int16(binary.LittleEndian.Uint16(data[44+4*i+2*ch:])) }
	if l, rr := sample(100, 0), sample(100, 1); l < 7000 || rr > -7000 {
		t.Fatalf("first second: left %d right %d, want caller +8000 left, agent -8000 right", l, rr)
	}
	// In the second second the agent's side is silence, then its last
	// frame sits at the end, in step with the clock.
	if rr := sample(12000, 1); rr != 0 {
		t.Fatalf("agent silent but right channel %d", rr)
	}
	if rr := sample(frames-80, 1); rr > -7000 {
		t.Fatalf("agent's late frame not at the end: %d", rr)
	}
	if d := r.Duration(); d != 2*time.Second {
		t.Fatalf("Duration %v", d)
	}
}

// blockedFile is a file whose writes wait until release is closed (a disk
// under writeback pressure).
type blockedFile struct {
	f       *os.File
	release chan struct{}
	writes  chan struct{} // a write started
}

func (b *blockedFile) Write(p []byte) (int, error) {
	select {
	case b.writes <- struct{}{}:
	default:
	}
	<-b.release
	return b.f.Write(p)
}

func (b *blockedFile) Seek(off int64, whence int) (int64, error) { return b.f.Seek(off, whence) }

// Caller and Agent never wait for the disk (a bridged call hands its
// frames in on the pacer's shards): with the disk stuck they return, and
// the recording fails at Close once the disk fell more than maxPending
// behind; a disk that catches up loses nothing. The old recorder wrote
// through a 32 KiB buffer in Caller and Agent, so this test hung there.
func TestStereoWAVNeverWaitsForTheDisk(t *testing.T) {
	for _, tc := range []struct {
		name    string
		seconds int
		wantErr bool
	}{{"caught up", 10, false}, {"too far behind", 40, true}} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
			f, err := os.Create(filepath.Join(t.TempDir(), "call.wav"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			out := &blockedFile{f: f, release: make(chan struct{}), writes: make(chan struct{}, 1)}
			close(out.release) // the header goes through
			r, err := NewStereoWAV(out, func() time.Time { return now })
			if err != nil {
				t.Fatal(err)
			}
			out.release = make(chan struct{})
			frame := bytes.Repeat([]byte{0x55}, 160)
			for range tc.seconds * 50 {
				now = now.Add(20 * time.Millisecond)
				r.Caller(PCMU, frame)
				r.Agent(PCMA, frame)
			}
			<-out.writes // the writer is stuck in the disk
			close(out.release)
			err = r.Close()
			if tc.wantErr {
				if err == nil || !errors.Is(err, errBehind) {
					t.Fatalf("Close: %v, want %v", err, errBehind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.Stat()
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(44 + tc.seconds*8000*4); st.Size() != want {
				t.Fatalf("file of %d bytes, want %d", st.Size(), want)
			}
		})
	}
}
