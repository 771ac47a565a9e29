-- +goose Up
-- Administration (internal/admin): a version per administered row for
-- If-Match/ETag, agents' teams (a supervisor administers their teams),
-- a queue's routing settings beyond the foundation's columns, customer
-- flags, and the idempotency keys of admin creations.
ALTER TABLE agents ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE queues ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE queues ADD COLUMN routing TEXT NOT NULL DEFAULT '{}';
ALTER TABLE customers ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE customers ADD COLUMN blacklisted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE customers ADD COLUMN do_not_call BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE agent_teams (
    agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    team     TEXT NOT NULL CHECK (char_length(team) BETWEEN 1 AND 64),
    PRIMARY KEY (agent_id, team)
);
CREATE INDEX agent_teams_team ON agent_teams (team);

CREATE TABLE admin_requests (
    actor           TEXT NOT NULL,
    idempotency_key TEXT NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 128),
    kind            TEXT NOT NULL,
    subject_id      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (actor, idempotency_key)
);
CREATE INDEX admin_requests_created ON admin_requests (created_at);

-- +goose Down
DROP TABLE admin_requests;
DROP TABLE agent_teams;
ALTER TABLE customers DROP COLUMN do_not_call;
ALTER TABLE customers DROP COLUMN blacklisted;
ALTER TABLE customers DROP COLUMN version;
ALTER TABLE queues DROP COLUMN routing;
ALTER TABLE queues DROP COLUMN version;
ALTER TABLE agents DROP COLUMN version;
