package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip-core; .ci/test does)")
	}
	r := start(t, "--data-dir", t.TempDir(), "--ivr-always-open", "--sip-rtp-timeout", "5m")
	waitReady(t, r.base)
	m := regexp.MustCompile(`msg=listening sip=(\S+) transport=udp`).FindStringSubmatch(r.stderr.String())
	if m == nil {
		t.Fatalf("no SIP listener logged: %s", r.stderr)
	}
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	if err := os.Mkdir(rec, 0o755); err != nil {
		t.Fatal(err)
	}
	// The welcome lasts about 6.4 s; the menu follows at once and takes
	// keys while it plays.
	writeMic(t, filepath.Join(dir, "mic.wav"), 60*time.Second, 9*time.Second, '9')
	ctrl := freePort(t)
	cfg := strings.Join([]string{
		"poll_method epoll", "sip_listen 127.0.0.1:" + freeSIPPort(t), "net_interface 127.0.0.1",
		"audio_player aubridge,nil", "audio_alert aubridge,nil", "audio_source aufile," + filepath.Join(dir, "mic.wav"),
		"audio_buffer 20-160", "jitter_buffer_delay 5-10", "rtcp_mux no",
		"module_path /usr/lib/baresip/modules", "module g711.so", "module aufile.so", "module aubridge.so", "module sndfile.so",
		"module_tmp account.so", "module_app menu.so", "module_app ctrl_tcp.so",
		"ctrl_tcp_listen 127.0.0.1:" + ctrl, "snd_path " + rec, ""}, "\n")
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte("<sip:13300000004@127.0.0.1>;regint=0;audio_codecs=PCMU\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", dir, "-t", "120")
	var out syncBuffer // written by exec's copying goroutine while the test reads it
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var conn net.Conn
	for i := 0; ; i++ { // baresip takes a moment to listen
		if conn, err = net.Dial("tcp", "127.0.0.1:"+ctrl); err == nil {
			break
		}
		if i == 200 {
			t.Fatalf("baresip ctrl_tcp: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	send := func(command, params string) {
		b, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": command})
		if _, err := fmt.Fprintf(conn, "%d:%s,", len(b), b); err != nil {
			t.Fatal(err)
		}
	}
	// baresip's answers and events are not needed: drain them.
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		_, _ = io.Copy(io.Discard, conn)
	}()
	defer func() { conn.Close(); <-drained }()
	started := time.Now()
	send("dial", "sip:10000@"+m[1])
	waitMetric := func(want string, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			if _, body := get(t, r.base+"/metrics"); strings.Contains(body, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s within %v\nbaresip: %s", want, within, tail(out.String(), 1500))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitMetric(`hotline_dtmf_digits_total{method="inband"} 1`, 40*time.Second)
	send("sndcode", "1")
	waitMetric(`hotline_dtmf_digits_total{method="rfc4733"} 1`, 20*time.Second)
	// The balance, read in English, lasts about 14 s; then the menu again.
	time.Sleep(16 * time.Second)
	send("hangup", "")
	callLen := time.Since(started)
	waitMetric(`hotline_sip_calls_in_progress 0`, 20*time.Second)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	files, _ := filepath.Glob(filepath.Join(rec, "*-dec.wav"))
	if len(files) != 1 {
		t.Fatalf("received audio files %v, want one\n%s", files, tail(out.String(), 1500))
	}
	pcm := readPCM(t, files[0])
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

// freeSIPPort is a loopback port free for both UDP and TCP, as baresip's
// sip_listen binds both. freePort checks TCP only: its UDP twin was taken
// (by other RTP sockets on a busy machine) in one run, and baresip failed
// to start with "Address already in use".
func freeSIPPort(t *testing.T) string {
	t.Helper()
	for range 100 {
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		u.Close()
		if err == nil {
			l.Close()
			return strconv.Itoa(port)
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return ""
}

// writeMic writes the caller's microphone: 8 kHz 16-bit mono silence of
// length d with the DTMF key's two tones (ITU-T Q.23) for 200 ms at at.
func writeMic(t *testing.T, path string, d, at time.Duration, key byte) {
	t.Helper()
	low := map[byte]float64{'1': 697, '9': 852}[key]
	high := map[byte]float64{'1': 1209, '9': 1477}[key]
	n := int(d / time.Second * 8000)
	pcm := make([]int16, n)
	from := int(at / time.Millisecond * 8)
	for i := 0; i < 1600; i++ {
		x := float64(i) / 8000
		pcm[from+i] = int16(6000*math.Sin(2*math.Pi*low*x) + 6000*math.Sin(2*math.Pi*high*x))
	}
	var b []byte
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(36+2*n))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1) // PCM
	b = binary.LittleEndian.AppendUint16(b, 1) // mono
	b = binary.LittleEndian.AppendUint32(b, 8000)
	b = binary.LittleEndian.AppendUint32(b, 16000)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(2*n))
	for _, v := range pcm {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readPCM reads the samples of a 16-bit mono WAV (sndfile's dump).
func readPCM(t *testing.T, path string) []int16 {
	t.Helper()
	c, err := media.LoadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	return c.PCM()
}

func rms(pcm []int16) float64 {
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(max(len(pcm), 1)))
}
