package agentdesk

import (
	"sync"
	"time"

	"github.com/hotline10000/hotline/internal/auth"
)

// Role of a session.
type sessionKind uint8

const (
	kindAgent sessionKind = iota + 1
	kindCustomer
)

// session is one client's durable view: it outlives its sockets. Only the
// hub goroutine touches it.
type session struct {
	id        string
	kind      sessionKind
	principal auth.Principal // agents and supervisors
	chat      *chat          // customers: their one chat

	seq    uint64
	buf    []Frame // ring of the last len(buf) durable frames
	bufN   int     // frames held
	conn   *conn   // nil while disconnected
	goneAt time.Time
	// expired is set once the lease rule ran for this absence.
	expired bool

	replies *replyCache // answers to command ids, for retries after a reconnect
}

func newSession(id string, kind sessionKind, replay, replies int, now time.Time) *session {
	return &session{id: id, kind: kind, buf: make([]Frame, replay), replies: newReplyCache(replies), goneAt: now}
}

// push numbers a durable frame and keeps it for replay.
func (s *session) push(f Frame) Frame {
	s.seq++
	f.Seq = s.seq
	s.buf[int(s.seq-1)%len(s.buf)] = f
	s.bufN = min(s.bufN+1, len(s.buf))
	return f
}

// since returns the durable frames after seq, or false when some of them
// are no longer held (or seq is from the future: a forged or foreign one).
func (s *session) since(seq uint64) ([]Frame, bool) {
	if seq > s.seq {
		return nil, false
	}
	missed := s.seq - seq
	if missed > uint64(s.bufN) {
		return nil, false
	}
	out := make([]Frame, 0, missed)
	for n := seq + 1; n <= s.seq; n++ {
		out = append(out, s.buf[int(n-1)%len(s.buf)])
	}
	return out, true
}

// replyCache remembers the reply to each recent command id, so a command
// retried after a reconnect is answered again without running twice. The
// connection goroutines of one session share it; its mutex guards only it.
type replyCache struct {
	mu  sync.Mutex
	m   map[string][]byte
	ids []string // ring, oldest at at
	at  int
}

func newReplyCache(n int) *replyCache {
	return &replyCache{m: make(map[string][]byte, n), ids: make([]string, n)}
}

func (r *replyCache) get(id string) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.m[id]
	return b, ok
}

func (r *replyCache) put(id string, b []byte) {
	if id == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.ids[r.at]; old != "" {
		delete(r.m, old)
	}
	r.ids[r.at] = id
	r.at = (r.at + 1) % len(r.ids)
	r.m[id] = b
}
