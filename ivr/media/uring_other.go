//go:build !linux

package media

import (
	"errors"
	"net/netip"
)

// uring is Linux only (uring_linux.go); elsewhere the pacer sends one
// packet per system call.
type uring struct{}

type sendMsg struct{ to netip.AddrPort }

func newURing(uint32) (*uring, error) { return nil, errors.New("media: io_uring is Linux only") }

func (*uring) close()                {}
func (*uring) sendAll([]*Leg) error  { return errors.New("media: io_uring is Linux only") }
func (*Leg) prepareMsg() bool        { return false }
func rawSocket(any) (int, int, bool) { return -1, 0, false }
