package webphone

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/hotline10000/hotline/ivr/media"
)

// Call is one browser's leg of a call: the server's end of its peer
// connection. It is the agent leg of the ivr/phone contract (Codec,
// ReadFrame, WriteFrame, Hangup, Done) plus the desk's controls. Its
// methods are safe for concurrent use.
//
// Goroutines: one owner (run) waits for the end and closes the peer
// connection; the remote track's reader and the sender's RTCP reader run
// until the peer connection closes. Done closes after all of them ended.
type Call struct {
	pc    *webrtc.PeerConnection
	codec media.Codec
	log   *slog.Logger
	track *webrtc.TrackLocalStaticSample

	frames    chan []byte // from the agent, newest kept when full
	connected chan struct{}
	connOnce  sync.Once
	stop      chan string   // the first reason to end wins
	ending    chan struct{} // closed once the end began: reads and writes stop
	done      chan struct{} // closed once everything stopped

	muted, held atomic.Bool
	in, out     atomic.Uint64 // frames received from and sent to the browser

	mu       sync.Mutex
	stopping bool     // no reader may start
	tones    [][]byte // DTMF frames still to send toward the caller
	reason   string
	wg       sync.WaitGroup // readers
}

// frameQueue is how many frames from the agent wait for ReadFrame (1 s):
// past it the oldest go, so a slow reader hears the agent late by at most
// this, never more.
const frameQueue = 50

func newCall(pc *webrtc.PeerConnection, codec media.Codec, log *slog.Logger) *Call {
	c := &Call{pc: pc, codec: codec, log: log, frames: make(chan []byte, frameQueue), connected: make(chan struct{}),
		stop: make(chan string, 1), ending: make(chan struct{}), done: make(chan struct{})}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			c.connOnce.Do(func() { close(c.connected) })
		case webrtc.PeerConnectionStateFailed:
			c.end("media_failed")
		case webrtc.PeerConnectionStateClosed:
			c.end("closed")
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if t.Kind() != webrtc.RTPCodecTypeAudio || !c.goReader() {
			return
		}
		defer c.wg.Done()
		c.readTrack(t)
	})
	go c.run()
	return c
}

// start adds the local track's sender: its RTCP is read (and dropped) so
// pion's buffers do not fill.
func (c *Call) start(track *webrtc.TrackLocalStaticSample, sender *webrtc.RTPSender) {
	c.track = track
	if !c.goReader() {
		return
	}
	go func() {
		defer c.wg.Done()
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
}

// goReader counts a reader in, unless the call is already closing.
func (c *Call) goReader() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		return false
	}
	c.wg.Add(1)
	return true
}

func (c *Call) readTrack(t *webrtc.TrackRemote) {
	for {
		p, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		if len(p.Payload) == 0 {
			continue
		}
		c.in.Add(1)
		f := append([]byte(nil), p.Payload...)
		for {
			select {
			case c.frames <- f:
			default:
				select {
				case <-c.frames: // drop the oldest
				default:
				}
				continue
			}
			break
		}
	}
}

// run ends the call: it waits for the first reason, closes the peer
// connection and waits for the readers.
func (c *Call) run() {
	reason := <-c.stop
	c.mu.Lock()
	c.stopping, c.reason = true, reason
	c.mu.Unlock()
	close(c.ending)
	if err := c.pc.GracefulClose(); err != nil {
		c.log.Debug("close peer connection", "err", err)
	}
	c.wg.Wait()
	close(c.done)
}

func (c *Call) end(reason string) {
	select {
	case c.stop <- reason:
	default:
	}
}

// Codec is the G.711 codec both directions use.
func (c *Call) Codec() media.Codec { return c.codec }

// Connected is closed once ICE and DTLS are up: media flows.
func (c *Call) Connected() <-chan struct{} { return c.connected }

// Done is closed once the call ended and its goroutines stopped.
func (c *Call) Done() <-chan struct{} { return c.done }

// Ended is closed as soon as the call began to end (before Done).
func (c *Call) Ended() <-chan struct{} { return c.ending }

// Reason says why the call ended ("" while it lasts): the reason given to
// Hangup, "media_failed" (ICE or DTLS failed) or "closed" (the browser
// closed its end).
func (c *Call) Reason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// ReadFrame waits for the next frame from the agent and copies it to buf.
// While the agent is muted or on hold the frame is silence; while DTMF
// keys are queued it is their tones. It returns io.EOF once the call
// ended.
func (c *Call) ReadFrame(ctx context.Context, buf []byte) (int, error) {
	select {
	case <-c.ending:
		return 0, io.EOF
	default:
	}
	var f []byte
	select {
	case f = <-c.frames:
	case <-c.ending:
		return 0, io.EOF
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	c.mu.Lock()
	if len(c.tones) > 0 {
		f, c.tones = c.tones[0], c.tones[1:]
	}
	c.mu.Unlock()
	n := copy(buf, f)
	if c.muted.Load() || c.held.Load() {
		s := silence(c.codec)
		for i := range n {
			buf[i] = s
		}
	}
	return n, nil
}

// WriteFrame sends one frame (20 ms at 160 bytes) toward the agent; on
// hold it is dropped (the caller's side plays the hold music, not us).
func (c *Call) WriteFrame(frame []byte) error {
	select {
	case <-c.ending:
		return ErrEnded
	default:
	}
	if c.held.Load() || c.track == nil {
		return nil
	}
	c.out.Add(1)
	return c.track.WriteSample(pmedia.Sample{Data: frame, Duration: time.Duration(len(frame)) * time.Second / media.SampleRate})
}

// Hangup ends the call with reason and waits, within ctx, until it is
// down. Ending an ended call is not an error.
func (c *Call) Hangup(ctx context.Context, reason string) error {
	c.end(reason)
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SetMute silences what the agent says (the browser mutes its track too;
// this keeps the caller from hearing a page that did not).
func (c *Call) SetMute(on bool) { c.muted.Store(on) }

// Muted reports whether the agent is muted.
func (c *Call) Muted() bool { return c.muted.Load() }

// SetHold puts the call on hold: neither side hears the other. The leg on
// the caller's side plays the music (Held tells it).
func (c *Call) SetHold(on bool) { c.held.Store(on) }

// Held reports whether the agent put the call on hold.
func (c *Call) Held() bool { return c.held.Load() }

// SendDTMF queues the tones of digits (0-9, *, #, A-D; at most 32) toward
// the caller, after any still playing.
func (c *Call) SendDTMF(digits string) error {
	fs, err := dtmfFrames(digits, c.codec)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tones = append(c.tones, fs...)
	return nil
}

// AddICECandidate adds a candidate the browser trickled after its offer
// (RTCIceCandidate's candidate, sdpMid, sdpMLineIndex).
func (c *Call) AddICECandidate(candidate string, mid *string, index *uint16) error {
	return c.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: candidate, SDPMid: mid, SDPMLineIndex: index})
}

// Frames returns how many frames came from the browser and went to it.
func (c *Call) Frames() (in, out uint64) { return c.in.Load(), c.out.Load() }

func silence(c media.Codec) byte {
	if c == media.PCMA {
		return 0xD5
	}
	return 0xFF
}
