//go:build linux

package sip

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
)

// The bridged-calls load (issue 12's benchmark). By default a smoke run
// in the suite: a few calls, done once audio has flowed both ways on
// every one. With -bridged.hold it is the benchmark:
//
//	go test -run TestBridgedCallsLoad -count=1 -v ./ivr/sip \
//	    -bridged.calls 1000 -bridged.hold 10s
var (
	bridgedCalls  = flag.Int("bridged.calls", 12, "bridged calls (TestBridgedCallsLoad)")
	bridgedHold   = flag.Duration("bridged.hold", 0, "measure jitter for this long once every call is bridged (0: smoke run, until audio flowed)")
	bridgedPollRx = flag.Bool("bridged.pollrx", true, "the pacer reads the legs' sockets (false: a reader goroutine per leg, as before session 7)")
	bridgedRelayG = flag.Bool("bridged.relaygoroutines", false, "relay each call with two goroutines woken per frame, as before session 8 (for comparison)")
	bridgedSettle = flag.Duration("bridged.settle", 2*time.Second, "with -bridged.hold: wait this long once every call is bridged before measuring, so the set-up's last work (its garbage, SIP transaction timers) is not in the window")
)

// TestBridgedCallsLoad bridges N callers to N agents' registered SIP
// phones through the real server: each caller dials 10000 (UDP SIP,
// PCMU), the flow rings agent i's phone through the Ringer (INVITE to its
// registered Contact, digest-registered beforehand) and transfers, the
// phone answers (PCMA: the relay transcodes), and both ends then send
// 20 ms RTP. Measured:
//   - offer to ring: from the flow's Phones.Ring to the INVITE's arrival at
//     the agent's phone;
//   - RTP interval jitter at the receivers, per direction: toward the
//     callers (the callers' legs, paced by the media.Pacer) and toward the
//     agents (the SIP agent legs, which forward each caller frame as it
//     comes), from kernel receive timestamps (SO_TIMESTAMPNS: on loopback
//     taken in the server's send call, so the harness's own scheduling
//     does not show).
//
// The simulated phones share a few RTP sockets and send with sendmmsg
// batches (ipv4.PacketConn.WriteBatch) so that the harness takes little of
// the CPU; the server latches onto where their RTP comes from, as it
// does for phones behind NAT.
func TestBridgedCallsLoad(t *testing.T) {
	n := *bridgedCalls
	if n < 1 || n > 5000 || *bridgedHold < 0 || *bridgedHold > 5*time.Minute {
		t.Fatal("-bridged.calls 1..5000, -bridged.hold up to 5m")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The phones' RTP in a child process (bridgeload_child_test.go).
	rtpx, err := startRTPChild(4)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rtpx.close(); err != nil {
			t.Errorf("rtp child: %v", err)
		}
	}()

	// The server, its registrar, and a flow that rings agent i for call i.
	pacer := media.NewPacerWith(ctx, media.PacerOptions{ReaderGoroutines: !*bridgedPollRx})
	m, err := NewRTPMedia(pacer, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{UDPAddr: "127.0.0.1:0", MediaIP: netip.MustParseAddr("127.0.0.1"), Numbers: map[string]string{"10000": "main"},
		Media: m, DrainTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.byeTimeout = 2 * time.Second
	s.relayGoroutines = *bridgedRelayG
	creds := staticCredentials{}
	for i := range n {
		user := strconv.Itoa(10000 + i)
		creds[user] = [2]string{"a" + strconv.Itoa(i), HA1(user, "hotline", "pw"+user)}
	}
	phones := phone.New(phone.Options{DefaultKind: phone.KindSIP})
	flow := &loadFlow{phones: phones, offered: make([]atomic.Int64, n), failed: make(chan error, n), progress: make(chan struct{}, 1)}
	s.Attach(flow)
	s.AttachAgents(Agents{Phones: phones})
	phones.Register(phone.KindSIP, s.AttachRegistrar(RegistrarOptions{Realm: "hotline", Credentials: creds}))
	served := make(chan struct{})
	sctx, stopServer := context.WithCancel(ctx)
	go func() {
		defer close(served)
		_ = s.Serve(sctx)
	}()
	defer func() {
		stopServer()
		<-served
		cancel()
		pacer.Wait()
	}()

	// The agents' phones: one SIP socket for all, one Contact user each.
	ph := newLoadPhones(t, s.Addr("udp"), n, rtpx)
	defer ph.close()
	if err := ph.registerAll(ctx); err != nil {
		t.Fatal(err)
	}

	// The callers, one after the other (each INVITE is answered at once;
	// the agent is rung by the flow meanwhile).
	cpu0 := processCPU()
	setup0 := time.Now()
	callers := make([]*uac, n)
	for i := range n {
		u := newUAC(t, s.Addr("udp"))
		u.from = strconv.Itoa(13800000000 + i)
		callers[i] = u
		local := rtpx.callerSock(i)
		sdp := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=ptime:20\r\na=sendrecv\r\n", local.Port())
		u.send(u.request("INVITE", "10000", sdp))
		res := u.expect(200)
		u.ack("10000")
		ans, err := ParseOffer(res.Body())
		if err != nil {
			t.Fatal(err)
		}
		rtpx.addStream(i, true, ans.Remote, uint8(media.PCMU))
	}
	setup := time.Since(setup0)
	deadline := time.After(time.Minute + time.Duration(n)*20*time.Millisecond) // a failure bound only
	for flow.bridged.Load() < int64(n) {
		select {
		case err := <-flow.failed:
			t.Fatalf("a call was not bridged: %v", err)
		case <-flow.progress:
		case <-deadline:
			t.Fatalf("%d of %d calls bridged", flow.bridged.Load(), n)
		}
	}
	rings := ph.offerToRing(flow)

	// Audio both ways on every call.
	if *bridgedHold > 0 && *bridgedSettle > 0 {
		time.Sleep(*bridgedSettle)
	}
	if err := rtpx.measure(true); err != nil {
		t.Fatal(err)
	}
	t0, c0, late0, rt0 := time.Now(), processCPU(), pacer.Lateness(), readRuntime()
	if *bridgedHold > 0 {
		time.Sleep(*bridgedHold)
	} else if err := rtpx.waitFlowing(2*n, 25, time.Minute); err != nil {
		t.Fatal(err)
	}
	wall, cpu, late, rt := time.Since(t0), processCPU()-c0, pacer.Lateness().Sub(late0), readRuntime().sub(rt0)
	if err := rtpx.measure(false); err != nil {
		t.Fatal(err)
	}
	res, err := rtpx.result()
	if err != nil {
		t.Fatal(err)
	}
	toCaller, toAgent := res.ToCallers, res.ToAgents

	for _, u := range callers {
		u.send(u.request("BYE", "10000", ""))
		u.expect(200)
	}
	if toCaller.Streams < n || toAgent.Streams < n {
		t.Errorf("audio reached %d callers and %d agents of %d", toCaller.Streams, toAgent.Streams, n)
	}
	pct := func(d []time.Duration, q float64) time.Duration {
		if len(d) == 0 {
			return 0
		}
		return d[min(len(d)-1, int(q*float64(len(d))))]
	}
	t.Logf("%d bridged calls (caller PCMU <-> agent SIP phone PCMA), GOMAXPROCS=%d, set up in %v (%.0f calls/s), setup CPU %v per call",
		n, runtime.GOMAXPROCS(0), setup.Round(time.Millisecond), float64(n)/setup.Seconds(), ((c0 - cpu0) / time.Duration(n)).Round(time.Microsecond))
	t.Logf("offer to ring (Phones.Ring -> INVITE at the phone): p50 %v p99 %v max %v", pct(rings, .5), pct(rings, .99), pct(rings, 1))
	for _, d := range []struct {
		name string
		r    rtpResult
	}{{"toward callers", toCaller}, {"toward agents", toAgent}} {
		expected := float64(n) * wall.Seconds() / 0.02
		t.Logf("jitter %s: p50 %v p99 %v p99.9 %v max %v; %d packets (%.1f%% of %0.f), %d sequence gaps, %.2f%% silence (nothing to relay in time)",
			d.name, d.r.P50, d.r.P99, d.r.P999, d.r.Max, d.r.Packets, 100*float64(d.r.Packets)/expected, expected, d.r.Gaps,
			100*float64(d.r.Silent)/float64(max(1, d.r.Packets)))
	}
	relayed := float64(max(1, toCaller.Packets+toAgent.Packets))
	t.Logf("server process while bridged (the simulated phones' RTP in a child process; their SIP stack, idle, in this one): CPU %.0f%% of a core, %.1f µs per relayed packet; pacer batched (io_uring): %v; phones' process %.0f%% of a core; load average %s",
		100*cpu.Seconds()/wall.Seconds(), float64(cpu.Microseconds())/relayed, pacer.Batched(), 100*res.CPU.Seconds()/wall.Seconds(), loadAvg())
	t.Logf("while measuring: pacer shard wake-ups by lateness past their slot: %v", late)
	t.Logf("while measuring: %s", rt)
}

// runtimeFigures are this process's runtime/metrics readings that tell a
// stall's cause: GC cycles and stop-the-world pauses, and the scheduler's
// latency (runnable to running) of every goroutine, the pacer's shards
// among them.
type runtimeFigures struct {
	gcs    uint64
	pauses *metrics.Float64Histogram
	sched  *metrics.Float64Histogram
}

func readRuntime() runtimeFigures {
	ms := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/sched/pauses/total/gc:seconds"}, {Name: "/sched/latencies:seconds"}}
	metrics.Read(ms)
	return runtimeFigures{gcs: ms[0].Value.Uint64(), pauses: ms[1].Value.Float64Histogram(), sched: ms[2].Value.Float64Histogram()}
}

// sub is r less an earlier reading (histograms bucket by bucket).
func (r runtimeFigures) sub(earlier runtimeFigures) runtimeFigures {
	diff := func(a, b *metrics.Float64Histogram) *metrics.Float64Histogram {
		d := &metrics.Float64Histogram{Buckets: a.Buckets, Counts: slices.Clone(a.Counts)}
		for i := range d.Counts {
			d.Counts[i] -= b.Counts[i]
		}
		return d
	}
	return runtimeFigures{gcs: r.gcs - earlier.gcs, pauses: diff(r.pauses, earlier.pauses), sched: diff(r.sched, earlier.sched)}
}

func (r runtimeFigures) String() string {
	// quantile is the upper bound of the bucket holding q of the counts.
	quantile := func(h *metrics.Float64Histogram, q float64) time.Duration {
		var total uint64
		for _, c := range h.Counts {
			total += c
		}
		want, acc := uint64(q*float64(total)), uint64(0)
		for i, c := range h.Counts {
			if acc += c; acc > want || (q == 1 && acc == total && c > 0) {
				if math.IsInf(h.Buckets[i+1], 1) {
					return time.Duration(h.Buckets[i] * float64(time.Second))
				}
				return time.Duration(h.Buckets[i+1] * float64(time.Second))
			}
		}
		return 0
	}
	return fmt.Sprintf("%d GC cycles, stop-the-world pauses max <= %v; goroutine scheduling latency p99 <= %v, p99.9 <= %v, max <= %v (runtime/metrics bucket bounds)",
		r.gcs, quantile(r.pauses, 1), quantile(r.sched, .99), quantile(r.sched, .999), quantile(r.sched, 1))
}

// loadFlow is the voice flow of the load: ring agent i for call i (the
// caller's number says i), bridge, talk until the caller hangs up.
type loadFlow struct {
	phones   *phone.Phones
	offered  []atomic.Int64 // unix nanos of each agent's offer
	bridged  atomic.Int64
	progress chan struct{}
	failed   chan error
}

func (f *loadFlow) Run(ctx context.Context, c ivr.Contact, ch ivr.Channel) (ivr.Result, error) {
	i, err := strconv.Atoi(c.ANI)
	if err != nil {
		f.failed <- fmt.Errorf("caller %q: %v", c.ANI, err)
		return ivr.Result{}, nil
	}
	i -= 13800000000
	agent := "a" + strconv.Itoa(i)
	f.phones.Expect(phone.CallInfo{ContactID: c.ID, Caller: c.ANI, Queue: "general-voice"})
	f.offered[i].Store(time.Now().UnixNano())
	if err := f.phones.Ring(ctx, c.ID, agent); err != nil {
		f.failed <- fmt.Errorf("ring %s: %w", agent, err)
		return ivr.Result{}, nil
	}
	if err := ch.Transfer(ctx, agent); err != nil {
		f.failed <- fmt.Errorf("transfer to %s: %w", agent, err)
		return ivr.Result{}, nil
	}
	f.bridged.Add(1)
	select {
	case f.progress <- struct{}{}:
	default:
	}
	for {
		if _, err := ch.Receive(ctx, time.Time{}, nil); err != nil {
			return ivr.Result{Outcome: "load"}, nil
		}
	}
}

// loadPhones are the N agents' SIP phones behind one SIP socket: agent
// i registers user 10000+i with Contact sip:10000+i@127.0.0.1:port and
// answers every INVITE at once (180, then 200 with PCMA).
type loadPhones struct {
	t      *testing.T
	ua     *sipgo.UserAgent
	client *sipgo.Client
	conn   *net.UDPConn
	served chan struct{}
	server string
	port   int
	rtpx   *rtpProc
	rang   []atomic.Int64 // unix nanos of each agent's INVITE
	dlgs   sync.Map       // Call-ID -> *sipgo.DialogServerSession
	dua    *sipgo.DialogUA
}

func newLoadPhones(t *testing.T, server string, n int, rtpx *rtpProc) *loadPhones {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("bridged-load-phone"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadBuffer(4 << 20)
	port := conn.LocalAddr().(*net.UDPAddr).Port
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port))
	if err != nil {
		t.Fatal(err)
	}
	p := &loadPhones{t: t, ua: ua, client: client, conn: conn, served: make(chan struct{}), server: server, port: port,
		rtpx: rtpx, rang: make([]atomic.Int64, n)}
	p.dua = &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: "127.0.0.1", Port: port}}}
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if d, ok := p.dlgs.Load(req.CallID().Value()); ok {
			_ = d.(*sipgo.DialogServerSession).ReadAck(req, tx)
		}
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if d, ok := p.dlgs.LoadAndDelete(req.CallID().Value()); ok {
			_ = d.(*sipgo.DialogServerSession).ReadBye(req, tx)
			return
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	})
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {})
	go func() {
		defer close(p.served)
		_ = srv.ServeUDP(conn)
	}()
	return p
}

func (p *loadPhones) close() {
	p.conn.Close()
	<-p.served
	awaitSipgo()
	p.dlgs.Range(func(k, v any) bool {
		_ = v.(*sipgo.DialogServerSession).Close()
		return true
	})
	p.ua.Close()
}

func (p *loadPhones) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	i, err := strconv.Atoi(req.Recipient.User)
	if err != nil || i < 10000 || i-10000 >= len(p.rang) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 404, "Not Found", nil))
		return
	}
	i -= 10000
	p.rang[i].Store(time.Now().UnixNano())
	d, err := p.dua.ReadInvite(req, tx)
	if err != nil {
		return
	}
	p.dlgs.Store(req.CallID().Value(), d)
	offer, err := ParseOffer(req.Body())
	if err != nil {
		_ = d.Respond(488, "Not Acceptable Here", nil)
		return
	}
	_ = d.Respond(180, "Ringing", nil)
	local := p.rtpx.agentSock(i)
	sdp := fmt.Sprintf("v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=ptime:20\r\na=sendrecv\r\n", local.Port())
	if err := d.RespondSDP([]byte(sdp)); err == nil {
		p.rtpx.addStream(i, false, offer.Remote, uint8(media.PCMA))
	}
}

// registerAll registers every agent's phone (digest), 16 at a time.
func (p *loadPhones) registerAll(ctx context.Context) error {
	host, portS, _ := net.SplitHostPort(p.server)
	sport, _ := strconv.Atoi(portS)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, 16)
	for i := range p.rang {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			user := strconv.Itoa(10000 + i)
			req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: sport})
			aor := sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1"}
			req.AppendHeader(&sip.ToHeader{Address: aor})
			from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
			from.Params.Add("tag", newID())
			req.AppendHeader(from)
			req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: p.port}})
			req.AppendHeader(sip.NewHeader("Expires", "3600"))
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			res, err := p.client.Do(rctx, req)
			if err == nil && res.StatusCode == 401 {
				res, err = p.client.DoDigestAuth(rctx, req, res, sipgo.DigestAuth{Username: user, Password: "pw" + user})
			}
			if err == nil && res.StatusCode != 200 {
				err = fmt.Errorf("REGISTER %s: %d", user, res.StatusCode)
			}
			if err != nil {
				mu.Lock()
				firstErr = cmpOr(firstErr, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// offerToRing returns the sorted offer-to-ring times.
func (p *loadPhones) offerToRing(f *loadFlow) []time.Duration {
	var d []time.Duration
	for i := range p.rang {
		if o, r := f.offered[i].Load(), p.rang[i].Load(); o > 0 && r > 0 {
			d = append(d, time.Duration(r-o))
		}
	}
	slices.Sort(d)
	return d
}

// rtpStats are one side's receive figures (the harness is in
// bridgeload_child_test.go).
type rtpStats struct {
	mu      sync.Mutex
	hist    []uint64 // 10 µs buckets
	last    map[uint32]rxLast
	seen    map[uint32]int // packets per SSRC while measuring
	packets int
	gaps    int
	silent  int // packets whose payload is the codec's silence (the relay had nothing)
}

type rxLast struct {
	at  time.Time
	seq uint16
}

type rtpResult struct {
	Packets, Gaps, Streams, Silent int
	P50, P99, P999, Max            time.Duration
}

const jitterBucket = 10 * time.Microsecond

// packet counts one datagram received at kernel time at; st.mu is held.
func (st *rtpStats) packet(b []byte, at time.Time, measuring bool) {
	if len(b) < 12 {
		return
	}
	seq, ssrc := binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint32(b[8:])
	prev, ok := st.last[ssrc]
	st.last[ssrc] = rxLast{at, seq}
	if !measuring {
		return
	}
	st.packets++
	st.seen[ssrc]++
	if silent(b) {
		st.silent++
	}
	if !ok {
		return
	}
	if seq != prev.seq+1 {
		st.gaps++
		return
	}
	d := at.Sub(prev.at) - 20*time.Millisecond
	if d < 0 {
		d = -d
	}
	st.hist[min(int(d/jitterBucket), len(st.hist)-1)]++
}

func (h *rtpHarness) measure(on bool) { h.measuring.Store(on) }

// waitFlowing waits until streams SSRCs have each delivered at least per
// packets while measuring (both sides together), or fails after bound.
func (h *rtpHarness) waitFlowing(ctx context.Context, streams, per int, bound time.Duration) error {
	deadline := time.Now().Add(bound)
	for {
		ready := 0
		for side := range h.rx {
			st := &h.rx[side]
			st.mu.Lock()
			for _, c := range st.seen {
				if c >= per {
					ready++
				}
			}
			st.mu.Unlock()
		}
		if ready >= streams {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d streams delivered %d packets", ready, streams, per)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond): // polls the counters the readers keep
		}
	}
}

func (h *rtpHarness) result(callers bool) rtpResult {
	st := &h.rx[1]
	if callers {
		st = &h.rx[0]
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	r := rtpResult{Packets: st.packets, Gaps: st.gaps, Streams: len(st.seen), Silent: st.silent}
	var total uint64
	for _, c := range st.hist {
		total += c
	}
	q := func(p float64) time.Duration {
		want := uint64(p * float64(total))
		var acc uint64
		for i, c := range st.hist {
			if acc += c; acc > want {
				return time.Duration(i+1) * jitterBucket
			}
		}
		return time.Duration(len(st.hist)) * jitterBucket
	}
	r.P50, r.P99, r.P999 = q(.5), q(.99), q(.999)
	for i := len(st.hist) - 1; i >= 0; i-- {
		if st.hist[i] > 0 {
			r.Max = time.Duration(i+1) * jitterBucket
			break
		}
	}
	return r
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// silent reports whether an RTP packet's payload is all the silence byte
// of its G.711 law (the phones send 0x55, never that).
func silent(b []byte) bool {
	var s byte
	switch b[1] & 0x7f {
	case uint8(media.PCMU):
		s = media.PCMU.Silence()
	case uint8(media.PCMA):
		s = media.PCMA.Silence()
	default:
		return false
	}
	for _, c := range b[12:] {
		if c != s {
			return false
		}
	}
	return len(b) > 12
}
