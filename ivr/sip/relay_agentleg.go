package sip

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
)

// agentStreamLimit bounds the audio queued toward an agent's phone: a
// burst (the caller's network, a stall here) costs at most this much
// latency before the oldest audio is dropped.
const agentStreamLimit = 100 * time.Millisecond

// sipLeg is an answered SIP phone (an agent's, or a customer called out
// through the trunk): its RTP is a media.Leg on the shared Pacer, like a
// caller's. Frames toward the phone queue in a Stream that the Pacer
// drains on the leg's own 20 ms grid (a one-frame playout buffer, silence
// when nothing came in time) and sends in its slot's io_uring batch; the
// phone's audio comes out of another Stream. Before, each caller frame
// went out with its own sendto as it arrived, so the agent's phone got
// the caller's network jitter plus ours, at a system call a packet.
type sipLeg struct {
	s     *Server
	dlg   *sipgo.DialogClientSession
	conn  net.PacketConn // the leg's RTP socket (owned by m)
	codec media.Codec
	m     *media.Leg
	in    *media.Stream // the phone's audio, read by ReadFrame
	out   *media.Stream // WriteFrame's audio, sent by m at the Pacer's pace
	done  chan struct{}
	once  sync.Once
	bySip atomic.Bool // the phone hung up (its BYE): no BYE back

	// For the phone's re-INVITEs (ringer.go agentReInvite): our RTP
	// address and Contact in the dialog, the o= session id and version of
	// our answers, and whether its last offer held the call.
	dtmfPT     uint8 // the phone's telephone-event payload type; 0: none
	local      netip.AddrPort
	contactHdr *sip.ContactHeader
	sdpID      uint64
	sdpVersion atomic.Uint64
	phoneHeld  atomic.Bool
}

// relayPacer is the Pacer agent legs are sent by (RTPMedia's).
func (m *RTPMedia) relayPacer() *media.Pacer { return m.Pacer }

// newSIPLeg starts the leg's media; dtmfPT is the phone's telephone-event
// payload type (its keys come out of Keys), 0 for none.
func newSIPLeg(s *Server, dlg *sipgo.DialogClientSession, conn net.PacketConn, remote netip.AddrPort, codec media.Codec, dtmfPT uint8,
	local netip.AddrPort, contact *sip.ContactHeader) (*sipLeg, error) {
	pm, ok := s.o.Media.(interface{ relayPacer() *media.Pacer })
	if !ok || pm.relayPacer() == nil {
		return nil, errors.New("sip: the media has no pacer for phone legs")
	}
	if dtmfPT == uint8(codec) {
		dtmfPT = 0
	}
	l := &sipLeg{s: s, dlg: dlg, conn: conn, codec: codec, in: media.NewStream(codec, 0),
		out: media.NewStream(codec, agentStreamLimit), done: make(chan struct{}),
		dtmfPT: dtmfPT, local: local, contactHdr: contact, sdpID: uint64(time.Now().UnixNano())}
	m, err := media.NewLeg(media.LegConfig{Conn: conn, Remote: remote, Codec: codec, Pacer: pm.relayPacer(),
		Latching: true, NoInband: true, DTMFPayloadType: dtmfPT})
	if err != nil {
		return nil, err
	}
	l.m = m
	m.Listen(l.in)
	m.Feed(l.out)
	s.agentLegs.Store(dlg.InviteRequest.CallID().Value(), l)
	return l, nil
}

func (l *sipLeg) Codec() media.Codec { return l.codec }

// tap makes the phone's audio go to s on the pacer's receive path instead
// of to ReadFrame (agentcall.go's direct relay); nil undoes it.
func (l *sipLeg) tap(s media.Sink) {
	if s == nil {
		l.m.Listen(l.in)
		return
	}
	l.m.ListenTo(s)
}

func (l *sipLeg) ReadFrame(ctx context.Context, buf []byte) (int, error) {
	if len(buf) < phone.FrameSize {
		return 0, io.ErrShortBuffer
	}
	if err := l.in.ReadFrame(ctx, buf[:phone.FrameSize]); err != nil {
		return 0, err
	}
	return phone.FrameSize, nil
}

func (l *sipLeg) WriteFrame(frame []byte) error {
	select {
	case <-l.done:
		return io.ErrClosedPipe
	default:
	}
	l.out.Write(l.codec, frame)
	return nil
}

// Hangup sends BYE (unless the phone hung up) and releases the leg.
func (l *sipLeg) Hangup(ctx context.Context, reason string) error {
	l.end(ctx, !l.bySip.Load())
	return nil
}

func (l *sipLeg) end(ctx context.Context, bye bool) {
	l.once.Do(func() {
		close(l.done)
		l.in.Close()
		l.s.agentLegs.Delete(l.dlg.InviteRequest.CallID().Value())
		if bye {
			bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.s.byeTimeout)
			if err := l.dlg.Bye(bctx); err != nil {
				l.s.log.Debug("bye to agent phone", "err", err)
			}
			cancel()
		}
		_ = l.dlg.Close()
		_ = l.m.Close()
	})
}

func (l *sipLeg) Done() <-chan struct{} { return l.done }
