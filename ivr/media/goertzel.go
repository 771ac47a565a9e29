package media

import "math"

// In-band DTMF detection (ITU-T Q.23/Q.24) with the Goertzel algorithm:
// eight single-bin DFTs over blocks of 205 samples at 8 kHz (25.6 ms, the
// classic choice whose bins fall near all eight frequencies). Written here
// because no maintained Go package does it; it is about 100 lines.

const toneBlock = 205

var (
	rowFreqs = [4]float64{697, 770, 852, 941}
	colFreqs = [4]float64{1209, 1336, 1477, 1633}
	keypad   = [4][4]byte{{'1', '2', '3', 'A'}, {'4', '5', '6', 'B'}, {'7', '8', '9', 'C'}, {'*', '0', '#', 'D'}}
	rowCoef  = coefs(rowFreqs)
	colCoef  = coefs(colFreqs)
)

func coefs(f [4]float64) (c [4]float64) {
	for i := range f {
		c[i] = 2 * math.Cos(2*math.Pi*f[i]/SampleRate)
	}
	return c
}

// Detection thresholds.
const (
	// minTonePower: each tone at least ~-36 dBm0 (amplitude ~500 of 32767);
	// a Goertzel bin of a sine of amplitude A over N samples holds (A·N/2)².
	minTonePower = (500.0 * toneBlock / 2) * (500.0 * toneBlock / 2)
	// Twist limits of Q.24: the high tone may be up to 8 dB weaker
	// (normal twist) or 4 dB stronger (reverse) than the low one.
	normalTwist  = 6.3 // 8 dB
	reverseTwist = 2.5 // 4 dB
	// Each tone must beat the others of its group by 8 dB.
	groupMargin = 6.3
	// The two tones must hold most of the block's energy (speech spreads
	// it); 1.0 is a pure dual tone.
	minToneShare = 0.6
	// A key is reported after this many consecutive blocks (~51 ms, Q.24
	// asks for 40 ms) and ends at the first block without it.
	minBlocks = 2
)

// toneDetector finds keys in a stream of 8 kHz samples.
type toneDetector struct {
	buf   [toneBlock]float64
	n     int
	key   byte // key seen in the last block(s), 0 for none
	count int  // consecutive blocks with key
}

// samples feeds linear audio; emit is called when a key press ends.
func (t *toneDetector) samples(pcm []int16, emit func(Digit)) {
	for _, s := range pcm {
		t.buf[t.n] = float64(s)
		t.n++
		if t.n == toneBlock {
			t.n = 0
			t.block(emit)
		}
	}
}

func (t *toneDetector) block(emit func(Digit)) {
	k := detectKey(&t.buf)
	if k == t.key {
		t.count++
		return
	}
	if t.key != 0 && t.count >= minBlocks {
		emit(Digit{Key: t.key, Method: MethodInband, Duration: durationOf(t.count * toneBlock)})
	}
	t.key, t.count = k, 1
}

// detectKey returns the key held throughout the block, or 0.
func detectKey(x *[toneBlock]float64) byte {
	var energy float64
	for _, s := range x {
		energy += s * s
	}
	// No bin can hold more than N times the block's energy
	// (Cauchy-Schwarz), and a key needs two bins of minTonePower: a quiet
	// block (silence, line noise, a caller listening to a prompt) is
	// decided without the eight passes, which are most of the receive
	// side's CPU per packet (BenchmarkReceiveAudio). The factor 2 keeps
	// float rounding away from the edge.
	if toneBlock*energy < minTonePower/2 {
		return 0
	}
	var rows, cols [4]float64
	for i := range 4 {
		rows[i] = goertzel(x, rowCoef[i])
		cols[i] = goertzel(x, colCoef[i])
	}
	r, rp := peak(rows)
	c, cp := peak(cols)
	if rp < minTonePower || cp < minTonePower {
		return 0
	}
	if cp < rp/normalTwist || rp < cp/reverseTwist {
		return 0
	}
	for i := range 4 {
		if (i != r && rows[i]*groupMargin > rp) || (i != c && cols[i]*groupMargin > cp) {
			return 0
		}
	}
	// Parseval: a bin of a tone holds N/2 times the tone's share of energy.
	if 2*(rp+cp)/(toneBlock*energy) < minToneShare {
		return 0
	}
	return keypad[r][c]
}

func goertzel(x *[toneBlock]float64, coef float64) float64 {
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+coef*s1-s2, s1
	}
	return s1*s1 + s2*s2 - coef*s1*s2
}

func peak(p [4]float64) (int, float64) {
	best := 0
	for i := 1; i < 4; i++ {
		if p[i] > p[best] {
			best = i
		}
	}
	return best, p[best]
}
