package media

import (
	"errors"
	"testing"
)

// Each key's frames carry its two Q.23 frequencies, found by Goertzel.
func TestDTMFFramesDetected(t *testing.T) {
	for _, c := range []Codec{PCMU, PCMA} {
		fs, err := DTMFFrames("5#", c)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 2*(toneFrames+toneGapFrames) {
			t.Fatalf("%d frames, want %d", len(fs), 2*(toneFrames+toneGapFrames))
		}
		for i, want := range []struct{ lo, hi float64 }{{770, 1336}, {941, 1477}} {
			pcm := Decode(nil, c, fs[i*(toneFrames+toneGapFrames)])
			for _, f := range []float64{want.lo, want.hi} {
				if p := ToneLevel(pcm, f); p < 0.2 {
					t.Errorf("%s key %d: %v Hz power %.4f, want a tone", c, i, f, p)
				}
			}
			if p := ToneLevel(pcm, 1209); p > 0.05 {
				t.Errorf("%s key %d: 1209 Hz power %.4f, want none", c, i, p)
			}
		}
	}
	for _, bad := range []string{"", "12e", "5a", "0123456789012345678901234567890123"} {
		if _, err := DTMFFrames(bad, PCMU); !errors.Is(err, ErrBadDigit) {
			t.Errorf("DTMFFrames(%q) = %v, want ErrBadDigit", bad, err)
		}
	}
}
