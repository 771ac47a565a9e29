-- +goose Up
-- The outbox also carries messages about no ticket (the KPI day report to
-- the managers): ticket_id may be NULL. SQLite cannot drop a NOT NULL, so
-- the table is rebuilt with the same rows, ids and indexes.
CREATE TABLE ticket_outbox_new (
    id         INTEGER PRIMARY KEY,
    msg_key    TEXT NOT NULL UNIQUE,
    ticket_id  INTEGER REFERENCES tickets (id) ON DELETE CASCADE,
    medium     TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'dead')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_try   TIMESTAMP NOT NULL,
    outcome    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    sent_at    TIMESTAMP
);
INSERT INTO ticket_outbox_new (id, msg_key, ticket_id, medium, recipient, subject, body, state, attempts, next_try,
    outcome, created_at, sent_at)
SELECT id, msg_key, ticket_id, medium, recipient, subject, body, state, attempts, next_try, outcome, created_at, sent_at
FROM ticket_outbox;
DROP TABLE ticket_outbox;
ALTER TABLE ticket_outbox_new RENAME TO ticket_outbox;
CREATE INDEX ticket_outbox_due ON ticket_outbox (next_try, id) WHERE state = 'queued';
CREATE INDEX ticket_outbox_ticket ON ticket_outbox (ticket_id, id);

-- +goose Down
DELETE FROM ticket_outbox WHERE ticket_id IS NULL;
CREATE TABLE ticket_outbox_old (
    id         INTEGER PRIMARY KEY,
    msg_key    TEXT NOT NULL UNIQUE,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    medium     TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'dead')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_try   TIMESTAMP NOT NULL,
    outcome    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    sent_at    TIMESTAMP
);
INSERT INTO ticket_outbox_old SELECT id, msg_key, ticket_id, medium, recipient, subject, body, state, attempts, next_try,
    outcome, created_at, sent_at FROM ticket_outbox;
DROP TABLE ticket_outbox;
ALTER TABLE ticket_outbox_old RENAME TO ticket_outbox;
CREATE INDEX ticket_outbox_due ON ticket_outbox (next_try, id) WHERE state = 'queued';
CREATE INDEX ticket_outbox_ticket ON ticket_outbox (ticket_id, id);
