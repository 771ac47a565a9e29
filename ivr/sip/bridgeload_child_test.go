//go:build linux

package sip

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/hotline10000/hotline/ivr/media"
)

// The simulated phones' RTP runs in a child process (this test binary
// re-executed with bridgedChildEnv set), so that the figures of
// TestBridgedCallsLoad are the server's: its process CPU no longer
// includes the phones' sends and receives, and the phones' scheduling
// does not compete with the server's goroutines inside one runtime. The
// two talk over a pipe pair (the child's fds 3 and 4), one command a
// line; see bridgedRTPChild.
const bridgedChildEnv = "HOTLINE_BRIDGED_RTP_CHILD"

// rtpProc is the parent's handle on the child's rtpHarness.
type rtpProc struct {
	cmd     *exec.Cmd
	mu      sync.Mutex // one command (and its answer) at a time
	w       io.WriteCloser
	r       *bufio.Reader
	callers []netip.AddrPort
	agents  []netip.AddrPort
	err     error // first write error, reported by the next synchronous command
}

// childResult is what the child answers to "result".
type childResult struct {
	ToCallers, ToAgents rtpResult
	CPU                 time.Duration // the child's own CPU time while measuring
}

func startRTPChild(k int) (*rtpProc, error) {
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	ansR, ansW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		return nil, err
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBridgedRTPChild$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), bridgedChildEnv+"="+strconv.Itoa(k))
	cmd.ExtraFiles = []*os.File{cmdR, ansW}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		cmdR.Close()
		cmdW.Close()
		ansR.Close()
		ansW.Close()
		return nil, err
	}
	cmdR.Close()
	ansW.Close()
	p := &rtpProc{cmd: cmd, w: cmdW, r: bufio.NewReader(ansR)}
	var hello struct{ Callers, Agents []netip.AddrPort }
	if err := p.answer(&hello); err != nil {
		p.close()
		return nil, fmt.Errorf("rtp child: %w", err)
	}
	p.callers, p.agents = hello.Callers, hello.Agents
	return p, nil
}

// answer reads the child's next answer line: JSON, or "error: ...".
func (p *rtpProc) answer(v any) error {
	line, err := p.r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("rtp child answer: %w", err)
	}
	if msg, ok := strings.CutPrefix(line, "error: "); ok {
		return errors.New(strings.TrimSpace(msg))
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal([]byte(line), v)
}

func (p *rtpProc) send(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.w, line+"\n"); err != nil && p.err == nil {
		p.err = err
	}
}

func (p *rtpProc) call(line string, v any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if _, err := io.WriteString(p.w, line+"\n"); err != nil {
		return err
	}
	return p.answer(v)
}

func (p *rtpProc) callerSock(i int) netip.AddrPort { return p.callers[i%len(p.callers)] }
func (p *rtpProc) agentSock(i int) netip.AddrPort  { return p.agents[i%len(p.agents)] }

func (p *rtpProc) addStream(i int, caller bool, to netip.AddrPort, pt uint8) {
	p.send(fmt.Sprintf("add %d %t %s %d", i, caller, to, pt))
}

func (p *rtpProc) measure(on bool) error { return p.call(fmt.Sprintf("measure %t", on), nil) }

func (p *rtpProc) waitFlowing(streams, per int, bound time.Duration) error {
	return p.call(fmt.Sprintf("flowing %d %d %s", streams, per, bound), nil)
}

func (p *rtpProc) result() (childResult, error) {
	var r childResult
	err := p.call("result", &r)
	return r, err
}

// close ends the child (its command pipe closes) and waits for it.
func (p *rtpProc) close() error {
	p.w.Close()
	return p.cmd.Wait()
}

// TestBridgedRTPChild is the child side: it does nothing in a normal run.
func TestBridgedRTPChild(t *testing.T) {
	k, err := strconv.Atoi(os.Getenv(bridgedChildEnv))
	if err != nil {
		t.Skip("the RTP child of TestBridgedCallsLoad (run by it)")
	}
	cmds, answers := os.NewFile(3, "commands"), os.NewFile(4, "answers")
	defer answers.Close()
	if err := bridgedRTPChild(k, cmds, answers); err != nil {
		t.Fatal(err)
	}
}

// bridgedRTPChild serves one parent: it opens k sockets per side, says
// where they are, then runs the parent's commands until its pipe closes:
//
//	add <i> <caller bool> <addr:port> <payload type>  a stream to send (no answer)
//	measure <bool>                                    start/stop counting
//	flowing <streams> <packets> <bound>               wait until that many streams delivered that many packets
//	result                                            the figures (childResult)
func bridgedRTPChild(k int, in io.Reader, out io.Writer) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h, err := newRTPHarness(ctx, k)
	if err != nil {
		return err
	}
	defer func() {
		cancel() // stops the sender
		h.close()
	}()
	reply := func(v any, err error) error {
		if err != nil {
			_, werr := fmt.Fprintf(out, "error: %v\n", err)
			return werr
		}
		b, _ := json.Marshal(v)
		_, werr := out.Write(append(b, '\n'))
		return werr
	}
	var hello struct{ Callers, Agents []netip.AddrPort }
	for i := range k {
		hello.Callers = append(hello.Callers, h.callerSock(i))
		hello.Agents = append(hello.Agents, h.agentSock(i))
	}
	if err := reply(hello, nil); err != nil {
		return err
	}
	var cpu0 time.Duration
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var err error
		switch f[0] {
		case "add":
			if len(f) != 5 {
				return fmt.Errorf("bad command %q", sc.Text())
			}
			i, _ := strconv.Atoi(f[1])
			to, aerr := netip.ParseAddrPort(f[3])
			pt, _ := strconv.Atoi(f[4])
			if aerr != nil {
				return aerr
			}
			h.addStream(i, f[2] == "true", to, uint8(pt))
			continue
		case "measure":
			on := len(f) > 1 && f[1] == "true"
			if on {
				cpu0 = processCPU()
			}
			h.measure(on)
			err = reply(true, nil)
		case "flowing":
			var streams, per int
			var bound time.Duration
			if len(f) == 4 {
				streams, _ = strconv.Atoi(f[1])
				per, _ = strconv.Atoi(f[2])
				bound, _ = time.ParseDuration(f[3])
			}
			err = reply(true, h.waitFlowing(ctx, streams, per, bound))
		case "result":
			err = reply(childResult{ToCallers: h.result(true), ToAgents: h.result(false), CPU: processCPU() - cpu0}, nil)
		default:
			return fmt.Errorf("unknown command %q", sc.Text())
		}
		if err != nil {
			return err
		}
	}
	return sc.Err()
}

// rtpHarness is the simulated phones' media, in the child process: a few
// shared sockets per side, every stream sent each 20 ms (spread over 4
// slots of 5 ms) with sendmmsg, every packet received with recvmmsg and
// its kernel timestamp.
//
// The sockets are plain descriptors, never in the Go runtime's poller,
// drained with non-blocking recvmmsg every 5 ms: a socket someone
// waits on in epoll makes each datagram queued to it wake that waiter,
// and on loopback the server's send system call pays for that wake-up,
// which phones on other machines would not cost it (cmd/rtpjitter's
// receiver does the same). The kernel's receive timestamps do not depend
// on when the datagrams are read.
type rtpHarness struct {
	callers, agents []int // descriptors
	addrs           map[int]netip.AddrPort
	wg              sync.WaitGroup

	mu      sync.Mutex
	streams []*simStream

	measuring atomic.Bool
	rx        [2]rtpStats // 0: at the callers, 1: at the agents
}

type simStream struct {
	from   int // descriptor
	to     unix.RawSockaddrInet4
	pt     uint8
	seq    uint16
	ts     uint32
	ssrc   uint32
	packet []byte
}

func newRTPHarness(ctx context.Context, k int) (*rtpHarness, error) {
	h := &rtpHarness{addrs: map[int]netip.AddrPort{}}
	for side := range 2 {
		h.rx[side] = rtpStats{hist: make([]uint64, 100000), last: map[uint32]rxLast{}, seen: map[uint32]int{}}
		for range k {
			fd, err := plainUDPSocket()
			if err != nil {
				h.close()
				return nil, err
			}
			sa, err := unix.Getsockname(fd)
			if err != nil {
				unix.Close(fd)
				h.close()
				return nil, err
			}
			h.addrs[fd] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
			if side == 0 {
				h.callers = append(h.callers, fd)
			} else {
				h.agents = append(h.agents, fd)
			}
		}
	}
	h.wg.Add(2)
	go h.read(ctx)
	go h.send(ctx)
	return h, nil
}

// plainUDPSocket is a loopback UDP socket with kernel receive timestamps
// and room for a stalled reader.
func plainUDPSocket() (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func (h *rtpHarness) callerSock(i int) netip.AddrPort { return h.addrs[h.callers[i%len(h.callers)]] }
func (h *rtpHarness) agentSock(i int) netip.AddrPort  { return h.addrs[h.agents[i%len(h.agents)]] }

func (h *rtpHarness) addStream(i int, caller bool, to netip.AddrPort, pt uint8) {
	socks := h.agents
	if caller {
		socks = h.callers
	}
	st := &simStream{from: socks[i%len(socks)], pt: pt, seq: uint16(rand.Uint32()), ts: rand.Uint32(), ssrc: rand.Uint32(),
		packet: make([]byte, 12+160)}
	st.to = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: to.Addr().Unmap().As4()}
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&st.to.Port))[:], to.Port())
	for j := 12; j < len(st.packet); j++ {
		st.packet[j] = 0x55 // A-law and µ-law near-silence, not the idle byte
	}
	h.mu.Lock()
	h.streams = append(h.streams, st)
	h.mu.Unlock()
}

// send sends every stream's packet each 20 ms: stream j in slot j%4, one
// sendmmsg per socket and slot.
func (h *rtpHarness) send(ctx context.Context) {
	defer h.wg.Done()
	const slot = 5 * time.Millisecond
	next := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	type batch struct {
		hdrs []unix.Mmsghdr
		iovs []unix.Iovec
	}
	batches := map[int]*batch{}
	for tick := 0; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		h.mu.Lock()
		for j := tick % 4; j < len(h.streams); j += 4 {
			st := h.streams[j]
			p := st.packet
			p[0], p[1] = 0x80, st.pt
			binary.BigEndian.PutUint16(p[2:], st.seq)
			binary.BigEndian.PutUint32(p[4:], st.ts)
			binary.BigEndian.PutUint32(p[8:], st.ssrc)
			st.seq++
			st.ts += 160
			b := batches[st.from]
			if b == nil {
				b = &batch{}
				batches[st.from] = b
			}
			b.iovs = append(b.iovs, unix.Iovec{Base: &p[0]})
			b.iovs[len(b.iovs)-1].SetLen(len(p))
			b.hdrs = append(b.hdrs, unix.Mmsghdr{Hdr: unix.Msghdr{Name: (*byte)(unsafe.Pointer(&st.to)), Namelen: unix.SizeofSockaddrInet4}})
		}
		for fd, b := range batches {
			for i := range b.hdrs { // the iovecs may have moved while appending
				b.hdrs[i].Hdr.Iov = &b.iovs[i]
				b.hdrs[i].Hdr.SetIovlen(1)
			}
			for sent := 0; sent < len(b.hdrs); {
				n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.hdrs[sent])), uintptr(len(b.hdrs)-sent), 0, 0, 0)
				if errno != 0 || n == 0 {
					break
				}
				sent += int(n)
			}
			b.hdrs, b.iovs = b.hdrs[:0], b.iovs[:0]
		}
		h.mu.Unlock() // the packets are the streams' buffers: sent before the next change
		next = next.Add(slot)
		if late := time.Since(next); late > 100*time.Millisecond {
			next = time.Now() // far behind: do not burst to catch up
		}
		timer.Reset(time.Until(next))
	}
}

// read drains every socket of both sides each readEvery with
// non-blocking recvmmsg, in one goroutine: the kernel's receive stamps do
// not depend on when the datagrams are read, and the sockets hold far
// more than readEvery of traffic. A goroutine per socket waking every
// millisecond (8 000 wake-ups a second) took CPU from the server the
// figures are about, on the same 2 cores.
func (h *rtpHarness) read(ctx context.Context) {
	defer h.wg.Done()
	const readEvery = 5 * time.Millisecond
	rb := media.NewRecvBatch(64)
	tick := time.NewTicker(readEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for side, fds := range [][]int{h.callers, h.agents} {
			st := &h.rx[side]
			for _, fd := range fds {
				h.drain(rb, fd, st)
			}
		}
	}
}

// drain reads fd until it has nothing queued.
func (h *rtpHarness) drain(rb *media.RecvBatch, fd int, st *rtpStats) {
	for {
		n := rb.Read(fd)
		if n == 0 {
			return
		}
		measuring := h.measuring.Load()
		st.mu.Lock()
		for i := range n {
			b, oob := rb.Datagram(i)
			at := media.RecvTimestamp(oob)
			if at.IsZero() {
				at = time.Now()
			}
			st.packet(b, at, measuring)
		}
		st.mu.Unlock()
	}
}

// close closes the sockets; the context must have ended (the goroutines
// stop with it).
func (h *rtpHarness) close() {
	h.wg.Wait()
	for _, fd := range append(slices.Clone(h.callers), h.agents...) {
		unix.Close(fd)
	}
}
