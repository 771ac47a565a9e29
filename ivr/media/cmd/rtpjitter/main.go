// Command rtpjitter measures the voice media plane under load on loopback:
// it starts -legs paced legs (each on its own UDP socket, as calls are),
// plays a prompt-length clip on each, and measures at the receiver how far
// each stream's packet intervals stray from the packet time (send-interval
// jitter), plus memory and CPU per leg.
//
//	go run ./ivr/media/cmd/rtpjitter -legs 3000 -dur 10s
//	go run ./ivr/media/cmd/rtpjitter -legs 3000 -dur 10s -mode ticker
//	go run ./ivr/media/cmd/rtpjitter -legs 3000 -dur 10s -batch=false
//
// -batch=false makes the Pacer send one sendto per packet instead of each
// slot's packets in one io_uring batch (its default where io_uring works;
// the first output line says which ran).
//
// -mode ticker is the baseline the Pacer replaces: one goroutine and one
// time.Ticker per stream, the way diago's RTP writer paces.
//
// The receiver runs in a child process (the same binary with -role
// receive), so the CPU time reported per packet sent is the sender's own
// (the pacer, the legs and their system calls), not the measuring side's.
// It reads with recvmmsg (golang.org/x/net/ipv4 ReadBatch) to take as
// little of the shared CPU as it can.
//
// Traffic goes to loopback only; the run is bounded by -dur.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/hotline10000/hotline/ivr/media"
)

func main() {
	legs := flag.Int("legs", 3000, "concurrent legs")
	dur := flag.Duration("dur", 10*time.Second, "measured duration (after ramp-up)")
	ptime := flag.Duration("ptime", 20*time.Millisecond, "packet time")
	mode := flag.String("mode", "pacer", "pacer (media.Pacer) or ticker (a time.Ticker per leg)")
	batch := flag.Bool("batch", true, "pacer: send each slot's packets in io_uring batches (false: one sendto per packet)")
	pollRx := flag.Bool("pollrx", true, "pacer: the shards read the legs' sockets in their slots (false: a reader goroutine per leg); nothing is sent to the legs here, so this adds the cost of finding each socket empty")
	rxPoll := flag.Duration("rxpoll", time.Millisecond, "receiver: drain its sockets this often without epoll (0: block in epoll as before)")
	receivers := flag.Int("receivers", 4, "receiving sockets (goroutines)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measured run here")
	role := flag.String("role", "send", "send (the legs; starts the receiver) or receive (the child process)")
	flag.Parse()
	if *role == "receive" {
		if err := receive(*receivers, *ptime, *rxPoll); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *legs < 1 || *legs > 20000 || *dur <= 0 || *dur > 10*time.Minute {
		log.Fatal("rtpjitter: -legs 1..20000, -dur up to 10m")
	}
	if err := run(*legs, *dur, *ptime, *mode, *receivers, *batch, *pollRx, *rxPoll); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func run(nLegs int, dur, ptime time.Duration, mode string, nRecv int, batch, pollRx bool, rxPoll time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), dur+time.Minute)
	defer cancel()

	rx, err := startReceiver(ctx, nRecv, ptime, rxPoll)
	if err != nil {
		return err
	}
	defer rx.close()

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	clip := media.NewClipPCM("load", make([]int16, int(dur.Seconds()+5)*media.SampleRate))
	pacer := media.NewPacerWith(ctx, media.PacerOptions{PlainSends: !batch, ReaderGoroutines: !pollRx})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var closers []func()
	var legs []*media.Leg
	for i := range nLegs {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return fmt.Errorf("leg %d: %w", i, err)
		}
		to := rx.addrs[i%len(rx.addrs)]
		switch mode {
		case "pacer":
			leg, err := media.NewLeg(media.LegConfig{Conn: conn, Remote: to, Codec: media.PCMU, PTime: ptime, Pacer: pacer})
			if err != nil {
				return err
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				leg.Play(ctx, false, clip)
			}()
			closers = append(closers, func() { leg.Close() })
			legs = append(legs, leg)
		case "ticker":
			wg.Add(1)
			go func() {
				defer wg.Done()
				tickerLeg(conn, to, ptime, stop)
			}()
			closers = append(closers, func() { conn.Close() })
		default:
			return fmt.Errorf("mode %q: want pacer or ticker", mode)
		}
	}
	time.Sleep(2 * time.Second) // ramp-up: let every stream start
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	perLeg := (float64(after.HeapInuse+after.StackInuse) - float64(before.HeapInuse+before.StackInuse)) / float64(nLegs)

	if err := rx.command("reset"); err != nil {
		return err
	}
	sent0 := sent(legs)
	cpu0 := cpuTime()
	t0 := time.Now()
	time.Sleep(dur)
	wall := time.Since(t0)
	cpu := cpuTime() - cpu0
	nSent := sent(legs) - sent0
	var res result
	if err := rx.command("result"); err != nil {
		return err
	}
	if err := rx.dec.Decode(&res); err != nil {
		return fmt.Errorf("receiver: %w", err)
	}

	close(stop)
	for _, c := range closers {
		c()
	}
	cancel()
	wg.Wait()
	pacer.Wait()

	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("mode=%s batched=%v legs=%d ptime=%v dur=%v GOMAXPROCS=%d loadavg=%s", mode, mode == "pacer" && pacer.Batched(), nLegs, ptime, dur, runtime.GOMAXPROCS(0), load)
	expected := float64(nLegs) * wall.Seconds() / ptime.Seconds()
	fmt.Printf("packets received=%d expected=%d (%.2f%%) out-of-order/lost=%d\n", res.Packets, int64(expected), 100*float64(res.Packets)/expected, res.Gaps)
	fmt.Printf("interval jitter |Δ-ptime|: p50=%v p99=%v p99.9=%v max=%v\n", res.P50, res.P99, res.P999, res.Max)
	perPacket := "n/a (-mode ticker counts no packets)"
	if nSent > 0 {
		perPacket = fmt.Sprintf("%.2f µs", float64(cpu.Nanoseconds())/1000/float64(nSent))
	}
	fmt.Printf("sender: memory per leg=%.1f KiB (heap+stacks) cpu=%.0f%% of one core, %s per packet sent; receiver process cpu=%.0f%% of one core\n",
		perLeg/1024, 100*cpu.Seconds()/wall.Seconds(), perPacket, 100*res.CPU.Seconds()/wall.Seconds())
	return nil
}

// tickerLeg paces one stream with its own ticker: the baseline.
func tickerLeg(conn *net.UDPConn, to netip.AddrPort, ptime time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(ptime)
	defer t.Stop()
	buf := make([]byte, 12+int(ptime*media.SampleRate/time.Second))
	buf[0] = 0x80
	ssrc := rand.Uint32()
	binary.BigEndian.PutUint32(buf[8:], ssrc)
	for seq := uint16(0); ; seq++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		binary.BigEndian.PutUint16(buf[2:], seq)
		conn.WriteToUDPAddrPort(buf, to)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sent(legs []*media.Leg) uint64 {
	var n uint64
	for _, l := range legs {
		n += l.Stats().PacketsSent
	}
	return n
}

// child is the receiver process, driven by lines on its stdin ("reset",
// "result") and answering in JSON on its stdout.
type child struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	dec   *json.Decoder
	addrs []netip.AddrPort
}

func startReceiver(ctx context.Context, n int, ptime, rxPoll time.Duration) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-role", "receive", "-receivers", strconv.Itoa(n), "-ptime", ptime.String(), "-rxpoll", rxPoll.String())
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, in: in, dec: json.NewDecoder(out)}
	if err := c.dec.Decode(&c.addrs); err != nil {
		c.close()
		return nil, fmt.Errorf("receiver: %w", err)
	}
	return c, nil
}

func (c *child) command(s string) error {
	_, err := io.WriteString(c.in, s+"\n")
	return err
}

func (c *child) close() {
	c.in.Close() // the receiver exits at the end of its input
	_ = c.cmd.Wait()
}

// receive is the child process: it prints its addresses, then answers
// commands until its stdin ends.
func receive(n int, ptime, rxPoll time.Duration) error {
	var (
		r   *receiver
		err error
	)
	if rxPoll > 0 {
		r, err = newPollReceiver(n, ptime, rxPoll)
	} else {
		r, err = newReceiver(n, ptime)
	}
	if err != nil {
		return err
	}
	defer r.close()
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(r.addrs); err != nil {
		return err
	}
	var cpu0 time.Duration
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "reset":
			r.reset()
			cpu0 = cpuTime()
		case "result":
			if rxPoll > 0 {
				// What is queued in the sockets was sent in the window:
				// let the pollers read it.
				time.Sleep(3*rxPoll + 50*time.Millisecond)
			}
			res := r.result()
			res.CPU = cpuTime() - cpu0
			if err := enc.Encode(res); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}

// receiver timestamps packets (kernel receive time) and keeps, per SSRC, the
// deviation of each interval from the packet time in a 10 µs histogram.
type receiver struct {
	conns []*net.UDPConn
	fds   []int         // the poll receiver's sockets
	stop  chan struct{} // ends the poll receiver
	addrs []netip.AddrPort
	ptime time.Duration
	wg    sync.WaitGroup
	mu    sync.Mutex
	hist  []uint64 // 10 µs buckets up to 1 s
	pkts  atomic.Int64
	gaps  atomic.Int64
}

type stream struct {
	at  time.Time
	seq uint16
}

type result struct {
	Packets, Gaps       int64
	P50, P99, P999, Max time.Duration
	CPU                 time.Duration // the receiver process's
}

const bucket = 10 * time.Microsecond

func newReceiver(n int, ptime time.Duration) (*receiver, error) {
	r := &receiver{ptime: ptime, hist: make([]uint64, 100000)}
	for range n {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, err
		}
		c.SetReadBuffer(4 << 20)
		if err := media.EnableRecvTimestamps(c); err != nil {
			return nil, err
		}
		r.conns = append(r.conns, c)
		r.addrs = append(r.addrs, c.LocalAddr().(*net.UDPAddr).AddrPort())
		r.wg.Add(1)
		go r.read(c)
	}
	return r, nil
}

// read takes up to 64 datagrams per recvmmsg.
func (r *receiver) read(c *net.UDPConn) {
	defer r.wg.Done()
	const batch = 64
	pc := ipv4.NewPacketConn(c)
	msgs := make([]ipv4.Message, batch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 1500)}
		msgs[i].OOB = make([]byte, 128)
	}
	var a accumulator
	for {
		n, err := pc.ReadBatch(msgs, 0)
		if err != nil {
			return
		}
		for _, m := range msgs[:n] {
			a.packet(r, m.Buffers[0][:m.N], m.OOB[:m.NN])
		}
		a.fold(r)
	}
}

// accumulator is one reading goroutine's state.
type accumulator struct {
	local map[uint32]stream
	hist  []int // buckets of this batch, folded in under one lock
}

func (a *accumulator) packet(r *receiver, buf, oob []byte) {
	if a.local == nil {
		a.local = map[uint32]stream{}
	}
	now := media.RecvTimestamp(oob)
	if now.IsZero() {
		now = time.Now()
	}
	if len(buf) < 12 {
		return
	}
	seq := binary.BigEndian.Uint16(buf[2:])
	ssrc := binary.BigEndian.Uint32(buf[8:])
	r.pkts.Add(1)
	prev, ok := a.local[ssrc]
	a.local[ssrc] = stream{now, seq}
	if !ok {
		return
	}
	if seq != prev.seq+1 {
		r.gaps.Add(1)
		return
	}
	d := now.Sub(prev.at) - r.ptime
	if d < 0 {
		d = -d
	}
	a.hist = append(a.hist, min(int(d/bucket), len(r.hist)-1))
}

func (a *accumulator) fold(r *receiver) {
	r.mu.Lock()
	for _, h := range a.hist {
		r.hist[h]++
	}
	r.mu.Unlock()
	a.hist = a.hist[:0]
}

// newPollReceiver is the receiver without epoll: its sockets are plain
// descriptors, each drained with non-blocking recvmmsg every poll. A
// socket some goroutine waits on in epoll makes every datagram queued to it
// wake that waiter, and on loopback the sender's sendto pays for the
// wake-up; the phones of a real deployment are other machines. The
// kernel's receive timestamps do not depend on when the datagrams are
// read.
func newPollReceiver(n int, ptime, poll time.Duration) (*receiver, error) {
	r := &receiver{ptime: ptime, hist: make([]uint64, 100000), stop: make(chan struct{})}
	for range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		r.fds = append(r.fds, fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			return nil, err
		}
		// Room for a stalled reader (a busy machine): 16 MiB if allowed.
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20) != nil {
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
			return nil, err
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			return nil, err
		}
		r.addrs = append(r.addrs, netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port)))
		r.wg.Add(1)
		go r.poll(fd, poll)
	}
	return r, nil
}

func (r *receiver) poll(fd int, every time.Duration) {
	defer r.wg.Done()
	rb := media.NewRecvBatch(64)
	var a accumulator
	for {
		select {
		case <-r.stop:
			return
		case <-time.After(every):
		}
		for {
			n := rb.Read(fd)
			if n == 0 {
				break
			}
			for i := range n {
				b, oob := rb.Datagram(i)
				a.packet(r, b, oob)
			}
			a.fold(r)
		}
	}
}

func (r *receiver) reset() {
	r.mu.Lock()
	clear(r.hist)
	r.mu.Unlock()
	r.pkts.Store(0)
	r.gaps.Store(0)
}

func (r *receiver) result() result {
	r.mu.Lock()
	h := slices.Clone(r.hist)
	r.mu.Unlock()
	var total uint64
	for _, c := range h {
		total += c
	}
	q := func(p float64) time.Duration {
		want := uint64(p * float64(total))
		var acc uint64
		for i, c := range h {
			acc += c
			if acc > want {
				return time.Duration(i+1) * bucket
			}
		}
		return time.Duration(len(h)) * bucket
	}
	res := result{Packets: r.pkts.Load(), Gaps: r.gaps.Load(), P50: q(0.5), P99: q(0.99), P999: q(0.999)}
	for i := len(h) - 1; i >= 0; i-- {
		if h[i] > 0 {
			res.Max = time.Duration(i+1) * bucket
			break
		}
	}
	return res
}

func (r *receiver) close() {
	for _, c := range r.conns {
		c.Close()
	}
	if r.stop != nil {
		close(r.stop)
	}
	r.wg.Wait()
	for _, fd := range r.fds {
		unix.Close(fd)
	}
}
