package media

import (
	"testing"
)

// Three legs, each with its own tone: each hears exactly the tones of the
// legs it hears, in its own codec; a listen-only leg is heard by nobody.
func TestMixerWhoHearsWhom(t *testing.T) {
	freqs := []float64{440, 1000, 1700} // caller, agent, supervisor
	codecs := []Codec{PCMU, PCMA, PCMU}
	for _, tc := range []struct {
		name  string
		hears func(l, s int) bool
		want  [3][3]bool // want[listener][speaker]
	}{
		{"conference", func(l, s int) bool { return true }, [3][3]bool{{false, true, true}, {true, false, true}, {true, true, false}}},
		{"listen", func(l, s int) bool { return s != 2 }, [3][3]bool{{false, true, false}, {true, false, false}, {true, true, false}}},
		{"whisper", func(l, s int) bool { return s != 2 || l == 1 }, [3][3]bool{{false, true, false}, {true, false, true}, {true, true, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m Mixer
			legs := make([]MixLeg, 3)
			for i := range legs {
				legs[i] = MixLeg{Codec: codecs[i], In: Encode(nil, codecs[i], Tone(freqs[i], 0.2, 0, 160)), Out: make([]byte, 160)}
			}
			m.Mix(legs, tc.hears)
			for l := range legs {
				pcm := Decode(nil, codecs[l], legs[l].Out)
				for s := range legs {
					level := ToneLevel(pcm, freqs[s])
					if heard := level > 0.1; heard != tc.want[l][s] {
						t.Errorf("leg %d hears %v Hz at %.3f, want heard=%v", l, freqs[s], level, tc.want[l][s])
					}
				}
			}
		})
	}
}

// Loud legs clip instead of wrapping around; a leg nobody speaks to hears
// silence.
func TestMixerClipsAndSilence(t *testing.T) {
	var m Mixer
	loud := Encode(nil, PCMU, []int16{30000, -30000})
	legs := []MixLeg{{Codec: PCMU, In: loud, Out: make([]byte, 2)}, {Codec: PCMU, In: loud, Out: make([]byte, 2)},
		{Codec: PCMU, In: loud, Out: make([]byte, 2)}, {Codec: PCMA, Out: make([]byte, 2)}}
	m.Mix(legs, func(l, s int) bool { return l != 3 })
	got := Decode(nil, PCMU, legs[0].Out)
	if got[0] < 32000 || got[1] > -32000 {
		t.Fatalf("two loud legs mixed: got %v, want clipped to full scale", got)
	}
	for _, b := range legs[3].Out {
		if b != PCMA.Silence() {
			t.Fatalf("a leg hearing nobody got %#x, want silence", b)
		}
	}
}

func BenchmarkMixer4Legs(b *testing.B) {
	var m Mixer
	legs := make([]MixLeg, 4)
	for i := range legs {
		legs[i] = MixLeg{Codec: PCMU, In: Encode(nil, PCMU, Tone(440*float64(i+1), 0.2, 0, 160)), Out: make([]byte, 160)}
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Mix(legs, func(l, s int) bool { return true })
	}
}
