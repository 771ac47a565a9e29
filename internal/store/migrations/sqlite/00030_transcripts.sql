-- +goose Up
-- Chat transcripts: every message as the chat showed it (masked input as
-- dots, never in clear), kept for desk.transcript_retention.
CREATE TABLE transcript_messages (
    contact_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    sender_kind TEXT NOT NULL CHECK (sender_kind IN ('customer', 'agent', 'system', 'bot')),
    sender_id   TEXT,
    text        TEXT NOT NULL,
    at          TIMESTAMP NOT NULL,
    PRIMARY KEY (contact_id, seq)
);
CREATE INDEX transcript_messages_at ON transcript_messages (at);

-- +goose Down
DROP TABLE transcript_messages;
