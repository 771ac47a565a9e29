//go:build linux

package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Polled receiving: the pacer's shard reads a leg's socket in the leg's
// own slots instead of a goroutine per leg waiting on it.
//
// Why: a reader goroutine costs, per packet, a wake-up of the runtime's
// poller (epoll), a goroutine switch and a recvfrom system call: the
// largest share of a relayed packet's CPU in the bridged-calls benchmark
// (profile in docs/voice-media.md). A polled leg's datagrams are read
// with a RECVMSG entry in the shard's io_uring (non-blocking), all due
// legs' in one io_uring_enter, and again in a next round for the legs
// that got one (until their socket is empty); without a ring, with one
// non-blocking recvmsg per datagram and one that finds the socket
// empty. The socket leaves the runtime's poller altogether (the leg keeps
// a duplicate of its descriptor and closes the net.PacketConn), so no
// datagram wakes a thread in epoll_wait either.
//
// A datagram waits for its leg's next slot (up to a packet time) before
// it is read: the relayed audio is re-timed by the playout buffer on the
// way out anyway, and a DTMF key is reported at most 20 ms later.

// recvMsgs are a polled leg's receive buffers and message headers, one
// per RECVMSG entry it may have in a batch.
type recvMsgs struct {
	buf  [recvPerSlot][]byte
	hdr  [recvPerSlot]unix.Msghdr
	iov  [recvPerSlot]unix.Iovec
	name [recvPerSlot]unix.RawSockaddrInet6
	res  [recvPerSlot]int32
}

// recvPerSlot is how many RECVMSG entries a leg gets per round; a leg
// that filled them all goes again in the next round. One: legs that
// receive nothing (a prompt to a silent caller) cost one empty read a
// packet time, legs that receive one datagram two (cmd/rtpjitter, 1000
// legs receiving nothing: 5.3 µs per packet sent with one, 5.8 with two,
// 5.0 with reader goroutines; the bridged calls did not move).
const recvPerSlot = 1

// maxDrain bounds the reads of one leg per slot (a flood does not
// hold up the shard: the rest waits for the next slot, or is dropped by
// the socket's buffer).
const maxDrain = 8

const (
	uringOpRecvmsg = 10
	recvFlags      = unix.MSG_DONTWAIT
	recvBufSize    = 1500
)

// detach makes the leg read and write its socket through its own
// duplicate descriptor and closes c, which takes the socket out of the
// runtime's poller (Close deregisters it) while the duplicate keeps the
// port bound.
func (l *Leg) detach(c net.PacketConn) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return errors.New("media: not a socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return err
	}
	if derr != nil {
		return fmt.Errorf("media: dup: %w", derr)
	}
	if err := c.Close(); err != nil {
		unix.Close(nfd)
		return err
	}
	l.fd = nfd
	for k := range l.rxm.buf {
		l.rxm.buf[k] = make([]byte, recvBufSize)
	}
	return nil
}

// closeFD closes a polled leg's descriptor (after the pacer let go of it).
func (l *Leg) closeFD() error { return unix.Close(l.fd) }

// prepareRecv points the k-th header at its buffer and address space.
func (m *recvMsgs) prepare(k int) *unix.Msghdr {
	h := &m.hdr[k]
	m.iov[k].Base = &m.buf[k][0]
	m.iov[k].SetLen(len(m.buf[k]))
	h.Name = (*byte)(unsafe.Pointer(&m.name[k]))
	h.Namelen = unix.SizeofSockaddrInet6
	h.Iov = &m.iov[k]
	h.SetIovlen(1)
	h.Control, h.Controllen, h.Flags = nil, 0, 0
	m.res[k] = -int32(unix.EAGAIN)
	return h
}

// sockaddrPort reads an address the kernel wrote into a sockaddr buffer.
func sockaddrPort(sa *unix.RawSockaddrInet6) netip.AddrPort {
	switch sa.Family {
	case unix.AF_INET:
		s4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(s4.Addr), ntohs(s4.Port))
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), ntohs(sa.Port))
	}
	return netip.AddrPort{}
}

func ntohs(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// handle passes a completed read on, or marks the leg dead on a socket
// error; it reports whether a datagram was read.
func (l *Leg) handle(res int32, k int, now time.Time) bool {
	switch {
	case res >= 0:
		l.receive(l.rxm.buf[k][:res], sockaddrPort(&l.rxm.name[k]), now)
		return true
	case res == -int32(unix.EAGAIN) || res == -int32(unix.EINTR):
	default:
		l.markDead() // the socket failed under us: the call has no media
	}
	return false
}

// recvPlain reads the leg's queued datagrams with non-blocking recvmsg
// system calls, at most maxDrain.
func (l *Leg) recvPlain(now time.Time) {
	for range maxDrain {
		h := l.rxm.prepare(0)
		n, _, errno := unix.Syscall(unix.SYS_RECVMSG, uintptr(l.fd), uintptr(unsafe.Pointer(h)), recvFlags)
		res := int32(n)
		if errno != 0 {
			res = -int32(errno)
		}
		if !l.handle(res, 0, now) {
			return
		}
	}
}

// writeFD sends b to addr on a polled leg's descriptor (packets the ring
// does not take).
func (l *Leg) writeFD(b []byte, to netip.AddrPort) error {
	var sa unix.Sockaddr
	a := to.Addr()
	switch {
	case l.family == unix.AF_INET && a.Is4():
		sa = &unix.SockaddrInet4{Port: int(to.Port()), Addr: a.As4()}
	case l.family == unix.AF_INET6:
		sa = &unix.SockaddrInet6{Port: int(to.Port()), Addr: a.As16()}
	default:
		return fmt.Errorf("media: cannot send to %v", to)
	}
	return unix.Sendto(l.fd, b, unix.MSG_DONTWAIT, sa)
}

// recvAll reads the queued datagrams of polled legs through the ring:
// recvPerSlot non-blocking RECVMSG entries per leg, a batch in one
// io_uring_enter; the legs that filled all their entries (a burst, or a
// peer sending faster than our packet time) go again in a next round,
// up to maxDrain datagrams a leg. It returns an error when the ring
// failed (the caller then reads plainly).
func (r *uring) recvAll(legs []*Leg, now time.Time) error {
	per := max(int(r.entries)/recvPerSlot, 1)
	for round := 0; len(legs) > 0 && round < maxDrain/recvPerSlot; round++ {
		more := r.more[:0]
		for len(legs) > 0 {
			n := min(len(legs), per)
			batch := legs[:n]
			legs = legs[n:]
			if err := r.recvBatch(batch); err != nil {
				return err
			}
			for _, l := range batch {
				got := 0
				for k := range recvPerSlot {
					if l.handle(l.rxm.res[k], k, now) {
						got++
					}
				}
				if got == recvPerSlot {
					more = append(more, l)
				}
			}
		}
		// The next round's legs: r.more is a scratch list, never read
		// while being appended to (legs was the previous one).
		r.more, r.spare = r.spare[:0], more
		legs = more
	}
	clear(r.more)
	clear(r.spare)
	return nil
}

// recvBatch submits recvPerSlot RECVMSG entries for each leg of batch
// (at most entries/recvPerSlot legs) and waits for their completions in
// the legs' res.
func (r *uring) recvBatch(batch []*Leg) error {
	tail := *r.sqTail
	for i, l := range batch {
		for k := range recvPerSlot {
			h := l.rxm.prepare(k)
			idx := tail & r.sqMask
			*(*uringSQE)(unsafe.Add(r.sqes, uintptr(idx)*uringSQESize)) = uringSQE{
				opcode:   uringOpRecvmsg,
				fd:       int32(l.fd),
				addr:     uint64(uintptr(unsafe.Pointer(h))),
				len:      1,
				opFlags:  recvFlags,
				userData: uint64(i*recvPerSlot + k),
			}
			*(*uint32)(unsafe.Add(r.sqArray, uintptr(idx)*4)) = idx
			tail++
		}
	}
	atomic.StoreUint32(r.sqTail, tail)
	return r.enter(uint32(len(batch)*recvPerSlot), func(ud uint64, res int32) {
		if i := int(ud / recvPerSlot); i < len(batch) {
			batch[i].rxm.res[ud%recvPerSlot] = res
		}
	})
}

var (
	recvProbeOnce sync.Once
	recvProbeOK   bool
)

// ringRecvWorks checks once that a non-blocking RECVMSG on an empty
// socket completes at once with EAGAIN (kernels that instead park it
// until data comes would stall a shard), on a throwaway ring.
func ringRecvWorks() bool {
	recvProbeOnce.Do(func() {
		r, err := newURing(8)
		if err != nil {
			return
		}
		defer r.close()
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			return
		}
		var m recvMsgs
		m.buf[0] = make([]byte, 64)
		h := m.prepare(0)
		tail := *r.sqTail
		idx := tail & r.sqMask
		*(*uringSQE)(unsafe.Add(r.sqes, uintptr(idx)*uringSQESize)) = uringSQE{opcode: uringOpRecvmsg, fd: int32(fd),
			addr: uint64(uintptr(unsafe.Pointer(h))), len: 1, opFlags: recvFlags}
		*(*uint32)(unsafe.Add(r.sqArray, uintptr(idx)*4)) = idx
		atomic.StoreUint32(r.sqTail, tail+1)
		// Submit without waiting for the completion.
		if _, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), 1, 0, 0, 0, 0); errno != 0 {
			return
		}
		got := false
		r.reap(func(_ uint64, res int32) { got = res == -int32(unix.EAGAIN) })
		recvProbeOK = got
	})
	return recvProbeOK
}
