-- +goose Up
-- Service PIN guessing, counted per customer account across contacts and
-- channels: failures in the current window and the lock they set.
CREATE TABLE pin_guard (
    account      TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);
-- One-time codes a chat customer asked for to prove a claimed number:
-- only a hash of the code is kept.
CREATE TABLE verification_codes (
    contact_id TEXT PRIMARY KEY,
    phone      TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    sends      INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX verification_codes_phone ON verification_codes (phone, created_at);

-- +goose Down
DROP TABLE verification_codes;
DROP TABLE pin_guard;
