package media

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// LegConfig describes one call's media. NewLeg takes ownership of Conn and
// closes it on Close.
type LegConfig struct {
	Conn   net.PacketConn
	Remote netip.AddrPort // where to send: the SDP's c= and m= (re-INVITE: SetRemote)
	Codec  Codec
	// DTMFPayloadType is the negotiated telephone-event payload type
	// (RFC 4733 7.1.1); 0 when none was negotiated.
	DTMFPayloadType uint8
	// PTime is the packet time (SDP a=ptime); 0 means 20 ms. Rounded to the
	// Pacer's 5 ms grid, between 10 and 120 ms.
	PTime time.Duration
	Pacer *Pacer
	// Latching: symmetric RTP (RFC 4961) for callers behind NAT — send to
	// where the caller's RTP comes from, latched on its first valid packet
	// and again after SetRemote.
	Latching bool
	// Inactivity closes Dead when no RTP arrived for this long (0: never);
	// paused while on hold.
	Inactivity time.Duration
	// NoInband skips in-band DTMF detection: for a leg whose audio is only
	// relayed (an agent's phone), where tones are the agent's to send on,
	// not keys for us (saves ~1-4 µs per packet).
	NoInband bool
}

// Stats counts a leg's traffic.
type Stats struct {
	PacketsSent     uint64
	PacketsReceived uint64 // valid RTP from the caller
	PacketsLost     uint64 // sequence gaps in what the caller sent
	Malformed       uint64 // truncated or not RTP
	Foreign         uint64 // from an address other than the caller's
	DigitsDropped   uint64 // digits nobody read (buffer full)
	Digits          map[string]uint64
}

// Leg is one call's RTP stream: it plays clips paced by the Pacer and
// reads the caller's RTP for digits. Methods are safe for concurrent use.
type Leg struct {
	cfg    LegConfig
	every  int // slots per packet
	digits chan Digit
	closed chan struct{}
	dead   chan struct{}

	closeOnce, deadOnce sync.Once
	readDone            chan struct{}

	// Set by the Pacer under its shard's lock.
	shard        *shard
	phase, index int

	// Used only by the pacer's shard goroutine: the packet being sent,
	// where to, and its message header for the shard's io_uring.
	sendBuf []byte
	sendTo  netip.AddrPort
	sm      sendMsg
	// The socket's descriptor and family for sends through the ring (-1:
	// not a socket, written through Conn). The descriptor stays valid
	// while the leg is on the pacer: Close takes it off and waits for the
	// slot being sent (Pacer.remove) before closing the socket.
	fd, family int

	// The receive side's state (readLoop or the shard's poll).
	rx rxState
	// polled: the pacer's shard reads the socket in the leg's slots
	// (recv_linux.go); no reader goroutine. Then fd is the leg's own
	// descriptor (Conn was closed, out of the runtime's poller).
	polled bool
	rxm    recvMsgs

	// A bridged call's audio (relay.go): the caller's RTP handed to
	// listen, feed's audio sent when nothing plays.
	listen atomic.Pointer[sinkRef]
	feed   atomic.Pointer[Stream]

	// lastRx is the unix-nano time of the caller's last valid packet.
	lastRx atomic.Int64

	sent, received, lost, malformed, foreign, dropped atomic.Uint64
	byRFC4733, byINFO, byInband                       atomic.Uint64

	mu      sync.Mutex
	remote  netip.AddrPort
	latched bool
	hold    bool
	play    *playback
	seq     uint16
	ts0     uint32
	lastTS  uint32
	tick0   uint64
	started bool // a packet was sent since start or hold
	ssrc    uint32
	keys    []outEvent // keys being sent as telephone events (events.go)
}

type playback struct {
	clips []*Clip
	pos   int // byte offset in clips[0]
	done  chan struct{}
}

// udpConn is what *net.UDPConn offers beyond net.PacketConn: address
// handling without allocations.
type udpConn interface {
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
}

// NewLeg starts reading the caller's RTP on cfg.Conn and puts the leg on
// the pacer; it sends silence until Play.
func NewLeg(cfg LegConfig) (*Leg, error) {
	switch {
	case cfg.Conn == nil:
		return nil, errors.New("media: leg without a connection")
	case cfg.Pacer == nil:
		return nil, errors.New("media: leg without a pacer")
	case !cfg.Codec.valid():
		return nil, fmt.Errorf("media: codec %v not supported", cfg.Codec)
	case cfg.DTMFPayloadType > 127:
		return nil, fmt.Errorf("media: dtmf payload type %d out of range", cfg.DTMFPayloadType)
	case cfg.Inactivity < 0:
		return nil, fmt.Errorf("media: negative inactivity %v", cfg.Inactivity)
	}
	if cfg.PTime == 0 {
		cfg.PTime = 20 * time.Millisecond
	}
	cfg.PTime = min(max((cfg.PTime+Slot/2)/Slot*Slot, 10*time.Millisecond), 120*time.Millisecond)
	l := &Leg{
		cfg:      cfg,
		every:    int(cfg.PTime / Slot),
		digits:   make(chan Digit, 32),
		closed:   make(chan struct{}),
		dead:     make(chan struct{}),
		readDone: make(chan struct{}),
		sendBuf:  make([]byte, 12+samplesFor(cfg.PTime)),
		remote:   unmap(cfg.Remote),
		seq:      uint16(rand.Uint32()),
		lastTS:   rand.Uint32(),
		ssrc:     rand.Uint32(),
		index:    -1,
		fd:       -1,
	}
	l.rx.emit = l.deliver
	l.rx.pcm = make([]int16, 0, 960)
	if fd, family, ok := rawSocket(cfg.Conn); ok {
		l.fd, l.family = fd, family
		if cfg.Pacer.pollReads {
			// Read by the pacer's shard (recv_linux.go); where that
			// cannot be set up, a reader goroutine as before.
			l.polled = l.detach(cfg.Conn) == nil
		}
	}
	l.lastRx.Store(cfg.Pacer.now().UnixNano())
	if l.polled {
		close(l.readDone)
	} else {
		go l.readLoop()
	}
	cfg.Pacer.add(l)
	return l, nil
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// Codec is the leg's codec.
func (l *Leg) Codec() Codec { return l.cfg.Codec }

// PTime is the packet time in use (after rounding).
func (l *Leg) PTime() time.Duration { return l.cfg.PTime }

// Play plays clips in order and returns when they are done, when ctx ends,
// or — with bargeIn — at the caller's first digit, which it returns and
// consumes. A digit typed before Play (type-ahead) barges in at once.
// Without bargeIn digits wait in Digits.
func (l *Leg) Play(ctx context.Context, bargeIn bool, clips ...*Clip) (Digit, bool, error) {
	for _, c := range clips {
		if c == nil {
			return Digit{}, false, errors.New("media: play of a nil clip")
		}
	}
	p := &playback{clips: clips, done: make(chan struct{})}
	l.mu.Lock()
	select {
	case <-l.closed:
		l.mu.Unlock()
		return Digit{}, false, ErrClosed
	default:
	}
	if l.play != nil {
		l.mu.Unlock()
		return Digit{}, false, ErrBusy
	}
	l.play = p
	l.skipEmpty(p)
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		if l.play == p {
			l.play = nil
		}
		l.mu.Unlock()
	}()
	var digits <-chan Digit
	if bargeIn {
		digits = l.digits
	}
	select {
	case <-p.done:
		return Digit{}, false, nil
	case d := <-digits:
		return d, true, nil
	case <-ctx.Done():
		return Digit{}, false, ctx.Err()
	case <-l.closed:
		return Digit{}, false, ErrClosed
	case <-l.dead:
		return Digit{}, false, ErrDead
	case <-l.cfg.Pacer.done:
		return Digit{}, false, ErrPacerStopped
	}
}

// skipEmpty drops finished clips and closes done when none is left.
// Called with l.mu held.
func (l *Leg) skipEmpty(p *playback) {
	for len(p.clips) > 0 && p.pos >= len(p.clips[0].ulaw) {
		p.clips, p.pos = p.clips[1:], 0
	}
	if len(p.clips) == 0 {
		select {
		case <-p.done:
		default:
			close(p.done)
		}
	}
}

// Digits delivers the caller's digits (RFC 4733, in-band and injected)
// that no barge-in consumed.
func (l *Leg) Digits() <-chan Digit { return l.digits }

// InjectDigit hands in a digit the signalling received (SIP INFO).
func (l *Leg) InjectDigit(d Digit) {
	if d.Method == "" {
		d.Method = MethodINFO
	}
	l.deliver(d)
}

func (l *Leg) deliver(d Digit) {
	d.Duration = min(d.Duration, MaxDigitDuration)
	switch d.Method {
	case MethodRFC4733:
		l.byRFC4733.Add(1)
	case MethodInband:
		l.byInband.Add(1)
	default:
		l.byINFO.Add(1)
	}
	select {
	case l.digits <- d:
	default:
		l.dropped.Add(1)
	}
}

// SetRemote changes where RTP goes (re-INVITE with a new address); with
// Latching the leg latches again on the next packet.
func (l *Leg) SetRemote(a netip.AddrPort) {
	l.mu.Lock()
	l.remote, l.latched = unmap(a), false
	l.mu.Unlock()
}

// Remote is where RTP goes now (after latching).
func (l *Leg) Remote() netip.AddrPort {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.remote
}

// SetHold stops (true) or resumes (false) sending: the caller put the call
// on hold (a=sendonly or a=inactive). Playback pauses where it is, and the
// inactivity timer does not run while on hold.
func (l *Leg) SetHold(on bool) {
	l.mu.Lock()
	if l.hold && !on {
		l.started = false // new talk spurt: marker bit, fresh timestamp base
		l.lastRx.Store(l.cfg.Pacer.now().UnixNano())
	}
	l.hold = on
	l.mu.Unlock()
}

// Dead is closed when no RTP came for the configured Inactivity, or the
// connection failed.
func (l *Leg) Dead() <-chan struct{} { return l.dead }

func (l *Leg) markDead() { l.deadOnce.Do(func() { close(l.dead) }) }

// Stats returns the leg's counters.
func (l *Leg) Stats() Stats {
	return Stats{
		PacketsSent: l.sent.Load(), PacketsReceived: l.received.Load(), PacketsLost: l.lost.Load(),
		Malformed: l.malformed.Load(), Foreign: l.foreign.Load(), DigitsDropped: l.dropped.Load(),
		Digits: map[string]uint64{MethodRFC4733: l.byRFC4733.Load(), MethodINFO: l.byINFO.Load(), MethodInband: l.byInband.Load()},
	}
}

// Close stops the leg, closes its connection and waits for its reader.
func (l *Leg) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.cfg.Pacer.remove(l) // a polled leg is read and written in its slots only
		close(l.closed)
		if l.polled {
			err = l.closeFD()
			return
		}
		err = l.cfg.Conn.Close()
		<-l.readDone
	})
	return err
}

// send is the next packet written at once (tests, benchmarks).
func (l *Leg) send(now time.Time, tick uint64) {
	if l.frame(now, tick) {
		l.writeFrame()
	}
}

// frame is called by the pacer in the leg's slots: it puts the next frame
// of the playing clip, or silence, in l.sendBuf and its destination in
// l.sendTo, and reports whether there is a packet to send.
func (l *Leg) frame(now time.Time, tick uint64) bool {
	l.mu.Lock()
	if l.hold {
		l.mu.Unlock()
		return false
	}
	if d := l.cfg.Inactivity; d > 0 && now.UnixNano()-l.lastRx.Load() > int64(d) {
		l.markDead()
	}
	l.sendBuf = l.sendBuf[:cap(l.sendBuf)] // an event packet was shorter
	marker := !l.started
	if marker {
		// A new talk spurt: timestamps go on from the last frame sent
		// and follow the pacer's slots from here (RFC 3550 5.1).
		l.started, l.tick0 = true, tick
		l.ts0 = l.lastTS + uint32(samplesFor(l.cfg.PTime))
	}
	h := rtp.Header{
		Version:        2,
		Marker:         marker,
		PayloadType:    uint8(l.cfg.Codec),
		SequenceNumber: l.seq,
		Timestamp:      l.ts0 + uint32(tick-l.tick0)*uint32(samplesFor(Slot)),
		SSRC:           l.ssrc,
	}
	l.seq++
	l.lastTS = h.Timestamp
	n, _ := h.MarshalTo(l.sendBuf)
	frame := l.sendBuf[n:]
	filled := 0
	if p := l.play; p != nil {
		for filled < len(frame) && len(p.clips) > 0 {
			src := p.clips[0].Payload(l.cfg.Codec)[p.pos:]
			c := copy(frame[filled:], src)
			filled += c
			p.pos += c
			l.skipEmpty(p)
		}
	} else if f := l.feed.Load(); f != nil {
		filled = f.Fill(frame)
	}
	for i := filled; i < len(frame); i++ {
		frame[i] = l.cfg.Codec.silence()
	}
	if len(l.keys) > 0 {
		l.eventFrame(h) // the audio is taken all the same: it keeps its pace
	}
	remote := l.remote
	l.mu.Unlock()
	l.sendTo = remote
	return remote.IsValid()
}

// writeFrame sends the packet frame prepared with one system call.
func (l *Leg) writeFrame() {
	if err := l.write(l.sendBuf, l.sendTo); err == nil {
		l.sent.Add(1)
	}
}

func (l *Leg) write(b []byte, to netip.AddrPort) error {
	if l.polled {
		return l.writeFD(b, to)
	}
	if u, ok := l.cfg.Conn.(udpConn); ok {
		_, err := u.WriteToUDPAddrPort(b, to)
		return err
	}
	_, err := l.cfg.Conn.WriteTo(b, net.UDPAddrFromAddrPort(to))
	return err
}

func (l *Leg) read(b []byte) (int, netip.AddrPort, error) {
	if u, ok := l.cfg.Conn.(udpConn); ok {
		n, a, err := u.ReadFromUDPAddrPort(b)
		return n, unmap(a), err
	}
	n, a, err := l.cfg.Conn.ReadFrom(b)
	if err != nil {
		return n, netip.AddrPort{}, err
	}
	ua, ok := a.(*net.UDPAddr)
	if !ok {
		return n, netip.AddrPort{}, nil
	}
	return n, unmap(ua.AddrPort()), nil
}

// rxState is the receive side's state, owned by whoever reads the leg's
// socket: its reader goroutine, or the pacer's shard for a polled leg.
type rxState struct {
	pkt     rtp.Packet
	pcm     []int16
	events  eventDecoder
	tones   toneDetector
	emit    func(Digit) // l.deliver, made once
	rfc4733 bool        // the caller speaks RFC 4733: trust it, stop listening for tones
	haveSeq bool
	lastSeq uint16
}

// readLoop is the receive side of a leg that is not polled by the pacer:
// one goroutine waiting on the socket.
func (l *Leg) readLoop() {
	defer close(l.readDone)
	buf := make([]byte, 1500)
	for {
		n, from, err := l.read(buf)
		if err != nil {
			select {
			case <-l.closed:
			default:
				l.markDead() // the socket failed under us: the call has no media
			}
			return
		}
		l.receive(buf[:n], from, l.cfg.Pacer.now())
	}
}

// receive handles one datagram from the socket: source checks, loss
// counting, the telephone-event decoder and the tone detector.
func (l *Leg) receive(b []byte, from netip.AddrPort, now time.Time) {
	rx := &l.rx
	pkt := &rx.pkt
	if err := pkt.Unmarshal(b); err != nil || pkt.Version != 2 {
		l.malformed.Add(1)
		return
	}
	l.mu.Lock()
	switch {
	case from == l.remote:
	case l.cfg.Latching && !l.latched:
		l.remote = from
	default:
		l.mu.Unlock()
		l.foreign.Add(1)
		return
	}
	l.latched = true
	l.mu.Unlock()
	l.lastRx.Store(now.UnixNano())
	l.received.Add(1)
	if rx.haveSeq {
		if gap := pkt.SequenceNumber - rx.lastSeq; gap > 1 && gap < 0x8000 {
			l.lost.Add(uint64(gap - 1))
		}
	}
	if !rx.haveSeq || int16(pkt.SequenceNumber-rx.lastSeq) > 0 {
		rx.lastSeq, rx.haveSeq = pkt.SequenceNumber, true
	}
	ptDTMF, ptAudio := l.cfg.DTMFPayloadType, uint8(l.cfg.Codec)
	switch {
	case ptDTMF != 0 && ptDTMF != ptAudio && pkt.PayloadType == ptDTMF:
		rx.rfc4733 = true
		if err := rx.events.packet(pkt.Timestamp, pkt.Payload, now, rx.emit); err != nil {
			l.malformed.Add(1)
		}
	case pkt.PayloadType == ptAudio:
		rx.events.idle(now, rx.emit)
		s := l.listen.Load()
		if s != nil {
			s.Write(l.cfg.Codec, pkt.Payload)
		}
		// While the audio is relayed (a bridged call) the caller's tones
		// are audio for the other party, who hears them, not keys for
		// the IVR; detecting them was a seventh of a relayed packet's
		// CPU (TestBridgedCallsLoad profile). RFC 4733 keys still count.
		if rx.rfc4733 || l.cfg.NoInband || s != nil {
			return
		}
		rx.pcm = rx.pcm[:0]
		for _, b := range pkt.Payload {
			rx.pcm = append(rx.pcm, l.cfg.Codec.decode(b))
		}
		rx.tones.samples(rx.pcm, rx.emit)
	}
}
