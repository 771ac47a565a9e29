-- +goose Up
-- Keyed pieces of a named snapshot saved apart from its head (the ACD's
-- agents, one row each), so a save under traffic rewrites only the agents
-- that changed instead of the whole 10 000-agent document (issue 10).
-- Opaque JSON text to the store (TEXT, not JSONB: never queried, and
-- written hundreds of times a second under traffic); a snapshot's head
-- (snapshots.data) plus its parts are the state it restores.
CREATE TABLE snapshot_parts (
    name TEXT NOT NULL REFERENCES snapshots (name) ON DELETE CASCADE,
    part TEXT NOT NULL CHECK (char_length(part) BETWEEN 1 AND 256),
    data TEXT NOT NULL,
    PRIMARY KEY (name, part)
);

-- +goose Down
DROP TABLE snapshot_parts;
