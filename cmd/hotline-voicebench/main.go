// Command hotline-voicebench measures call setups per second against a
// real `hotline serve` with SIPp as the load, both on loopback: it starts
// the server binary in a child process (a fresh data directory, SIP and
// HTTP on free loopback ports), runs SIPp's bench_cps.xml scenario (answer,
// a short prompt, BYE) at -rate for -calls calls, and reports SIPp's
// successful and failed calls, the call-setup times, the server's CPU time
// per call and its memory per concurrent call and per sustained CPS.
//
//	go build -o /tmp/hotline ./cmd/hotline
//	go build -o /tmp/hotline-voicebench ./cmd/hotline-voicebench
//	nice -n 10 /tmp/hotline-voicebench -hotline /tmp/hotline -rate 2000 -calls 20000 -hold 500ms
//
// With -held N it measures instead the RTP send-interval jitter of N
// concurrent real SIP calls held in the IVR (held.go):
//
//	nice -n 10 /tmp/hotline-voicebench -hotline /tmp/hotline -held 3000 -held-rate 200 -measure 10s
//
// Every run is bounded: at most maxCalls calls and SIPp's own -timeout.
// Traffic stays on 127.0.0.1.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Bounds keep a run from hogging the shared machine.
const (
	maxCalls = 200000
	maxRate  = 20000
	maxHeld  = 20000
)

type config struct {
	hotline, sipp, scenario string
	rate, calls             int
	hold                    time.Duration
	serverArgs              []string
	profile                 string
	// The held-calls mode (hold.go): -held calls set up at -held-rate,
	// measured for -measure.
	held, heldRate, receivers int
	measure                   time.Duration
	callerRTP                 bool
}

func main() {
	var c config
	flag.StringVar(&c.hotline, "hotline", "hotline", "the hotline binary (go build -o /tmp/hotline ./cmd/hotline)")
	flag.StringVar(&c.sipp, "sipp", "sipp", "the SIPp binary (Debian's sip-tester)")
	flag.StringVar(&c.scenario, "scenario", "ivr/sip/testdata/sipp/bench_cps.xml", "SIPp scenario of one call")
	flag.IntVar(&c.rate, "rate", 2000, fmt.Sprintf("new calls per second (≤ %d)", maxRate))
	flag.IntVar(&c.calls, "calls", 20000, fmt.Sprintf("calls in all (≤ %d)", maxCalls))
	flag.DurationVar(&c.hold, "hold", 500*time.Millisecond, "how long each caller listens before its BYE")
	server := flag.String("server-args", "", "extra `hotline serve` flags, space separated (e.g. \"--log-level warn\")")
	flag.StringVar(&c.profile, "cpuprofile", "", "save the server's CPU profile of the run here (needs its debug listener, started by the tool)")
	flag.IntVar(&c.held, "held", 0, fmt.Sprintf("held-calls mode: set up this many calls (≤ %d), keep them all up in the IVR hearing prompts, and measure the RTP send-interval jitter of every call at the receiver (0: the call-setup benchmark)", maxHeld))
	flag.IntVar(&c.heldRate, "held-rate", 200, "held-calls mode: new calls per second while setting them up")
	flag.DurationVar(&c.measure, "measure", 10*time.Second, "held-calls mode: how long to measure once every call is up (≤ 2m)")
	flag.IntVar(&c.receivers, "receivers", 8, "held-calls mode: the receiving RTP sockets the calls' SDP spread over")
	flag.BoolVar(&c.callerRTP, "caller-rtp", false, "held-calls mode: every caller also sends RTP (PCMU silence every 20 ms), as a phone without voice activity detection does")
	flag.Parse()
	if c.held != 0 {
		if c.held < 1 || c.held > maxHeld || c.heldRate < 1 || c.heldRate > maxRate || c.measure <= 0 || c.measure > 2*time.Minute ||
			c.receivers < 1 || c.receivers > 256 {
			fmt.Fprintf(os.Stderr, "hotline-voicebench: -held 1..%d, -held-rate 1..%d, -measure up to 2m, -receivers 1..256\n", maxHeld, maxRate)
			os.Exit(2)
		}
		c.serverArgs = strings.Fields(*server)
		if err := runHeld(c); err != nil {
			fmt.Fprintln(os.Stderr, "hotline-voicebench:", err)
			os.Exit(1)
		}
		return
	}
	if c.rate < 1 || c.rate > maxRate || c.calls < 1 || c.calls > maxCalls || c.hold < 0 || c.hold > time.Minute {
		fmt.Fprintf(os.Stderr, "hotline-voicebench: -rate 1..%d, -calls 1..%d, -hold up to 1m\n", maxRate, maxCalls)
		os.Exit(2)
	}
	c.serverArgs = strings.Fields(*server)
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "hotline-voicebench:", err)
		os.Exit(1)
	}
}

func freePort(network string) (int, error) {
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	default:
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	}
}

// server is a `hotline serve` child process on loopback ports.
type server struct {
	cmd       *exec.Cmd
	logs      *tailBuffer
	base      string // its HTTP base URL
	sipPort   int
	debugPort int
	pid       int
	stop      func() // SIGTERM, then wait
}

// startServer starts the hotline binary with a fresh data directory in dir,
// SIP (UDP) and HTTP on free loopback ports, the admission limits lifted
// (the benchmark is the node's own limit, not the admission's), and
// extra flags after those; it returns once /readyz answers 200.
func startServer(ctx context.Context, c config, dir string, profile bool, extra ...string) (*server, error) {
	sipPort, err := freePort("udp")
	if err != nil {
		return nil, err
	}
	httpPort, err := freePort("tcp")
	if err != nil {
		return nil, err
	}
	debugPort, err := freePort("tcp")
	if err != nil {
		return nil, err
	}
	s := &server{logs: &tailBuffer{}, base: fmt.Sprintf("http://127.0.0.1:%d", httpPort), sipPort: sipPort, debugPort: debugPort}
	args := []string{"serve", "--data-dir", dir, "--ivr-always-open",
		"--http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--sip-udp-addr", fmt.Sprintf("127.0.0.1:%d", sipPort), "--sip-tcp-addr", "",
		"--sip-media-ip", "127.0.0.1",
		"--sip-max-calls", "0", "--sip-invites-per-source", strconv.Itoa(10 * maxRate)}
	if profile {
		// Only when profiling: the debug listener turns on block and
		// mutex sampling, about 3 % of the CPU per call, which a
		// production node does not pay.
		args = append(args, "--debug-addr", fmt.Sprintf("127.0.0.1:%d", debugPort))
	}
	args = append(args, extra...)
	args = append(args, c.serverArgs...)
	ctx, cancel := context.WithCancel(ctx)
	s.cmd = exec.CommandContext(ctx, c.hotline, args...)
	s.cmd.Cancel = func() error { return s.cmd.Process.Signal(syscall.SIGTERM) }
	s.cmd.WaitDelay = 30 * time.Second
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start %s: %w", c.hotline, err)
	}
	s.pid = s.cmd.Process.Pid
	s.stop = func() {
		cancel()
		_ = s.cmd.Wait()
	}
	if err := waitReady(s.base + "/readyz"); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\n%s", err, s.logs.String())
	}
	return s, nil
}

func run(c config) error {
	scenario, err := filepath.Abs(c.scenario)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "voicebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv, err := startServer(ctx, c, dir, c.profile != "")
	if err != nil {
		return err
	}
	defer srv.stop()
	sipPort, debugPort, base := srv.sipPort, srv.debugPort, srv.base
	pid := srv.pid
	mem0, _ := memory(pid)
	cpu0, err := cpuTime(pid)
	if err != nil {
		return err
	}
	io0, _ := ioCounters(pid)
	var profile chan error
	expected := time.Duration(c.calls)*time.Second/time.Duration(c.rate) + c.hold
	if c.profile != "" {
		profile = make(chan error, 1)
		go func() {
			profile <- fetch(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", debugPort, min(120, int(expected.Seconds())+1)), c.profile)
		}()
	}
	stat := filepath.Join(dir, "stat.csv")
	sargs := []string{fmt.Sprintf("127.0.0.1:%d", sipPort), "-sf", scenario, "-s", "10000",
		"-r", strconv.Itoa(c.rate), "-m", strconv.Itoa(c.calls), "-d", strconv.Itoa(int(c.hold.Milliseconds())),
		"-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", "0", "-mp", "0", "-nostdin", "-nd",
		"-l", strconv.Itoa(max(1000, 3*c.rate*int(c.hold/time.Millisecond+1000)/1000)),
		"-timeout", strconv.Itoa(int(expected.Seconds())+60) + "s", "-timeout_error",
		"-trace_stat", "-stf", stat, "-fd", "1", "-trace_rtt", "-rtt_freq", "100"}
	t0 := time.Now()
	sipp := exec.CommandContext(ctx, c.sipp, sargs...)
	sipp.Dir = dir
	out, sippErr := sipp.CombinedOutput()
	wall := time.Since(t0)
	// The load generator's own CPU: on the same cores as the server, a
	// saturated SIPp (one thread) caps the rate as much as the server does.
	var sippCPU time.Duration
	if sipp.ProcessState != nil {
		sippCPU = sipp.ProcessState.UserTime() + sipp.ProcessState.SystemTime()
	}
	cpu1, err := cpuTime(pid)
	if err != nil {
		return err
	}
	hwm, _ := peak(pid)
	io1, _ := ioCounters(pid)
	if profile != nil {
		if err := <-profile; err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
		}
	}
	row, err := lastStat(stat)
	if err != nil {
		return fmt.Errorf("sipp: %v: %w\n%s", sippErr, err, tail(out, 3000))
	}
	metrics, _ := get(base + "/metrics")
	rtt, _ := filepath.Glob(filepath.Join(dir, "*_rtt.csv"))
	setup := rtdQuantiles(rtt, "setup")

	load, _ := os.ReadFile("/proc/loadavg")
	concurrent := float64(c.rate) * (c.hold.Seconds() + setupSeconds(setup))
	fmt.Printf("hotline-voicebench rate=%d calls=%d hold=%v loadavg=%s", c.rate, c.calls, c.hold, load)
	fmt.Printf("sipp: created=%s successful=%s failed=%s call-rate=%s/s (wall %.1fs)\n",
		row["TotalCallCreated"], row["SuccessfulCall(C)"], row["FailedCall(C)"], row["CallRate(C)"], wall.Seconds())
	if rate, took, err := creationRate(stat); err == nil {
		// The set-up rate the server sustained: with 0 failed calls and a
		// bounded INVITE->200 below, every call SIPp started was answered.
		fmt.Printf("sipp: %s calls started in %.2fs: %.0f calls/s (CallRate(C) above also counts the last calls' hold and BYE)\n",
			row["TotalCallCreated"], took.Seconds(), rate)
	} else {
		fmt.Fprintln(os.Stderr, "creation rate:", err)
	}
	fmt.Printf("setup INVITE->200: %s\n", setup)
	fmt.Printf("server cpu: %.2f ms per call (%.0f%% of one core over the run)\n",
		float64((cpu1-cpu0).Microseconds())/1000/float64(c.calls), 100*(cpu1-cpu0).Seconds()/wall.Seconds())
	// Not disturbed by the machine's load, unlike the CPU time: what the
	// server's system calls wrote (the SQLite WAL, logs, RTP and SIP).
	fmt.Printf("server i/o: %.1f write system calls, %.1f KiB written, %.1f read system calls per call\n",
		float64(io1["syscw"]-io0["syscw"])/float64(c.calls), float64(io1["wchar"]-io0["wchar"])/1024/float64(c.calls),
		float64(io1["syscr"]-io0["syscr"])/float64(c.calls))
	fmt.Printf("sipp cpu: %.2f ms per call (%.0f%% of one core over the run)\n",
		float64(sippCPU.Microseconds())/1000/float64(c.calls), 100*sippCPU.Seconds()/wall.Seconds())
	if mem0 > 0 && hwm > mem0 {
		fmt.Printf("server memory: rss %d MiB before, peak %d MiB; %.1f KiB per concurrent call (~%.0f at once), %.0f KiB per sustained CPS\n",
			mem0>>20, hwm>>20, float64(hwm-mem0)/1024/concurrent, concurrent, float64(hwm-mem0)/1024/float64(c.rate))
	}
	var attempts float64
	for _, l := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(l, "hotline_sip_call_attempts_total") || strings.HasPrefix(l, "hotline_sip_calls_unconfirmed_total") ||
			strings.HasPrefix(l, "hotline_rtp_packets_total") {
			fmt.Println(l)
		}
		if v, ok := strings.CutPrefix(l, "hotline_sip_call_attempts_total{"); ok {
			if _, n, ok := strings.Cut(v, "} "); ok {
				f, _ := strconv.ParseFloat(n, 64)
				attempts += f
			}
		}
	}
	// The server counts each INVITE's final response when it sends it;
	// SIPp counts a call successful once its BYE is answered. A 200 whose
	// ACK never arrives shows as hotline_sip_calls_unconfirmed_total 32 s
	// (64*T1) later, after this run has been read.
	fmt.Printf("server: %.0f INVITEs answered (all codes) for SIPp's %s calls\n", attempts, row["TotalCallCreated"])
	if sippErr != nil {
		return fmt.Errorf("sipp: %v\n%s", sippErr, tail(out, 3000))
	}
	if row["FailedCall(C)"] != "0" {
		return errors.New("failed calls")
	}
	return nil
}

func waitReady(url string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("server not ready after 2m")
}

func get(url string) (string, error) {
	res, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

func fetch(url, path string) error {
	res, err := http.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// cpuTime is the process's user+system time from /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc/PID/stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz, nil
}

// ioCounters is /proc/PID/io (rchar, wchar, syscr, syscw, …).
func ioCounters(pid int) (map[string]int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return nil, err
	}
	m := map[string]int64{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok {
			m[k], _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return m, nil
}

func memory(pid int) (int64, error) { return status(pid, "VmRSS:") }
func peak(pid int) (int64, error)   { return status(pid, "VmHWM:") }

func status(pid int, key string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("%s not in /proc/%d/status", key, pid)
}

// lastStat is the last row of SIPp's -trace_stat CSV, by column name.
func lastStat(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, errors.New("no statistics row")
	}
	row := map[string]string{}
	for i, name := range rows[0] {
		if i < len(rows[len(rows)-1]) {
			row[name] = rows[len(rows)-1][i]
		}
	}
	return row, nil
}

// creationRate is how fast SIPp started the calls: all of them over the
// time from its start until it created the last one. SIPp's CallRate(C)
// divides by the whole run instead, the last calls' hold and BYE included,
// so at -rate 2000 -calls 20000 -hold 500ms a server that keeps up exactly
// reads 20 000 / 10.5 s ≈ 1 900 there. The moment the last call was
// created lies within a once-a-second statistics row; it is placed at the
// rate of the row before (or at the row's end if there is none).
func creationRate(path string) (rate float64, took time.Duration, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return 0, 0, err
	}
	if len(rows) < 3 {
		return 0, 0, errors.New("too few statistics rows")
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	field := func(row []string, name string) (string, error) {
		i, ok := col[name]
		if !ok || i >= len(row) {
			return "", fmt.Errorf("statistics: no %s", name)
		}
		return row[i], nil
	}
	// Times are "date<TAB>time<TAB>epoch seconds".
	epoch := func(row []string, name string) (float64, error) {
		v, err := field(row, name)
		if err != nil {
			return 0, err
		}
		return strconv.ParseFloat(v[strings.LastIndexByte(v, '\t')+1:], 64)
	}
	created := func(row []string) (float64, error) {
		v, err := field(row, "TotalCallCreated")
		if err != nil {
			return 0, err
		}
		return strconv.ParseFloat(v, 64)
	}
	start, err := epoch(rows[1], "StartTime")
	if err != nil {
		return 0, 0, err
	}
	total, err := created(rows[len(rows)-1])
	if err != nil || total <= 0 {
		return 0, 0, fmt.Errorf("statistics: no calls created (%v)", err)
	}
	prevT, prevC, prevRate := start, 0.0, 0.0
	for _, row := range rows[1:] {
		t, err := epoch(row, "CurrentTime")
		if err != nil {
			return 0, 0, err
		}
		c, err := created(row)
		if err != nil {
			return 0, 0, err
		}
		if c >= total {
			done := t
			if prevRate > 0 {
				done = min(t, prevT+(total-prevC)/prevRate)
			}
			if done <= start {
				return 0, 0, errors.New("statistics: no time elapsed")
			}
			took := done - start
			return total / took, time.Duration(took * float64(time.Second)), nil
		}
		if t > prevT {
			prevRate = (c - prevC) / (t - prevT)
		}
		prevT, prevC = t, c
	}
	return 0, 0, errors.New("statistics: the last call's creation not found")
}

// quantiles of one response-time measure from SIPp's -trace_rtt files.
type quantiles struct {
	n             int
	p50, p99, max time.Duration
}

func (q quantiles) String() string {
	if q.n == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50=%v p99=%v max=%v (%d calls)", q.p50, q.p99, q.max, q.n)
}

func setupSeconds(q quantiles) float64 { return q.p50.Seconds() }

var rttLine = regexp.MustCompile(`^[0-9.]+;([0-9.]+);(\S+)$`)

// rtdQuantiles reads SIPp's rtt files: date_ms;rtt_ms;rtd_name.
func rtdQuantiles(files []string, name string) quantiles {
	var ms []float64
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			m := rttLine.FindStringSubmatch(strings.TrimSpace(l))
			if m == nil || strings.TrimSpace(m[2]) != name {
				continue
			}
			v, err := strconv.ParseFloat(m[1], 64)
			if err == nil {
				ms = append(ms, v)
			}
		}
	}
	return quantilesOf(ms)
}

// quantilesOf milliseconds.
func quantilesOf(ms []float64) quantiles {
	if len(ms) == 0 {
		return quantiles{}
	}
	slices.Sort(ms)
	at := func(p float64) time.Duration {
		return time.Duration(ms[min(len(ms)-1, int(p*float64(len(ms))))] * float64(time.Millisecond))
	}
	return quantiles{n: len(ms), p50: at(0.5), p99: at(0.99), max: at(1)}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// tailBuffer keeps the last 64 KiB of the server's log for error reports.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 64<<10 {
		t.b = t.b[len(t.b)-64<<10:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
