-- +goose Up
-- Callbacks owed to customers who asked to be called back while queued
-- (issue 12): kept over a restart (the node re-queues them at start) and
-- retried at an interval while the customer does not answer.
CREATE TABLE callbacks (
    id         TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128), -- the contact that asked
    contact_id TEXT NOT NULL DEFAULT '',  -- the ACD contact of the attempt queued now; '' while waiting to retry
    number     TEXT NOT NULL,
    queue      TEXT NOT NULL,
    tier       TEXT NOT NULL DEFAULT '',
    attempts   INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0), -- calls the customer did not answer
    next_at    TIMESTAMPTZ NOT NULL,          -- when the next attempt is queued (contact_id '')
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX callbacks_next ON callbacks (next_at);

-- +goose Down
DROP TABLE callbacks;
