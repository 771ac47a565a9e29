-- +goose Up
-- Administration (internal/admin): business-hours calendars edited
-- through the API (they win over a same-named calendar of the flow set's
-- calendars.yaml or the ticket settings file), and uploaded IVR flow sets
-- with the one that serves.
CREATE TABLE calendars (
    id         TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64), -- the calendar's name
    spec       TEXT NOT NULL,                                        -- calendar.Spec as JSON
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE flow_sets (
    version     INTEGER PRIMARY KEY,      -- 1, 2, … in upload order
    archive     TEXT NOT NULL,            -- the uploaded zip, base64
    digest      TEXT NOT NULL,            -- sha256 of the zip, hex
    flows       TEXT NOT NULL,            -- JSON list of the flow names
    note        TEXT NOT NULL DEFAULT '',
    tests       TEXT NOT NULL DEFAULT '', -- the flow tests' result (JSON), '' when it has none
    uploaded_by TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL
);

-- The flow set that serves: one row; version NULL means the configured
-- flows (ivr.flows_dir or the built-in ones).
CREATE TABLE flow_set_active (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    version      INTEGER REFERENCES flow_sets (version),
    previous     INTEGER REFERENCES flow_sets (version),
    activated_by TEXT NOT NULL,
    activated_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE flow_set_active;
DROP TABLE flow_sets;
DROP TABLE calendars;
