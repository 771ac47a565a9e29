package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// baresipUA is Debian's baresip (baresip-core, installed by .ci/test)
// run headless for a test and driven over its ctrl_tcp module: its
// microphone is a WAV file (aufile), it plays nothing (aubridge to nil),
// and its sndfile module records what it receives to a WAV in rec. The
// callers of TestPhoneCallWithBaresip and TestBrowserAnswersBaresipCall
// and the agent phone of TestBaresipAgentPhone are one each.
type baresipUA struct {
	t       *testing.T
	cmd     *exec.Cmd
	out     *syncBuffer // baresip's stdout and stderr, written by exec's copying goroutine
	ctrl    net.Conn
	drained chan struct{}
	rec     string // sndfile's directory
}

// needBaresip is baresip's path, or skips the test.
func needBaresip(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip-core; .ci/test does)")
	}
	return bin
}

// startBaresip runs baresip with mic as its microphone and account as its
// one account line (an accounts file line: "<sip:user@host>;params"), for
// at most life. It returns once ctrl_tcp takes commands; the process is
// killed at the end of the test at the latest.
func startBaresip(t *testing.T, mic, account string, life time.Duration) *baresipUA {
	t.Helper()
	bin := needBaresip(t)
	dir := t.TempDir()
	b := &baresipUA{t: t, out: &syncBuffer{}, drained: make(chan struct{}), rec: filepath.Join(dir, "rec")}
	if err := os.Mkdir(b.rec, 0o755); err != nil {
		t.Fatal(err)
	}
	ctrl := freePort(t)
	cfg := strings.Join([]string{
		"poll_method epoll", "sip_listen 127.0.0.1:" + freeSIPPort(t), "net_interface 127.0.0.1",
		"audio_player aubridge,nil", "audio_alert aubridge,nil", "audio_source aufile," + mic,
		"audio_buffer 20-160", "jitter_buffer_delay 5-10", "rtcp_mux no",
		"module_path /usr/lib/baresip/modules", "module g711.so", "module aufile.so", "module aubridge.so", "module sndfile.so",
		"module_tmp account.so", "module_app menu.so", "module_app ctrl_tcp.so",
		"ctrl_tcp_listen 127.0.0.1:" + ctrl, "snd_path " + b.rec, ""}, "\n")
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(account+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.cmd = exec.Command(bin, "-f", dir, "-t", strconv.Itoa(int(life/time.Second)))
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.stop)
	var err error
	for i := 0; ; i++ { // baresip takes a moment to listen
		if b.ctrl, err = net.Dial("tcp", "127.0.0.1:"+ctrl); err == nil {
			break
		}
		if i == 200 {
			t.Fatalf("baresip ctrl_tcp: %v\n%s", err, b.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// baresip's answers and events are not needed: drain them.
	go func() {
		defer close(b.drained)
		_, _ = io.Copy(io.Discard, b.ctrl)
	}()
	return b
}

// send gives baresip a ctrl_tcp command (a JSON netstring).
func (b *baresipUA) send(command, params string) {
	b.t.Helper()
	msg, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": command})
	if _, err := fmt.Fprintf(b.ctrl, "%d:%s,", len(msg), msg); err != nil {
		b.t.Fatalf("baresip %s: %v", command, err)
	}
}

// log is the end of baresip's output, for failure messages.
func (b *baresipUA) log() string { return tail(b.out.String(), 1500) }

// stop ends baresip: asked to quit (it closes its recording), killed
// if it has not within 10 s. Stopping twice is harmless.
func (b *baresipUA) stop() {
	if b.cmd.ProcessState != nil {
		return
	}
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		_ = b.cmd.Wait()
	}()
	if b.ctrl != nil {
		msg := `{"command":"quit","token":"quit"}`
		_, _ = fmt.Fprintf(b.ctrl, "%d:%s,", len(msg), msg)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-exited
	}
	if b.ctrl != nil {
		b.ctrl.Close()
		<-b.drained
	}
}

// received is what baresip received in its one call, read after stop.
func (b *baresipUA) received() []int16 {
	b.t.Helper()
	files, _ := filepath.Glob(filepath.Join(b.rec, "*-dec.wav"))
	if len(files) != 1 {
		b.t.Fatalf("baresip's received audio files %v, want one\n%s", files, b.log())
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		b.t.Fatal(err)
	}
	pcm, err := dumpPCM(raw)
	if err != nil {
		b.t.Fatalf("%s: %v", files[0], err)
	}
	return pcm
}

// receivedSoFar is what baresip has received in its call until now, read
// from the WAV sndfile is still writing (libsndfile writes each frame
// through). Nil while no recording has begun.
func (b *baresipUA) receivedSoFar() []int16 {
	files, _ := filepath.Glob(filepath.Join(b.rec, "*-dec.wav"))
	if len(files) != 1 {
		return nil
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		return nil
	}
	pcm, _ := dumpPCM(raw)
	return pcm
}

// dumpPCM is the 16-bit samples of a WAV sndfile wrote: the data chunk's
// length is only set when sndfile closes the file, so a recording still
// being written, or cut short by the process ending (as happened once
// under load: the data chunk read as empty), says 0 there or less than
// follows. Its samples are then everything after the chunk's header.
func dumpPCM(raw []byte) ([]int16, error) {
	if len(raw) < 12 || string(raw[:4]) != "RIFF" || string(raw[8:12]) != "WAVE" {
		return nil, fmt.Errorf("not a WAV file (%d bytes)", len(raw))
	}
	for rest := raw[12:]; len(rest) >= 8; {
		id, size := string(rest[:4]), int(binary.LittleEndian.Uint32(rest[4:8]))
		rest = rest[8:]
		if id == "data" {
			if size > 0 && size <= len(rest) {
				rest = rest[:size]
			}
			pcm := make([]int16, len(rest)/2)
			for n := range pcm {
				pcm[n] = int16(binary.LittleEndian.Uint16(rest[2*n:]))
			}
			return pcm, nil
		}
		if size > len(rest) {
			break
		}
		rest = rest[size+size%2:]
	}
	return nil, errors.New("no data chunk")
}

// waitMetric polls the server's /metrics until a line holds want, for at
// most within; on failure it shows baresip's log.
func waitMetric(t *testing.T, r *running, ua *baresipUA, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if _, body := get(t, r.base+"/metrics"); strings.Contains(body, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v\nbaresip: %s", want, within, ua.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freeSIPPort is a loopback port free for UDP and TCP whose next port is
// free for TCP: baresip's sip_listen binds UDP and TCP on it and SIP/TLS
// on the next one (baresip 1.0 always listens for TLS, with no setting to
// stop it). freePort checks TCP only: its UDP twin was taken (by other
// RTP sockets on a busy machine) in one run, the TLS port in another, and
// baresip failed to start with "Address already in use".
func freeSIPPort(t *testing.T) string {
	t.Helper()
	for range 100 {
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		free := port < 65535
		for p := port; free && p <= port+1; p++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if free = err == nil; free {
				l.Close()
			}
		}
		u.Close()
		if free {
			return strconv.Itoa(port)
		}
	}
	t.Fatal("no port free for UDP and TCP, with the next free for TCP")
	return ""
}

// wavFile is 8 kHz 16-bit mono PCM as a WAV file (what aufile and
// Chromium's fake capture read).
func wavFile(pcm []int16) []byte {
	var b []byte
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(36+2*len(pcm)))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1) // PCM
	b = binary.LittleEndian.AppendUint16(b, 1) // mono
	b = binary.LittleEndian.AppendUint32(b, 8000)
	b = binary.LittleEndian.AppendUint32(b, 16000)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(2*len(pcm)))
	for _, v := range pcm {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

func writeWAV(t *testing.T, path string, pcm []int16) {
	t.Helper()
	if err := os.WriteFile(path, wavFile(pcm), 0o644); err != nil {
		t.Fatal(err)
	}
}

// warblePCM is d of a tone alternating 1500 and 2000 Hz every 100 ms:
// not stationary, so a browser's noise suppression keeps it, and unlike
// the prompts or hold music (what sipCaller.listen and warbleFrames count
// as an agent).
func warblePCM(d time.Duration) []int16 {
	pcm := make([]int16, int(d/time.Second*8000))
	phase := 0.0
	for i := range pcm {
		f := 1500.0
		if (i/800)%2 == 1 {
			f = 2000
		}
		phase += 2 * math.Pi * f / 8000
		pcm[i] = int16(12000 * math.Sin(phase))
	}
	return pcm
}

// tonePCM is d of a steady tone at freq.
func tonePCM(d time.Duration, freq float64) []int16 {
	pcm := make([]int16, int(d/time.Second*8000))
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return pcm
}

func rms(pcm []int16) float64 {
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(max(len(pcm), 1)))
}

// toneFrames counts the 20 ms frames of pcm whose power is mostly at freq.
func toneFrames(pcm []int16, freq float64) int {
	n := 0
	for i := 0; i+160 <= len(pcm); i += 160 {
		if total := power(pcm[i : i+160]); total > 1e6 && goertzelPCM(pcm[i:i+160], freq) > total*160/4 {
			n++
		}
	}
	return n
}

// warbleFrames counts the 20 ms frames of pcm that are an agent's warble.
func warbleFrames(pcm []int16) int {
	n := 0
	for i := 0; i+160 <= len(pcm); i += 160 {
		if isWarble(pcm[i : i+160]) {
			n++
		}
	}
	return n
}

// isWarble reports whether most of a frame's power is at 1500 or 2000 Hz.
// The Goertzel power of a pure tone over N samples is about N/2 times the
// frame's total power; half of that is "most".
func isWarble(frame []int16) bool {
	total := power(frame)
	if total < 1e6 {
		return false // silence
	}
	return max(goertzelPCM(frame, 1500), goertzelPCM(frame, 2000)) > total*float64(len(frame))/4
}

func power(pcm []int16) float64 {
	var total float64
	for _, v := range pcm {
		total += float64(v) * float64(v)
	}
	return total
}

func goertzelPCM(pcm []int16, freq float64) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/8000)
	var s1, s2 float64
	for _, v := range pcm {
		s := float64(v) + k*s1 - s2
		s2, s1 = s1, s
	}
	return s1*s1 + s2*s2 - k*s1*s2
}

// TestDumpPCM: a recording sndfile has not closed (its data chunk's
// length still 0, as when baresip ends before closing it) gives the
// samples written so far; a closed one gives exactly its data chunk.
func TestDumpPCM(t *testing.T) {
	pcm := tonePCM(time.Second, 1000)
	whole := wavFile(pcm)
	open := append([]byte(nil), whole...)
	binary.LittleEndian.PutUint32(open[40:], 0) // the data chunk's length
	binary.LittleEndian.PutUint32(open[4:], 0)  // and the RIFF's
	partial := open[:44+2*1000+1]               // cut inside a sample
	for _, c := range []struct {
		name string
		raw  []byte
		want int
	}{{"closed", whole, len(pcm)}, {"open", open, len(pcm)}, {"partial", partial, 1000}, {"closed with a trailing chunk", append(whole, "LIST\x04\x00\x00\x00abcd"...), len(pcm)}} {
		got, err := dumpPCM(c.raw)
		if err != nil || len(got) != c.want || got[1] != pcm[1] || got[len(got)-1] != pcm[len(got)-1] {
			t.Errorf("%s: %d samples, %v; want %d", c.name, len(got), err, c.want)
		}
	}
	if _, err := dumpPCM([]byte("RIFF\x00\x00\x00\x00WAVE")); err == nil {
		t.Error("a WAV without a data chunk: no error")
	}
}
