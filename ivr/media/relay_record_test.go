package media

import (
	"bytes"
	"encoding/binary"
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
