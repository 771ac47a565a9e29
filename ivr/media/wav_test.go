package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hotline10000/hotline/ivr"
)

// wavFile builds a WAV: format tag, bits, and data.
func wavFile(format, chans uint16, rate uint32, bits uint16, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(4+8+16+8+len(data)))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))
	for _, v := range []any{format, chans, rate, rate * uint32(bits/8), bits / 8, bits} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func TestReadWAV(t *testing.T) {
	pcm := []byte{0, 0, 0x10, 0x27, 0xf0, 0xd8} // 0, 10000, -10000
	for _, tc := range []struct {
		name    string
		data    []byte
		samples int
		err     string
	}{
		{"mulaw", wavFile(7, 1, 8000, 8, []byte{0xff, 0x80, 0x00}), 3, ""},
		{"alaw", wavFile(6, 1, 8000, 8, []byte{0xd5, 0x55}), 2, ""},
		{"pcm16", wavFile(1, 1, 8000, 16, pcm), 3, ""},
		{"stereo", wavFile(7, 2, 8000, 8, []byte{1, 2}), 0, "want 8000 Hz mono"},
		{"16kHz", wavFile(1, 1, 16000, 16, pcm), 0, "want 8000 Hz mono"},
		{"pcm8", wavFile(1, 1, 8000, 8, pcm), 0, "format 0x0001 with 8 bits"},
		{"empty", wavFile(7, 1, 8000, 8, nil), 0, "no audio"},
		{"not riff", []byte("ID3\x03 mp3 data here"), 0, "not a RIFF/WAVE"},
		{"truncated", wavFile(7, 1, 8000, 8, make([]byte, 100))[:90], 0, "truncated"},
		{"no data", wavFile(7, 1, 8000, 8, []byte{1})[:36], 0, "no data chunk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ReadWAV(bytes.NewReader(tc.data), "prompts/x.wav")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "prompts/x.wav") || !errors.Is(err, ErrBadWAV) {
					t.Fatalf("got %v, want an ErrBadWAV naming the path and %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(c.PCM()) != tc.samples {
				t.Fatalf("got %d samples, want %d", len(c.PCM()), tc.samples)
			}
		})
	}
	c, _ := ReadWAV(bytes.NewReader(wavFile(1, 1, 8000, 16, pcm)), "x")
	if got := c.PCM(); got[1] < 9000 || got[1] > 11000 || got[2] > -9000 {
		t.Errorf("pcm16 round trip through G.711: %v", got)
	}
}

func TestLoadWAVNamesPath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.wav")
	os.WriteFile(p, []byte("RIFF junk"), 0o600)
	if _, err := LoadWAV(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("LoadWAV = %v, want an error naming %s", err, p)
	}
	if _, err := LoadWAV(p + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadWAV of a missing file = %v", err)
	}
}

func TestLoadPromptsShipped(t *testing.T) {
	cat, err := ivr.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPrompts(cat)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, l := range cat.Languages() {
		want += len(cat.AudioIDs(l))
		for _, id := range cat.AudioIDs(l) {
			if c, _ := p.Clip(l, id); c.Duration() <= 0 {
				t.Errorf("%s/%s: empty", l, id)
			}
		}
	}
	if p.Len() != want || want == 0 {
		t.Fatalf("loaded %d clips, want %d", p.Len(), want)
	}
	clips, err := p.Utterance(ivr.Utterance{Lang: "en", Prompts: cat, Items: []ivr.Item{{Prompt: cat.AudioIDs("en")[0]}, {Say: ivr.SayDigits, Value: "42"}}})
	if err != nil || len(clips) < 3 {
		t.Fatalf("Utterance = %d clips, %v", len(clips), err)
	}
}

func TestLoadPromptsCorrupt(t *testing.T) {
	fsys := fstest.MapFS{
		"zh.tsv":   {Data: []byte("a\t甲\nb\t乙\n")},
		"zh/a.wav": {Data: wavFile(7, 1, 8000, 8, []byte{1, 2, 3})},
		"zh/b.wav": {Data: []byte("RIFF\x00\x00")},
	}
	cat, err := ivr.LoadCatalog(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrompts(cat); err == nil || !strings.Contains(err.Error(), "zh/b.wav") {
		t.Fatalf("LoadPrompts = %v, want an error naming zh/b.wav", err)
	}
}

func FuzzReadWAV(f *testing.F) {
	f.Add(wavFile(7, 1, 8000, 8, []byte{0xff, 0x80}))
	f.Add(wavFile(1, 1, 8000, 16, []byte{1, 2, 3, 4}))
	f.Add(wavFile(0xFFFE, 1, 8000, 16, []byte{1, 2}))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ReadWAV(bytes.NewReader(b), "fuzz.wav")
		if err == nil && (c.Duration() <= 0 || len(c.Payload(PCMU)) != len(c.Payload(PCMA))) {
			t.Fatalf("accepted clip of %v", c.Duration())
		}
	})
}
