package main

// The held-calls mode: issue 11's jitter target ("≥ 3 000 concurrent calls
// playing prompts, RTP send-interval jitter p99 ≤ 5 ms measured at the
// receiver") with real SIP calls. The tool is the callers: it sets up
// -held calls to 10000 over SIP (UDP, one socket), keeps them all up in
// the IVR, receives every call's RTP on a few sockets of its own and, once
// all are up, measures for -measure how far each call's packet intervals
// stray from what their RTP timestamps say (kernel receive timestamps, so
// the tool's own lateness in reading does not count). Then it hangs every
// call up with BYE and reports the jitter, the packets delivered, the
// server's CPU and its memory per call.
//
// The SIP side is a minimal hand-written UAC (requests formatted here,
// messages parsed with sipgo's parser): SIPp cannot hand each call's RTP to
// a receiver that timestamps it, and sipgo's client transactions and
// dialogs would cost this process a goroutine and timers per call on the
// same two cores as the server.

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/emiago/sipgo/sip"
	"github.com/hotline10000/hotline/ivr/media"
	"golang.org/x/sys/unix"
)

func runHeld(c config) error {
	dir, err := os.MkdirTemp("", "voicebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ramp := time.Duration(c.held) * time.Second / time.Duration(c.heldRate)
	ctx, cancel := context.WithTimeout(context.Background(), 2*ramp+c.measure+3*time.Minute)
	defer cancel()

	rx, err := newRTPReceiver(c.receivers)
	if err != nil {
		return err
	}
	defer rx.close()
	var extra []string
	if !c.callerRTP {
		// Callers with voice activity detection send no RTP while they
		// listen: the inactivity timeout must not hang them up.
		extra = append(extra, "--sip-rtp-timeout", "10m")
	}
	srv, err := startServer(ctx, c, dir, c.profile != "", extra...)
	if err != nil {
		return err
	}
	defer srv.stop()
	ua, err := newUAC(srv.sipPort)
	if err != nil {
		return err
	}
	defer ua.close()
	if c.callerRTP {
		go rx.sendLoop(ctx, ua)
	}
	mem0, _ := memory(srv.pid)

	// Set the calls up at -held-rate.
	t0 := time.Now()
	for i := range c.held {
		if d := time.Until(t0.Add(time.Duration(i) * time.Second / time.Duration(c.heldRate))); d > 0 {
			time.Sleep(d)
		}
		if err := ua.invite(i, rx.port(i)); err != nil {
			return err
		}
	}
	// Every call answered (or refused), bounded.
	deadline := time.Now().Add(30 * time.Second)
	for ua.pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	rampWall := time.Since(t0)
	time.Sleep(time.Second) // the last calls' media starts

	// The measured window.
	up0 := ua.up()
	cpu0, err := cpuTime(srv.pid)
	if err != nil {
		return err
	}
	self0 := selfCPU()
	rx.reset()
	w0 := time.Now()
	rss, _ := memory(srv.pid)
	var profile chan error
	if c.profile != "" {
		profile = make(chan error, 1)
		go func() {
			profile <- fetch(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", srv.debugPort, max(1, int(c.measure.Seconds()))), c.profile)
		}()
	}
	time.Sleep(c.measure)
	res := rx.result()
	if profile != nil {
		if err := <-profile; err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
		}
	}
	wall := time.Since(w0)
	cpu1, _ := cpuTime(srv.pid)
	self1 := selfCPU()
	up1 := ua.up()
	hwm, _ := peak(srv.pid)

	// Hang up, bounded.
	t1 := time.Now()
	n := 0
	for _, id := range ua.upCalls() {
		if d := time.Until(t1.Add(time.Duration(n) * time.Second / time.Duration(c.heldRate))); d > 0 {
			time.Sleep(d)
		}
		n++
		if err := ua.bye(id); err != nil {
			return err
		}
	}
	deadline = time.Now().Add(30 * time.Second)
	for ua.closing() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	metrics, _ := get(srv.base + "/metrics")
	st := ua.stats()

	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("hotline-voicebench held=%d held-rate=%d measure=%v caller-rtp=%v receivers=%d loadavg=%s",
		c.held, c.heldRate, c.measure, c.callerRTP, c.receivers, load)
	fmt.Printf("calls: answered=%d refused=%d unanswered=%d (set up in %.1fs); up at the window's start %d, end %d; ended by the server %d; hung up by us %d (BYE answered)\n",
		st.answered, st.refused, c.held-st.answered-st.refused, rampWall.Seconds(), up0, up1, st.endedByServer, st.byeAnswered)
	fmt.Printf("setup INVITE->200: %s\n", st.setup)
	expected := float64(up0) * wall.Seconds() / 0.020
	fmt.Printf("rtp at the receiver: packets=%d expected~%.0f (%.2f%%) streams=%d gaps(lost/reordered)=%d\n",
		res.packets, expected, 100*float64(res.packets)/expected, res.streams, res.gaps)
	fmt.Printf("send-interval jitter |Δarrival-Δtimestamp|: p50=%v p99=%v p99.9=%v max=%v (%d intervals)\n",
		res.p50, res.p99, res.p999, res.max, res.intervals)
	server := cpu1 - cpu0
	fmt.Printf("server cpu: %.0f%% of one core while the calls were held (%.2f µs per packet it sent, all its work included)\n",
		100*server.Seconds()/wall.Seconds(), float64(server.Nanoseconds())/1000/float64(max(res.packets, 1)))
	fmt.Printf("tool cpu (callers + receiver): %.0f%% of one core\n", 100*(self1-self0).Seconds()/wall.Seconds())
	if mem0 > 0 && rss > mem0 && up0 > 0 {
		fmt.Printf("server memory: rss %d MiB idle, %d MiB with %d calls up (peak %d MiB): %.1f KiB per call\n",
			mem0>>20, rss>>20, up0, hwm>>20, float64(rss-mem0)/1024/float64(up0))
	}
	for _, l := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(l, "hotline_sip_call_attempts_total") || strings.HasPrefix(l, "hotline_rtp_packets_total") {
			fmt.Println(l)
		}
	}
	switch {
	case st.answered != c.held:
		return fmt.Errorf("%d of %d calls not answered", c.held-st.answered, c.held)
	case up1 != up0 || up0 != c.held:
		return fmt.Errorf("calls ended while held: %d up at the start, %d at the end of %d", up0, up1, c.held)
	}
	return nil
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// uac is the callers' SIP side: one UDP socket, a reader, a retransmitter.
type uac struct {
	conn   *net.UDPConn
	server netip.AddrPort
	local  netip.AddrPort
	run    string // unique per run, in Call-IDs
	mu     sync.Mutex
	calls  map[string]*heldCall
	setups []time.Duration
	wg     sync.WaitGroup
	done   chan struct{}
}

type callState int

const (
	inviting callState = iota
	answered
	refused
	byeing
	ended
)

type heldCall struct {
	id, toTag   string
	rtpPort     int
	state       callState
	byServer    bool
	sent        time.Time // last (re)transmission of the pending request
	first       time.Time
	tries       int
	msg         []byte         // the pending request (INVITE or BYE)
	media       netip.AddrPort // the server's RTP address from its answer
	byeAnswered bool
}

func newUAC(sipPort int) (*uac, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	_ = conn.SetReadBuffer(4 << 20)
	u := &uac{conn: conn, server: netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sipPort)),
		local: conn.LocalAddr().(*net.UDPAddr).AddrPort(), run: strconv.FormatInt(time.Now().UnixNano(), 36),
		calls: map[string]*heldCall{}, done: make(chan struct{})}
	u.wg.Add(2)
	go u.read()
	go u.retransmit()
	return u, nil
}

func (u *uac) close() {
	close(u.done)
	u.conn.Close()
	u.wg.Wait()
}

func (u *uac) invite(i, rtpPort int) error {
	id := fmt.Sprintf("held-%d-%s@127.0.0.1", i, u.run)
	sdp := fmt.Sprintf("v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n", i, rtpPort)
	msg := fmt.Sprintf("INVITE sip:10000@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s-%d-1;rport\r\n"+
		"From: <sip:13800138000@127.0.0.1>;tag=f%d\r\nTo: <sip:10000@%s>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"+
		"Contact: <sip:13800138000@%s>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		u.server, u.local, u.run, i, i, u.server, id, u.local, len(sdp), sdp)
	now := time.Now()
	u.mu.Lock()
	u.calls[id] = &heldCall{id: id, rtpPort: rtpPort, state: inviting, sent: now, first: now, msg: []byte(msg)}
	u.mu.Unlock()
	_, err := u.conn.WriteToUDPAddrPort([]byte(msg), u.server)
	return err
}

func (u *uac) bye(id string) error {
	u.mu.Lock()
	c := u.calls[id]
	if c == nil || c.state != answered {
		u.mu.Unlock()
		return nil
	}
	i := strings.SplitN(id, "-", 3)[1] // held-<i>-<run>@…
	msg := fmt.Sprintf("BYE sip:10000@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s-%s-2;rport\r\n"+
		"From: <sip:13800138000@127.0.0.1>;tag=f%s\r\nTo: <sip:10000@%s>;tag=%s\r\nCall-ID: %s\r\nCSeq: 2 BYE\r\n"+
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", u.server, u.local, u.run, i, i, u.server, c.toTag, id)
	c.state, c.msg, c.sent, c.tries = byeing, []byte(msg), time.Now(), 0
	u.mu.Unlock()
	_, err := u.conn.WriteToUDPAddrPort([]byte(msg), u.server)
	return err
}

// read handles the server's responses and requests.
func (u *uac) read() {
	defer u.wg.Done()
	p := sip.NewParser()
	buf := make([]byte, 65535)
	for {
		n, from, err := u.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		m, err := p.ParseSIP(slices.Clone(buf[:n]))
		if err != nil {
			continue
		}
		switch m := m.(type) {
		case *sip.Response:
			u.response(m)
		case *sip.Request:
			u.request(m, from)
		}
	}
}

func (u *uac) response(r *sip.Response) {
	cid, cseq := r.CallID(), r.CSeq()
	if cid == nil || cseq == nil || r.StatusCode < 200 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	c := u.calls[cid.Value()]
	if c == nil {
		return
	}
	switch cseq.MethodName {
	case sip.INVITE:
		if to := r.To(); to != nil {
			c.toTag, _ = to.Params.Get("tag")
		}
		if c.state == inviting {
			if r.StatusCode < 300 {
				c.state = answered
				c.media = sdpMedia(r.Body())
				u.setups = append(u.setups, time.Since(c.first))
			} else {
				c.state = refused
			}
		}
		// ACK every final response, retransmissions too (RFC 3261
		// 13.2.2.4; 17.1.1.3 for a non-2xx, same branch).
		branch := fmt.Sprintf("z9hG4bK-%s-ack-%s", u.run, cid.Value())
		if r.StatusCode >= 300 {
			if v := r.Via(); v != nil {
				branch, _ = v.Params.Get("branch")
			}
		}
		ack := fmt.Sprintf("ACK sip:10000@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=%s;rport\r\n"+
			"%s\r\n%s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
			u.server, u.local, branch, r.From(), r.To(), cid.Value())
		_, _ = u.conn.WriteToUDPAddrPort([]byte(ack), u.server)
	case sip.BYE:
		if c.state == byeing {
			c.state, c.byeAnswered = ended, true
		}
	}
}

func (u *uac) request(r *sip.Request, from netip.AddrPort) {
	if r.IsAck() {
		return
	}
	res := sip.NewResponseFromRequest(r, 200, "OK", nil)
	_, _ = u.conn.WriteToUDPAddrPort([]byte(res.String()), from)
	if r.Method != sip.BYE {
		return
	}
	if cid := r.CallID(); cid != nil {
		u.mu.Lock()
		if c := u.calls[cid.Value()]; c != nil && c.state != ended {
			c.state, c.byServer = ended, true
		}
		u.mu.Unlock()
	}
}

// retransmit resends an unanswered INVITE or BYE every second, 7 times
// at most (UDP on a loaded loopback can drop).
func (u *uac) retransmit() {
	defer u.wg.Done()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-u.done:
			return
		case <-t.C:
		}
		now := time.Now()
		var again [][]byte
		u.mu.Lock()
		for _, c := range u.calls {
			if (c.state == inviting || c.state == byeing) && now.Sub(c.sent) > time.Second && c.tries < 7 {
				c.sent = now
				c.tries++
				again = append(again, c.msg)
			}
		}
		u.mu.Unlock()
		for _, m := range again {
			_, _ = u.conn.WriteToUDPAddrPort(m, u.server)
		}
	}
}

func (u *uac) count(f func(*heldCall) bool) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, c := range u.calls {
		if f(c) {
			n++
		}
	}
	return n
}

func (u *uac) pending() int { return u.count(func(c *heldCall) bool { return c.state == inviting }) }
func (u *uac) up() int      { return u.count(func(c *heldCall) bool { return c.state == answered }) }
func (u *uac) closing() int { return u.count(func(c *heldCall) bool { return c.state == byeing }) }

func (u *uac) upCalls() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var ids []string
	for id, c := range u.calls {
		if c.state == answered {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// media is the RTP destinations of the calls up, by the port they receive on.
func (u *uac) media() map[int][]netip.AddrPort {
	u.mu.Lock()
	defer u.mu.Unlock()
	m := map[int][]netip.AddrPort{}
	for _, c := range u.calls {
		if c.state == answered && c.media.IsValid() {
			m[c.rtpPort] = append(m[c.rtpPort], c.media)
		}
	}
	return m
}

type uacStats struct {
	answered, refused, endedByServer, byeAnswered int
	setup                                         quantiles
}

func (u *uac) stats() uacStats {
	u.mu.Lock()
	defer u.mu.Unlock()
	var s uacStats
	for _, c := range u.calls {
		switch {
		case c.state == refused:
			s.refused++
		case c.state != inviting:
			s.answered++
		}
		if c.byServer {
			s.endedByServer++
		}
		if c.byeAnswered {
			s.byeAnswered++
		}
	}
	ms := make([]float64, len(u.setups))
	for i, d := range u.setups {
		ms[i] = float64(d) / float64(time.Millisecond)
	}
	s.setup = quantilesOf(ms)
	return s
}

// sdpMedia is the audio address of an SDP answer (c= and m=audio).
func sdpMedia(body []byte) netip.AddrPort {
	var ip netip.Addr
	port := 0
	for _, l := range strings.Split(string(body), "\n") {
		l = strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(l, "c=IN IP4 "); ok {
			ip, _ = netip.ParseAddr(strings.TrimSpace(v))
		}
		if v, ok := strings.CutPrefix(l, "m=audio "); ok {
			port, _ = strconv.Atoi(strings.Fields(v)[0])
		}
	}
	if !ip.IsValid() || port == 0 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ip, uint16(port))
}

// rtpReceiver reads the calls' RTP on a few plain non-blocking sockets,
// drained with recvmmsg every millisecond instead of waiting in epoll: on
// loopback the sender's sendto pays for waking a waiting reader, which a
// phone on another machine does not cost the server. The kernel's receive
// timestamps (SO_TIMESTAMPNS) do not depend on when a datagram is read.
type rtpReceiver struct {
	fds   []int
	ports []int
	stop  chan struct{}
	wg    sync.WaitGroup

	mu        sync.Mutex
	epoch     uint64 // bumped by reset: readers start their streams over
	hist      []uint64
	packets   atomic.Int64
	gaps      atomic.Int64
	intervals atomic.Int64
	streams   map[uint32]struct{}
}

const jitterBucket = 10 * time.Microsecond

func newRTPReceiver(n int) (*rtpReceiver, error) {
	r := &rtpReceiver{stop: make(chan struct{}), hist: make([]uint64, 100000), streams: map[uint32]struct{}{}}
	for range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			r.close()
			return nil, err
		}
		r.fds = append(r.fds, fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			r.close()
			return nil, err
		}
		// Room for a reader the machine's load delays: 16 MiB if allowed.
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20) != nil {
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
			r.close()
			return nil, err
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			r.close()
			return nil, err
		}
		r.ports = append(r.ports, sa.(*unix.SockaddrInet4).Port)
	}
	for _, fd := range r.fds {
		r.wg.Add(1)
		go r.poll(fd)
	}
	return r, nil
}

func (r *rtpReceiver) port(i int) int { return r.ports[i%len(r.ports)] }

func (r *rtpReceiver) close() {
	close(r.stop)
	r.wg.Wait()
	for _, fd := range r.fds {
		unix.Close(fd)
	}
}

func (r *rtpReceiver) reset() {
	r.mu.Lock()
	clear(r.hist)
	clear(r.streams)
	r.epoch++
	r.packets.Store(0)
	r.gaps.Store(0)
	r.intervals.Store(0)
	r.mu.Unlock()
}

type rtpStream struct {
	at    time.Time
	seq   uint16
	ts    uint32
	epoch uint64
}

type jitterResult struct {
	packets, gaps, intervals int64
	streams                  int
	p50, p99, p999, max      time.Duration
}

func (r *rtpReceiver) result() jitterResult {
	time.Sleep(20 * time.Millisecond) // what is queued was received in the window
	r.mu.Lock()
	defer r.mu.Unlock()
	res := jitterResult{packets: r.packets.Load(), gaps: r.gaps.Load(), intervals: r.intervals.Load(), streams: len(r.streams)}
	var total uint64
	for _, h := range r.hist {
		total += h
	}
	if total == 0 {
		return res
	}
	at := func(q float64) time.Duration {
		want := uint64(q * float64(total))
		var acc uint64
		for i, h := range r.hist {
			acc += h
			if acc > want {
				return time.Duration(i+1) * jitterBucket
			}
		}
		return time.Duration(len(r.hist)) * jitterBucket
	}
	res.p50, res.p99, res.p999 = at(0.5), at(0.99), at(0.999)
	for i := len(r.hist) - 1; i >= 0; i-- {
		if r.hist[i] > 0 {
			res.max = time.Duration(i+1) * jitterBucket
			break
		}
	}
	return res
}

func (r *rtpReceiver) poll(fd int) {
	defer r.wg.Done()
	rb := media.NewRecvBatch(64)
	local := map[uint32]rtpStream{}
	var hist []int
	var newStreams []uint32
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		r.mu.Lock()
		epoch := r.epoch
		r.mu.Unlock()
		for {
			n := rb.Read(fd)
			if n == 0 {
				break
			}
			for i := range n {
				b, oob := rb.Datagram(i)
				if len(b) < 12 || b[0]>>6 != 2 {
					continue
				}
				at := media.RecvTimestamp(oob)
				if at.IsZero() {
					at = time.Now()
				}
				ssrc := binary.BigEndian.Uint32(b[8:])
				cur := rtpStream{at: at, seq: binary.BigEndian.Uint16(b[2:]), ts: binary.BigEndian.Uint32(b[4:]), epoch: epoch}
				prev, ok := local[ssrc]
				local[ssrc] = cur
				r.packets.Add(1)
				if !ok || prev.epoch != epoch {
					// A new stream, or its interval would straddle the reset.
					newStreams = append(newStreams, ssrc)
					continue
				}
				d, ok := sendJitter(prev, cur)
				if !ok {
					r.gaps.Add(1)
					continue
				}
				hist = append(hist, min(int(d/jitterBucket), 99999))
			}
		}
		if len(hist) > 0 || len(newStreams) > 0 {
			r.mu.Lock()
			if r.epoch == epoch {
				for _, h := range hist {
					r.hist[h]++
				}
				r.intervals.Add(int64(len(hist)))
				for _, s := range newStreams {
					r.streams[s] = struct{}{}
				}
			}
			r.mu.Unlock()
			hist, newStreams = hist[:0], newStreams[:0]
		}
	}
}

// sendJitter is how far the interval between two packets of a stream, as
// received, strays from the one their RTP timestamps promise (8 kHz):
// |Δarrival − Δtimestamp|. A sender that paces late, or late then catches
// up, shows here; a pause with the timestamps moving on (a talk spurt
// after silence) does not. Not consecutive packets (lost, reordered): no
// interval.
func sendJitter(prev, cur rtpStream) (time.Duration, bool) {
	if cur.seq != prev.seq+1 {
		return 0, false
	}
	want := time.Duration(int32(cur.ts-prev.ts)) * time.Second / 8000
	d := cur.at.Sub(prev.at) - want
	if d < 0 {
		d = -d
	}
	return d, true
}

// sendLoop is the callers' own RTP with -caller-rtp: every 20 ms one PCMU
// packet of silence per call, from the socket the call receives on (the
// server latches its RTP to where the caller's comes from, RFC 4961), sent
// with sendmmsg per socket.
func (r *rtpReceiver) sendLoop(ctx context.Context, u *uac) {
	const ptime = 20 * time.Millisecond
	pkt := make([]byte, 12+160)
	pkt[0], pkt[1] = 0x80, 0
	for i := 12; i < len(pkt); i++ {
		pkt[i] = 0xff // μ-law silence
	}
	fdOf := map[int]int{}
	for i, p := range r.ports {
		fdOf[p] = r.fds[i]
	}
	type dest struct {
		sa   unix.RawSockaddrInet4
		ssrc uint32
	}
	var dests map[int][]dest
	t := time.NewTicker(ptime)
	defer t.Stop()
	var seq uint16
	var ts uint32
	refresh := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.stop:
			return
		case <-t.C:
		}
		if refresh%25 == 0 { // twice a second: the calls up and their addresses
			dests = map[int][]dest{}
			for port, addrs := range u.media() {
				for _, a := range addrs {
					var sa unix.RawSockaddrInet4
					sa.Family = unix.AF_INET
					sa.Addr = a.Addr().As4()
					binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], a.Port())
					dests[port] = append(dests[port], dest{sa: sa, ssrc: uint32(a.Port())<<8 | uint32(port&0xff)})
				}
			}
		}
		refresh++
		seq++
		ts += 160
		for port, ds := range dests {
			sendBatch(fdOf[port], pkt, ds, seq, ts, func(d dest) (*unix.RawSockaddrInet4, uint32) { return &d.sa, d.ssrc })
		}
	}
}

// sendBatch sends one packet per destination with sendmmsg, 64 at a time.
func sendBatch[D any](fd int, tmpl []byte, ds []D, seq uint16, ts uint32, addr func(D) (*unix.RawSockaddrInet4, uint32)) {
	const batch = 64
	bufs := make([][]byte, batch)
	iovs := make([]unix.Iovec, batch)
	hdrs := make([]unix.Mmsghdr, batch)
	sas := make([]unix.RawSockaddrInet4, batch)
	for i := range bufs {
		bufs[i] = slices.Clone(tmpl)
		binary.BigEndian.PutUint16(bufs[i][2:], seq)
		binary.BigEndian.PutUint32(bufs[i][4:], ts)
	}
	for start := 0; start < len(ds); start += batch {
		n := min(batch, len(ds)-start)
		for i := range n {
			sa, ssrc := addr(ds[start+i])
			sas[i] = *sa
			binary.BigEndian.PutUint32(bufs[i][8:], ssrc)
			iovs[i].Base = &bufs[i][0]
			iovs[i].SetLen(len(bufs[i]))
			hdrs[i].Hdr.Iov = &iovs[i]
			hdrs[i].Hdr.SetIovlen(1)
			hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&sas[i]))
			hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
		}
		_, _, _ = unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&hdrs[0])), uintptr(n), unix.MSG_DONTWAIT, 0, 0)
	}
}
