package transcript

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

// SpillFile is the name of the spill file in Options.SpillDir: one JSON
// object per line, oldest first.
const SpillFile = "transcript-spill.jsonl"

// spill is the file messages wait in while the store is behind. The
// Writer's mu guards it. Lines written are not synced: the spill survives
// a crash of the process, as the store's own writes would not have.
type spill struct {
	path string
	f    *os.File
	size int64 // bytes in the file
	off  int64 // bytes up to which the lines are stored
}

// spillRecord is one message in the spill.
type spillRecord struct {
	Contact  string    `json:"c"`
	Seq      int       `json:"n"`
	Sender   string    `json:"s"`
	SenderID string    `json:"id,omitempty"`
	Text     string    `json:"t"`
	At       time.Time `json:"at"`
}

func openSpill(dir string) (*spill, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open transcript spill: %w", err)
	}
	path := filepath.Join(dir, SpillFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open transcript spill: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open transcript spill: %w", err)
	}
	return &spill{path: path, f: f, size: st.Size()}, nil
}

// pending reports whether lines are still to be stored.
func (s *spill) pending() bool { return s.off < s.size }

func (s *spill) append(m store.TranscriptMessage) error {
	b, err := json.Marshal(spillRecord{Contact: m.ContactID, Seq: m.Seq, Sender: string(m.Sender), SenderID: m.SenderID, Text: m.Text, At: m.At})
	if err != nil {
		return fmt.Errorf("spill transcript message: %w", err)
	}
	n, err := s.f.Write(append(b, '\n'))
	s.size += int64(n)
	if err != nil {
		return fmt.Errorf("spill transcript message: %w", err)
	}
	return nil
}

// read returns up to max messages from the read position and the position
// after them. A line that does not decode is skipped; a last line without
// its newline (torn by a crash while it was written) is skipped too.
func (s *spill) read(max int) ([]store.TranscriptMessage, int64, error) {
	var out []store.TranscriptMessage
	off := s.off
	chunk := int64(64 << 10)
	for len(out) < max && off < s.size {
		buf := make([]byte, min(chunk, s.size-off))
		if _, err := s.f.ReadAt(buf, off); err != nil && err != io.EOF {
			return nil, 0, fmt.Errorf("read transcript spill: %w", err)
		}
		if bytes.IndexByte(buf, '\n') < 0 {
			if off+int64(len(buf)) >= s.size {
				off = s.size // a torn last line
				break
			}
			chunk *= 2 // a line longer than the chunk
			continue
		}
		for len(out) < max {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				break
			}
			var r spillRecord
			if err := json.Unmarshal(buf[:i], &r); err == nil {
				out = append(out, store.TranscriptMessage{ContactID: r.Contact, Seq: r.Seq, Sender: store.SenderKind(r.Sender),
					SenderID: r.SenderID, Text: r.Text, At: r.At})
			}
			off += int64(i) + 1
			buf = buf[i+1:]
		}
	}
	return out, off, nil
}

// reset empties the file once every line is stored.
func (s *spill) reset() error {
	if err := s.f.Truncate(0); err != nil {
		return fmt.Errorf("empty transcript spill: %w", err)
	}
	s.size, s.off = 0, 0
	return nil
}

// broken closes a spill that failed; its file stays for the next start.
func (s *spill) broken() { s.f.Close() }

// close closes the file at the writer's stop; its lines stay for the next
// start.
func (s *spill) close() { _ = s.f.Close() }
