package media

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memNet is an in-memory packet network: channel-based, so goroutines
// blocked on it are durably blocked inside a synctest bubble.
type memNet struct {
	mu    sync.Mutex
	conns map[netip.AddrPort]*memConn
}

type memPacket struct {
	from netip.AddrPort
	data []byte
	at   time.Time
}

type memConn struct {
	net    *memNet
	addr   netip.AddrPort
	in     chan memPacket
	closed chan struct{}
	once   sync.Once
}

func newMemNet() *memNet { return &memNet{conns: map[netip.AddrPort]*memConn{}} }

func (n *memNet) conn(addr string) *memConn {
	c := &memConn{net: n, addr: netip.MustParseAddrPort(addr), in: make(chan memPacket, 4096), closed: make(chan struct{})}
	n.mu.Lock()
	n.conns[c.addr] = c
	n.mu.Unlock()
	return c
}

func (c *memConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case p := <-c.in:
		return copy(b, p.data), net.UDPAddrFromAddrPort(p.from), nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	}
}

func (c *memConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	to := addr.(*net.UDPAddr).AddrPort()
	c.net.mu.Lock()
	peer := c.net.conns[netip.AddrPortFrom(to.Addr().Unmap(), to.Port())]
	c.net.mu.Unlock()
	if peer != nil {
		select {
		case peer.in <- memPacket{from: c.addr, data: append([]byte(nil), b...), at: time.Now()}:
		default:
		}
	}
	return len(b), nil
}

func (c *memConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *memConn) LocalAddr() net.Addr              { return net.UDPAddrFromAddrPort(c.addr) }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }
func (c *memConn) send(to netip.AddrPort, b []byte) { c.WriteTo(b, net.UDPAddrFromAddrPort(to)) }
func (c *memConn) drain() (out []memPacket) {
	for {
		select {
		case p := <-c.in:
			out = append(out, p)
		default:
			return out
		}
	}
}

// rtpBytes marshals one RTP packet.
func rtpBytes(t testing.TB, pt uint8, seq uint16, ts uint32, payload []byte) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: 7}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eventPayload is an RFC 4733 payload.
func eventPayload(event byte, end bool, dur uint16) []byte {
	e := byte(10)
	if end {
		e |= 0x80
	}
	return []byte{event, e, byte(dur >> 8), byte(dur)}
}

// ramp is a clip whose every byte differs from its neighbours, to find it
// in the packets.
func ramp(n int) *Clip {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16((i%200 - 100) * 150)
	}
	return NewClipPCM("ramp", pcm)
}
