//go:build linux

package media

import (
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// uring sends a pacer slot's packets, each on its own leg's socket, with
// one io_uring_enter system call per batch instead of one sendto per
// packet.
//
// Why: every call has its own RTP socket (its port is in its SDP, and
// symmetric RTP needs replies from that port), so sendmmsg, which batches
// the datagrams of one socket, has nothing to batch. io_uring batches
// operations on any number of sockets. On this project's 2-core VM a
// sendto costs 5-7 µs of CPU, most of it entering and leaving the kernel;
// sendmmsg's batches cost 1.4-2.1 µs per packet, loopback delivery
// included (docs/voice-media.md has the commands and figures).
//
// Written here rather than taken from a library: no Go io_uring module is
// served by the module proxy this project uses, and the part needed is
// small: one ring, one opcode (SENDMSG), submit and wait for the batch.
// Where io_uring is unavailable (old kernel, a seccomp profile that
// refuses it), newURing fails and the pacer sends one packet per sendto
// as before.
type uring struct {
	fd      int
	entries uint32

	rings, sqeMem []byte // mmaps; rings holds both rings (IORING_FEAT_SINGLE_MMAP)
	cqMem         []byte // the completion ring when not single-mmapped

	sqTail  *uint32
	sqMask  uint32
	sqArray unsafe.Pointer // [entries]uint32
	sqes    unsafe.Pointer // [entries]uringSQE

	cqHead, cqTail *uint32
	cqMask         uint32
	cqes           unsafe.Pointer // [cq entries]uringCQE

	inFlight int // submitted, not yet reaped

	more, spare []*Leg // recvAll's rounds (scratch, owned by the shard's goroutine)
}

// The kernel's ABI (include/uapi/linux/io_uring.h).
type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFd uint32
	resv                                                                   [3]uint32
	sqOff                                                                  struct {
		head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
		userAddr                                                        uint64
	}
	cqOff struct {
		head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
		userAddr                                                        uint64
	}
}

type uringSQE struct {
	opcode      uint8
	flags       uint8
	ioprio      uint16
	fd          int32
	off         uint64
	addr        uint64
	len         uint32
	opFlags     uint32 // msg_flags for SENDMSG
	userData    uint64
	bufIndex    uint16
	personality uint16
	fileIndex   int32
	addr3       uint64
	_           uint64
}

type uringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

const (
	uringOpSendmsg      = 9
	uringOffSQRing      = 0
	uringOffCQRing      = 0x8000000
	uringOffSQEs        = 0x10000000
	uringFeatSingleMmap = 1 << 0
	uringEnterGetEvents = 1 << 0
	uringDefaultEntries = 512
	uringParamsSize     = 120
	uringSQESize        = 64
	uringCQESize        = 16
	uringSendFlags      = unix.MSG_DONTWAIT | unix.MSG_NOSIGNAL
	uringErr            = "media: io_uring"
)

// newURing sets up a ring of the given number of entries (a power of two).
func newURing(entries uint32) (*uring, error) {
	if unsafe.Sizeof(uringParams{}) != uringParamsSize || unsafe.Sizeof(uringSQE{}) != uringSQESize || unsafe.Sizeof(uringCQE{}) != uringCQESize {
		return nil, errors.New("media: io_uring structures have the wrong size")
	}
	var p uringParams
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("%s setup: %w", uringErr, errno)
	}
	r := &uring{fd: int(fd), entries: p.sqEntries}
	if err := r.mmap(&p); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *uring) mmap(p *uringParams) error {
	sqSize := int(p.sqOff.array + p.sqEntries*4)
	cqSize := int(p.cqOff.cqes + p.cqEntries*uringCQESize)
	single := p.features&uringFeatSingleMmap != 0
	if single {
		sqSize = max(sqSize, cqSize)
	}
	var err error
	const prot, flags = unix.PROT_READ | unix.PROT_WRITE, unix.MAP_SHARED | unix.MAP_POPULATE
	if r.rings, err = unix.Mmap(r.fd, uringOffSQRing, sqSize, prot, flags); err != nil {
		return fmt.Errorf("%s mmap: %w", uringErr, err)
	}
	cq := r.rings
	if !single {
		if r.cqMem, err = unix.Mmap(r.fd, uringOffCQRing, cqSize, prot, flags); err != nil {
			return fmt.Errorf("%s mmap: %w", uringErr, err)
		}
		cq = r.cqMem
	}
	if r.sqeMem, err = unix.Mmap(r.fd, uringOffSQEs, int(p.sqEntries)*uringSQESize, prot, flags); err != nil {
		return fmt.Errorf("%s mmap: %w", uringErr, err)
	}
	r.sqTail = (*uint32)(unsafe.Pointer(&r.rings[p.sqOff.tail]))
	r.sqMask = *(*uint32)(unsafe.Pointer(&r.rings[p.sqOff.ringMask]))
	r.sqArray = unsafe.Pointer(&r.rings[p.sqOff.array])
	r.sqes = unsafe.Pointer(&r.sqeMem[0])
	r.cqHead = (*uint32)(unsafe.Pointer(&cq[p.cqOff.head]))
	r.cqTail = (*uint32)(unsafe.Pointer(&cq[p.cqOff.tail]))
	r.cqMask = *(*uint32)(unsafe.Pointer(&cq[p.cqOff.ringMask]))
	r.cqes = unsafe.Pointer(&cq[p.cqOff.cqes])
	return nil
}

func (r *uring) close() {
	for _, m := range [][]byte{r.sqeMem, r.cqMem, r.rings} {
		if m != nil {
			unix.Munmap(m)
		}
	}
	r.sqeMem, r.cqMem, r.rings = nil, nil, nil
	if r.fd >= 0 {
		unix.Close(r.fd)
		r.fd = -1
	}
}

// sendAll sends each leg's prepared packet (Leg.frame) and counts it sent
// on success. Legs whose packet cannot go through the ring (no raw socket,
// an address the socket's family cannot reach) are written the plain way.
// It returns an error when the ring itself failed (the packets of the
// failed batch may be lost; the rest of the slot is written plainly); the
// caller then stops using it.
func (r *uring) sendAll(legs []*Leg) error {
	for len(legs) > 0 {
		n := min(len(legs), int(r.entries))
		batch := legs[:n]
		legs = legs[n:]
		tail := *r.sqTail
		queued := 0
		for i, l := range batch {
			if !l.prepareMsg() {
				l.writeFrame()
				continue
			}
			idx := tail & r.sqMask
			*(*uringSQE)(unsafe.Add(r.sqes, uintptr(idx)*uringSQESize)) = uringSQE{
				opcode:   uringOpSendmsg,
				fd:       int32(l.fd),
				addr:     uint64(uintptr(unsafe.Pointer(&l.sm.msg))),
				len:      1,
				opFlags:  uringSendFlags,
				userData: uint64(i),
			}
			*(*uint32)(unsafe.Add(r.sqArray, uintptr(idx)*4)) = idx
			tail++
			queued++
		}
		if queued == 0 {
			continue
		}
		atomic.StoreUint32(r.sqTail, tail) // publishes the entries to the kernel
		if err := r.enter(uint32(queued), func(ud uint64, res int32) {
			if res >= 0 && ud < uint64(len(batch)) {
				batch[ud].sent.Add(1)
			}
		}); err != nil {
			for _, l := range legs { // the rest of the slot, plainly
				l.writeFrame()
			}
			return err
		}
	}
	return nil
}

// enter submits n entries and waits for their completions, handed to
// done. The operations are non-blocking (MSG_DONTWAIT), so the kernel
// completes them during the call.
func (r *uring) enter(n uint32, done func(userData uint64, res int32)) error {
	toSubmit := n
	r.inFlight += int(n)
	for r.inFlight > 0 {
		ret, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit), uintptr(r.inFlight), uringEnterGetEvents, 0, 0)
		switch errno {
		case 0:
			toSubmit -= min(uint32(ret), toSubmit)
		case syscall.EINTR, syscall.EAGAIN, syscall.EBUSY:
			// Interrupted or completions to reap first: reap and retry.
		default:
			r.reap(done)
			return fmt.Errorf("%s enter: %w", uringErr, errno)
		}
		r.reap(done)
	}
	return nil
}

// reap hands each completion to done.
func (r *uring) reap(done func(userData uint64, res int32)) {
	head := *r.cqHead
	tail := atomic.LoadUint32(r.cqTail)
	for ; head != tail; head++ {
		c := (*uringCQE)(unsafe.Add(r.cqes, uintptr(head&r.cqMask)*uringCQESize))
		done(c.userData, c.res)
		r.inFlight--
	}
	atomic.StoreUint32(r.cqHead, head)
}

// rawSocket finds the socket's descriptor and address family, for sends
// through the ring. ok is false for connections that are not sockets
// (tests' in-memory conns): those legs are written the plain way.
func rawSocket(c any) (fd, family int, ok bool) {
	sc, isSC := c.(syscall.Conn)
	if !isSC {
		return -1, 0, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, 0, false
	}
	var serr error
	if err := rc.Control(func(f uintptr) {
		fd = int(f)
		family, serr = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	}); err != nil || serr != nil {
		return -1, 0, false
	}
	return fd, family, family == unix.AF_INET || family == unix.AF_INET6
}

// sendMsg is a leg's message header for the ring, built once and pointed
// at the leg's own buffer and address.
type sendMsg struct {
	msg  unix.Msghdr
	iov  unix.Iovec
	addr unix.RawSockaddrInet6 // or a RawSockaddrInet4 in its first bytes
	to   netip.AddrPort        // what addr holds
}

// prepareMsg readies l.msg for sending l.sendBuf to l.sendTo; false when
// the ring cannot take this packet.
func (l *Leg) prepareMsg() bool {
	if l.fd < 0 {
		return false
	}
	to := l.sendTo
	if to != l.sm.to || l.sm.msg.Iov == nil {
		a := to.Addr()
		if a.Zone() != "" {
			return false
		}
		switch {
		case l.family == unix.AF_INET && a.Is4():
			sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&l.sm.addr))
			*sa = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.As4()}
			sa.Port = htons(to.Port())
			l.sm.msg.Namelen = unix.SizeofSockaddrInet4
		case l.family == unix.AF_INET6:
			l.sm.addr = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: a.As16()}
			l.sm.addr.Port = htons(to.Port())
			l.sm.msg.Namelen = unix.SizeofSockaddrInet6
		default:
			return false
		}
		l.sm.to = to
		l.sm.iov.Base = &l.sendBuf[0]
		l.sm.iov.SetLen(len(l.sendBuf))
		l.sm.msg.Name = (*byte)(unsafe.Pointer(&l.sm.addr))
		l.sm.msg.Iov = &l.sm.iov
		l.sm.msg.SetIovlen(1)
	}
	return true
}

func htons(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	b[0], b[1] = byte(p>>8), byte(p)
	return p
}
