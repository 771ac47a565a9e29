//go:build !linux

package media

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

// uring is Linux only (uring_linux.go); elsewhere the pacer sends one
// packet per system call.
type uring struct{}

const uringDefaultEntries = 512

type sendMsg struct{ to netip.AddrPort }

func newURing(uint32) (*uring, error) { return nil, errors.New("media: io_uring is Linux only") }

func (*uring) close()                {}
func (*uring) sendAll([]*Leg) error  { return errors.New("media: io_uring is Linux only") }
func (*Leg) prepareMsg() bool        { return false }
func rawSocket(any) (int, int, bool) { return -1, 0, false }

// Polled receiving is Linux only (recv_linux.go): elsewhere each leg has
// its reader goroutine.
type recvMsgs struct{}

func (*Leg) detach(net.PacketConn) error { return errors.New("media: polled receiving is Linux only") }
func (*Leg) closeFD() error              { return nil }
func (*Leg) recvPlain(time.Time)         {}
func (*Leg) writeFD([]byte, netip.AddrPort) error {
	return errors.New("media: polled receiving is Linux only")
}
func (*uring) recvAll([]*Leg, time.Time) error { return errors.New("media: io_uring is Linux only") }
func ringRecvWorks() bool                      { return false }
