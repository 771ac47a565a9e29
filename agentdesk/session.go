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
	buf    [][]byte // ring of the last durable frames, encoded; grows up to max
	max    int
	conn   *conn // nil while disconnected
	goneAt time.Time
	// expired is set once the lease rule ran for this absence.
	expired bool
	rescued bool // an agent's chats were put back in their queues

	replies *replyCache // answers to command ids, for retries after a reconnect
}

func newSession(id string, kind sessionKind, replay, replies int, now time.Time) *session {
	return &session{id: id, kind: kind, max: replay, replies: newReplyCache(replies), goneAt: now}
}

// push numbers a durable frame and keeps it, encoded, for replay. An idle
// session holds only what it was sent.
func (s *session) push(f Frame) []byte {
	s.seq++
	f.Seq = s.seq
	b := encode(f)
	if len(s.buf) < s.max {
		s.buf = append(s.buf, b)
	} else {
		s.buf[int(s.seq-1)%s.max] = b
	}
	return b
}

// since returns the durable frames after seq, or false when some of them
// are no longer held (or seq is from the future: a forged or foreign one).
func (s *session) since(seq uint64) ([][]byte, bool) {
	if seq > s.seq {
		return nil, false
	}
	missed := s.seq - seq
	if missed > uint64(len(s.buf)) {
		return nil, false
	}
	out := make([][]byte, 0, missed)
	for n := seq + 1; n <= s.seq; n++ {
		out = append(out, s.buf[int(n-1)%s.max])
	}
	return out, true
}

// replyCache remembers the reply to each recent command id, so a command
// retried after a reconnect is answered again without running twice. The
// connection goroutines of one session share it; its mutex guards only it.
type replyCache struct {
	mu  sync.Mutex
	m   map[string][]byte
	ids []string // ring, grows up to max; oldest at at once full
	max int
	at  int
}

func newReplyCache(n int) *replyCache { return &replyCache{max: n} }

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
	if r.m == nil {
		r.m = map[string][]byte{}
	}
	if len(r.ids) < r.max {
		r.ids = append(r.ids, id)
	} else {
		delete(r.m, r.ids[r.at])
		r.ids[r.at] = id
		r.at = (r.at + 1) % r.max
	}
	r.m[id] = b
}
