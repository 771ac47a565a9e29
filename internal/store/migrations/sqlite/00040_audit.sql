-- +goose Up
-- The audit trail: who did what to which subject, when, from where. Rows
-- are appended and never changed; seq orders them and pages lists.
CREATE TABLE audit_records (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    at           TIMESTAMP NOT NULL,
    actor        TEXT NOT NULL,
    actor_role   TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL CHECK (action <> ''),
    subject_kind TEXT NOT NULL CHECK (subject_kind <> ''),
    subject_id   TEXT NOT NULL DEFAULT '',
    before_data  TEXT CHECK (before_data IS NULL OR json_valid(before_data)),
    after_data   TEXT CHECK (after_data IS NULL OR json_valid(after_data)),
    address      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_records_subject ON audit_records (subject_kind, subject_id, seq);
CREATE INDEX audit_records_actor ON audit_records (actor, seq);
CREATE INDEX audit_records_at ON audit_records (at);

-- +goose Down
DROP TABLE audit_records;
