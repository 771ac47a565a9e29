-- +goose Up
-- Tickets (agentdesk/ticket). The columns are what the store indexes,
-- filters and sorts on; doc holds the owner's full JSON document.
CREATE TABLE tickets (
    id              BIGSERIAL PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE CHECK (char_length(number) BETWEEN 8 AND 32),
    idempotency_key TEXT UNIQUE CHECK (char_length(idempotency_key) BETWEEN 1 AND 256),
    type            TEXT NOT NULL,
    category        TEXT NOT NULL,
    priority        TEXT NOT NULL,
    priority_rank   INT NOT NULL,
    status          TEXT NOT NULL,
    is_open         BOOLEAN NOT NULL,
    group_name      TEXT NOT NULL DEFAULT '',
    assignee        TEXT NOT NULL DEFAULT '',
    region          TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL,
    subject         TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    next_due        TIMESTAMPTZ,  -- earliest unfired SLA timer; NULL when none
    deadline        TIMESTAMPTZ,  -- earliest running SLA deadline (pool urgency)
    version         BIGINT NOT NULL CHECK (version > 0),
    doc             TEXT NOT NULL
);
-- The SLA timer scan reads only tickets with a timer, earliest first.
CREATE INDEX tickets_next_due ON tickets (next_due, id) WHERE next_due IS NOT NULL;
-- Pool views: one group's pooled tickets by urgency.
CREATE INDEX tickets_pool ON tickets (group_name, status, deadline NULLS LAST, priority_rank DESC, created_at, id);
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX tickets_assignee ON tickets (assignee, status) WHERE assignee <> '';
CREATE INDEX tickets_phone ON tickets (phone);

CREATE TABLE ticket_sequences (
    day  TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE ticket_history (
    id        BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    role      TEXT NOT NULL,
    action    TEXT NOT NULL,
    changes   TEXT NOT NULL,  -- JSON array of {field, before, after}
    note      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);

CREATE TABLE ticket_notes (
    id        BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    author    TEXT NOT NULL,
    body      TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX ticket_notes_ticket ON ticket_notes (ticket_id, id);

CREATE TABLE ticket_outbox (
    id         BIGSERIAL PRIMARY KEY,
    msg_key    TEXT NOT NULL UNIQUE,
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    medium     TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'dead')),
    attempts   INT NOT NULL DEFAULT 0,
    next_try   TIMESTAMPTZ NOT NULL,
    outcome    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    sent_at    TIMESTAMPTZ
);
CREATE INDEX ticket_outbox_due ON ticket_outbox (next_try, id) WHERE state = 'queued';
CREATE INDEX ticket_outbox_ticket ON ticket_outbox (ticket_id, id);

-- +goose Down
DROP TABLE ticket_outbox;
DROP TABLE ticket_notes;
DROP TABLE ticket_history;
DROP TABLE ticket_sequences;
DROP TABLE tickets;
