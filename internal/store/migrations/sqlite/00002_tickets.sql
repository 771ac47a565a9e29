-- +goose Up
-- Tickets (agentdesk/ticket). The columns are what the store indexes,
-- filters and sorts on; doc holds the owner's full JSON document.
CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE CHECK (length(number) BETWEEN 8 AND 32),
    idempotency_key TEXT UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 256),
    type            TEXT NOT NULL,
    category        TEXT NOT NULL,
    priority        TEXT NOT NULL,
    priority_rank   INTEGER NOT NULL,
    status          TEXT NOT NULL,
    is_open         INTEGER NOT NULL CHECK (is_open IN (0, 1)),
    group_name      TEXT NOT NULL DEFAULT '',
    assignee        TEXT NOT NULL DEFAULT '',
    region          TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL,
    subject         TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    next_due        TIMESTAMP,  -- earliest unfired SLA timer; NULL when none
    deadline        TIMESTAMP,  -- earliest running SLA deadline (pool urgency)
    version         INTEGER NOT NULL CHECK (version > 0),
    doc             TEXT NOT NULL
);
-- The SLA timer scan reads only tickets with a timer, earliest first.
CREATE INDEX tickets_next_due ON tickets (next_due, id) WHERE next_due IS NOT NULL;
-- Pool views: one group's pooled tickets by urgency.
CREATE INDEX tickets_pool ON tickets (group_name, status, deadline, priority_rank DESC, created_at, id);
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX tickets_assignee ON tickets (assignee, status) WHERE assignee <> '';
CREATE INDEX tickets_phone ON tickets (phone);

CREATE TABLE ticket_sequences (
    day  TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE ticket_history (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at        TIMESTAMP NOT NULL,
    actor     TEXT NOT NULL,
    role      TEXT NOT NULL,
    action    TEXT NOT NULL,
    changes   TEXT NOT NULL,  -- JSON array of {field, before, after}
    note      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);

CREATE TABLE ticket_notes (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    author    TEXT NOT NULL,
    body      TEXT NOT NULL,
    at        TIMESTAMP NOT NULL
);
CREATE INDEX ticket_notes_ticket ON ticket_notes (ticket_id, id);

CREATE TABLE ticket_outbox (
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
CREATE INDEX ticket_outbox_due ON ticket_outbox (next_try, id) WHERE state = 'queued';
CREATE INDEX ticket_outbox_ticket ON ticket_outbox (ticket_id, id);

-- +goose Down
DROP TABLE ticket_outbox;
DROP TABLE ticket_notes;
DROP TABLE ticket_history;
DROP TABLE ticket_sequences;
DROP TABLE tickets;
