-- +goose Up
-- How a contact's customer proved who they are (a chat's one-time code or
-- service PIN), for the contact record. Its own table: the desk writes it
-- when the proof happens, which may be before the contact's row exists
-- (the contacts projection runs behind the bus).
CREATE TABLE contact_verifications (
    contact_id TEXT PRIMARY KEY,
    level      TEXT NOT NULL CHECK (level IN ('none', 'ani', 'otp', 'pin')),
    at         TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE contact_verifications;
