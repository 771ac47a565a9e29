package agentdesk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Subprotocols name the protocol versions a client must offer in
// Sec-WebSocket-Protocol (RFC 6455 1.9). A later version is a new name;
// new frame types and new fields do not need one, since clients ignore
// what they do not know.
const (
	DeskProtocol = "hotline.desk.v1"
	ChatProtocol = "hotline.chat.v1"
)

// MaxFrame is the largest frame a client may send (bytes).
const MaxFrame = 16 << 10

// Frame is the JSON envelope of every message in both directions.
//
//   - Type names the command (client → server) or the event (server → client).
//   - ID is the client's command id; the server's ack or error carries it in Re.
//   - Seq numbers the server's durable frames of a session, from 1 without
//     gaps; volatile frames (typing, statistics) and replies have none.
//   - At is the server's time of the event.
type Frame struct {
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Re   string          `json:"re,omitempty"`
	Seq  uint64          `json:"seq,omitempty"`
	At   time.Time       `json:"at,omitzero"`
	Data json.RawMessage `json:"data,omitempty"`
}

const maxCommandID = 64

// DecodeFrame parses one client frame. Unknown fields are ignored (so a
// newer client works with an older server); the type is required and the
// command id is bounded.
func DecodeFrame(b []byte) (Frame, error) {
	var f Frame
	if len(b) > MaxFrame {
		return f, fmt.Errorf("frame of %d bytes exceeds %d", len(b), MaxFrame)
	}
	// Unmarshal, not a Decoder: it refuses trailing data as well, without
	// the Decoder's copy of the frame (a tenth of the node's allocations
	// under chat traffic).
	if err := json.Unmarshal(b, &f); err != nil {
		return Frame{}, fmt.Errorf("frame: %w", err)
	}
	switch {
	case f.Type == "" || len(f.Type) > 40:
		return Frame{}, fmt.Errorf("frame: type must be 1 to 40 characters")
	case len(f.ID) > maxCommandID:
		return Frame{}, fmt.Errorf("frame: id longer than %d", maxCommandID)
	}
	if len(f.Data) > 0 && f.Data[0] != '{' && !bytes.Equal(f.Data, []byte("null")) {
		return Frame{}, fmt.Errorf("frame: data must be an object")
	}
	return f, nil
}

// decodeData decodes a command's data strictly enough to catch type errors
// while still ignoring unknown fields.
func decodeData(f Frame, v any) *Error {
	if len(f.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(f.Data, v); err != nil {
		return failf(CodeBadFrame, "data: "+err.Error())
	}
	return nil
}

func encode(f Frame) []byte {
	b, err := json.Marshal(f)
	if err != nil {
		// Every payload is a struct of plain fields; failing here is a bug.
		panic(fmt.Sprintf("agentdesk: encode %s: %v", f.Type, err))
	}
	return b
}

func raw(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("agentdesk: encode data: %v", err))
	}
	return b
}
