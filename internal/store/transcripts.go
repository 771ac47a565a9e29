package store

import (
	"context"
	"fmt"
	"time"
)

// SenderKind says who wrote a transcript message.
type SenderKind string

const (
	SenderCustomer SenderKind = "customer"
	SenderAgent    SenderKind = "agent"
	SenderSystem   SenderKind = "system"
	SenderBot      SenderKind = "bot" // the IVR flow
)

// TranscriptMessage is one chat message as the chat showed it. Masked input
// arrives already masked: the store keeps what it is given.
type TranscriptMessage struct {
	ContactID string
	Seq       int // position in the chat, from 1
	Sender    SenderKind
	SenderID  string // the agent's id for agent messages; empty otherwise
	Text      string
	At        time.Time
}

// AppendTranscript stores chat messages. It is idempotent by contact and
// seq, so a write retried after an ambiguous failure is kept once. A NUL (which
// PostgreSQL cannot hold) becomes U+FFFD on both backends, as in the event log.
func (s *Store) AppendTranscript(ctx context.Context, msgs []TranscriptMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	for _, m := range msgs {
		if m.ContactID == "" || m.Seq < 1 {
			return fmt.Errorf("append transcript: %w: a message needs a contact id and a seq from 1", ErrInvalid)
		}
	}
	return s.WithTx(ctx, func(tx *Store) error {
		for _, m := range msgs {
			_, err := tx.q.exec(ctx, `INSERT INTO transcript_messages (contact_id, seq, sender_kind, sender_id, text, at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (contact_id, seq) DO NOTHING`,
				cleanText(m.ContactID), m.Seq, string(m.Sender), nullable(cleanText(m.SenderID)), cleanText(m.Text), ts(m.At))
			if err != nil {
				return wrap(fmt.Sprintf("append transcript of %s", m.ContactID), err)
			}
		}
		return nil
	})
}

// Transcripts returns the messages of the given contacts, by contact in
// the order asked and then by seq.
func (s *Store) Transcripts(ctx context.Context, contactIDs ...string) (map[string][]TranscriptMessage, error) {
	out := make(map[string][]TranscriptMessage, len(contactIDs))
	for _, id := range contactIDs {
		r, err := s.q.query(ctx, `SELECT contact_id, seq, sender_kind, sender_id, text, at FROM transcript_messages
			WHERE contact_id = $1 ORDER BY seq`, id)
		msgs, err := collect(r, err, func(r rows) (TranscriptMessage, error) {
			var m TranscriptMessage
			var sender *string
			err := r.Scan(&m.ContactID, &m.Seq, &m.Sender, &sender, &m.Text, &m.At)
			m.SenderID, m.At = deref(sender), m.At.UTC()
			return m, err
		})
		if err != nil {
			return nil, wrap("transcript of "+id, err)
		}
		if len(msgs) > 0 {
			out[id] = msgs
		}
	}
	return out, nil
}

// PurgeTranscripts deletes the messages written before before and tells
// how many went.
func (s *Store) PurgeTranscripts(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.q.exec(interruptible(ctx), `DELETE FROM transcript_messages WHERE at < $1`, ts(before))
	return n, wrap("purge transcripts", err)
}
