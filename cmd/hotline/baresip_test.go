package main

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline10000/hotline/ivr/media"
)

// TestPhoneCallWithBaresip calls the running server with baresip
// (Debian's baresip-core, installed by .ci/test), headless, driven over
// its ctrl_tcp module: the caller's microphone is a WAV file (aufile) with
// an in-band key 9 (English) during the main menu, then an RFC 4733 key 1
// (balance) is sent once the 9 was heard; baresip's sndfile module saves
// the audio it received, which must be the prompts: not silence, the
// welcome where it belongs, and as long as the call.
func TestPhoneCallWithBaresip(t *testing.T) {
	needBaresip(t)
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open", "--sip-rtp-timeout", "5m")
	waitReady(t, r.base)
	sipAddr := sipUDPAddr(t, r)
	// The welcome lasts about 6.4 s; the menu follows at once and takes
	// keys while it plays.
	mic := filepath.Join(t.TempDir(), "mic.wav")
	writeWAV(t, mic, dtmfPCM(60*time.Second, 9*time.Second, '9'))
	ua := startBaresip(t, mic, "<sip:13300000004@127.0.0.1>;regint=0;audio_codecs=PCMU", 120*time.Second)
	started := time.Now()
	ua.send("dial", "sip:10000@"+sipAddr)
	waitMetric(t, r, ua, `hotline_dtmf_digits_total{method="inband"} 1`, 40*time.Second)
	ua.send("sndcode", "1")
	waitMetric(t, r, ua, `hotline_dtmf_digits_total{method="rfc4733"} 1`, 20*time.Second)
	// The balance, read in English, lasts about 14 s; then the menu again.
	time.Sleep(16 * time.Second)
	ua.send("hangup", "")
	callLen := time.Since(started)
	waitMetric(t, r, ua, `hotline_sip_calls_in_progress 0`, 20*time.Second)
	ua.stop()
	pcm := ua.received()
	got := time.Duration(len(pcm)) * time.Second / 8000
	if got < callLen-3*time.Second || got > callLen+time.Second {
		t.Errorf("received %v of audio in a call of %v", got, callLen)
	}
	// Every second of it carries sound: prompts, no gaps of silence
	// longer than the pauses between them.
	silent := 0
	for i := 0; i+8000 <= len(pcm); i += 8000 {
		if rms(pcm[i:i+8000]) < 300 {
			silent++
		}
	}
	if seconds := len(pcm) / 8000; silent > seconds/5 {
		t.Errorf("%d of %d seconds received are silent", silent, seconds)
	}
	// The first five seconds are the welcome prompt: as loud as its file.
	welcome, err := media.LoadWAV("../../ivr/prompts/zh/welcome.wav")
	if err != nil {
		t.Fatal(err)
	}
	n := int(welcome.Duration()/time.Second) * 8000
	if want, got := rms(welcome.PCM()[:n]), rms(pcm[:n]); got < want/3 {
		t.Errorf("first %v received at rms %.0f, the welcome prompt is %.0f", welcome.Duration(), got, want)
	}
}

// dtmfPCM is d of silence with the key's two tones (ITU-T Q.23) for
// 200 ms at at.
func dtmfPCM(d, at time.Duration, key byte) []int16 {
	low := map[byte]float64{'1': 697, '9': 852}[key]
	high := map[byte]float64{'1': 1209, '9': 1477}[key]
	pcm := make([]int16, int(d/time.Second*8000))
	from := int(at / time.Millisecond * 8)
	for i := 0; i < 1600; i++ {
		x := float64(i) / 8000
		pcm[from+i] = int16(6000*math.Sin(2*math.Pi*low*x) + 6000*math.Sin(2*math.Pi*high*x))
	}
	return pcm
}
