package media

import (
	"encoding/binary"
	"net"
	"syscall"
	"time"
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
