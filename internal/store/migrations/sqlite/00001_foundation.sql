-- +goose Up
CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE CHECK (length(login) BETWEEN 1 AND 64),
    display_name  TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 128),
    role          TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE skills (
    name        TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE agent_skills (
    agent_id    TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    skill       TEXT NOT NULL REFERENCES skills (name),
    proficiency INTEGER NOT NULL CHECK (proficiency BETWEEN 1 AND 10),
    PRIMARY KEY (agent_id, skill)
);
CREATE INDEX agent_skills_skill ON agent_skills (skill);

CREATE TABLE queues (
    id                   TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    name                 TEXT NOT NULL,
    channel              TEXT NOT NULL CHECK (channel IN ('voice', 'chat')),
    sl_threshold_seconds INTEGER NOT NULL CHECK (sl_threshold_seconds > 0),
    sl_target_percent    INTEGER NOT NULL CHECK (sl_target_percent BETWEEN 1 AND 100),
    max_wait_seconds     INTEGER NOT NULL CHECK (max_wait_seconds >= 0),
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);

CREATE TABLE queue_skills (
    queue_id        TEXT NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    skill           TEXT NOT NULL REFERENCES skills (name),
    min_proficiency INTEGER NOT NULL CHECK (min_proficiency BETWEEN 1 AND 10),
    PRIMARY KEY (queue_id, skill)
);

CREATE TABLE customers (
    id         TEXT PRIMARY KEY,
    ani        TEXT UNIQUE,
    account    TEXT UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    tier       TEXT NOT NULL CHECK (tier IN ('diamond', 'gold', 'silver', 'standard')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (ani IS NOT NULL OR account IS NOT NULL)
);

CREATE TABLE contacts (
    id          TEXT PRIMARY KEY,
    channel     TEXT NOT NULL CHECK (channel IN ('voice', 'chat')),
    customer_id TEXT REFERENCES customers (id),
    ani         TEXT NOT NULL DEFAULT '',
    entry_point TEXT NOT NULL DEFAULT '',
    queue_id    TEXT,
    agent_id    TEXT REFERENCES agents (id),
    started_at  TIMESTAMP NOT NULL,
    queued_at   TIMESTAMP,
    answered_at TIMESTAMP,
    ended_at    TIMESTAMP,
    outcome     TEXT CHECK (outcome IN ('self_service', 'ivr_abandoned', 'answered', 'abandoned', 'system_lost', 'message')),
    CHECK ((ended_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX contacts_customer ON contacts (customer_id, started_at);
CREATE INDEX contacts_ani ON contacts (ani, started_at);
CREATE INDEX contacts_started ON contacts (started_at);
CREATE INDEX contacts_open ON contacts (started_at) WHERE ended_at IS NULL;

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    type       TEXT NOT NULL,
    at         TIMESTAMP NOT NULL,
    contact_id TEXT,
    agent_id   TEXT,
    queue      TEXT,
    actor      TEXT,
    data       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_contact ON events (contact_id, seq) WHERE contact_id IS NOT NULL;
CREATE INDEX events_at ON events (at);

-- +goose StatementBegin
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
-- +goose StatementEnd

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    agent_id     TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP,
    remote_addr  TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_agent ON sessions (agent_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    key_hash     TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL CHECK (role IN ('integration', 'supervisor', 'admin')),
    created_by   TEXT REFERENCES agents (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE events;
DROP TABLE contacts;
DROP TABLE customers;
DROP TABLE queue_skills;
DROP TABLE queues;
DROP TABLE agent_skills;
DROP TABLE skills;
DROP TABLE agents;
