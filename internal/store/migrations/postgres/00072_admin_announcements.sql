-- +goose Up
-- Announcements (internal/admin): a notice to every agent or to one team,
-- shown on the desk until each agent acknowledges it.
CREATE TABLE announcements (
    id           TEXT PRIMARY KEY,
    text         TEXT NOT NULL CHECK (char_length(text) BETWEEN 1 AND 2000),
    team         TEXT NOT NULL DEFAULT '', -- '': every agent
    severity     TEXT NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'outage')),
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,              -- NULL: until withdrawn
    withdrawn_at TIMESTAMPTZ
);
CREATE INDEX announcements_created ON announcements (created_at);

CREATE TABLE announcement_acks (
    announcement_id TEXT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    agent_id        TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    acked_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (announcement_id, agent_id)
);

-- +goose Down
DROP TABLE announcement_acks;
DROP TABLE announcements;
