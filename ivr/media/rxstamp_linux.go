package media

import (
	"encoding/binary"
	"net"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// EnableRecvTimestamps asks the kernel to stamp each datagram as it is
// queued to c (SO_TIMESTAMPNS, socket(7)). On loopback that happens in the
// sender's send, so the stamps measure the sender's pacing and not how late
// the reader got the CPU: the jitter tools read them with RecvTimestamp.
func EnableRecvTimestamps(c *net.UDPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil {
		return err
	}
	return serr
}

// RecvTimestamp is the kernel's receive stamp in a datagram's control
// message (zero when there is none).
func RecvTimestamp(oob []byte) time.Time {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			return time.Unix(int64(binary.NativeEndian.Uint64(m.Data[0:8])), int64(binary.NativeEndian.Uint64(m.Data[8:16])))
		}
	}
	return time.Time{}
}

// RecvBatch reads datagrams from a non-blocking socket descriptor, up to
// its size at a time, with one recvmmsg(2), keeping each one's control
// messages (its receive stamp, for RecvTimestamp). The receivers of the
// load tools (rtpjitter, hotline-voicebench -held, the bridged-calls
// benchmark) drain their sockets with it.
type RecvBatch struct {
	bufs, oobs [][]byte
	iovs       []unix.Iovec
	hdrs       []unix.Mmsghdr
}

// NewRecvBatch returns a batch of n datagrams of up to 1500 bytes.
func NewRecvBatch(n int) *RecvBatch {
	b := &RecvBatch{bufs: make([][]byte, n), oobs: make([][]byte, n), iovs: make([]unix.Iovec, n), hdrs: make([]unix.Mmsghdr, n)}
	for i := range b.hdrs {
		b.bufs[i], b.oobs[i] = make([]byte, 1500), make([]byte, 128)
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(len(b.bufs[i]))
		b.hdrs[i].Hdr.Iov = &b.iovs[i]
		b.hdrs[i].Hdr.SetIovlen(1)
	}
	return b
}

// Read reads what waits on fd without blocking and says how many
// datagrams it got: 0 when none waits, or on an error.
func (b *RecvBatch) Read(fd int) int {
	for i := range b.hdrs {
		b.hdrs[i].Hdr.Control = &b.oobs[i][0]
		b.hdrs[i].Hdr.SetControllen(len(b.oobs[i]))
	}
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(len(b.hdrs)), unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0
	}
	return int(n)
}

// Datagram returns datagram i of the last Read and its control messages;
// both stay valid until the next Read.
func (b *RecvBatch) Datagram(i int) (data, oob []byte) {
	h := &b.hdrs[i]
	return b.bufs[i][:h.Len], b.oobs[i][:h.Hdr.Controllen]
}
