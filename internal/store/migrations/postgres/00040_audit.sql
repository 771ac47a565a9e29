-- +goose Up
-- The audit trail: who did what to which subject, when, from where. Rows
-- are appended and never changed; seq orders them and pages lists. Before
-- and after are JSON (not JSONB) so both backends return the bytes written.
CREATE TABLE audit_records (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    at           TIMESTAMPTZ NOT NULL,
    actor        TEXT NOT NULL,
    actor_role   TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL CHECK (action <> ''),
    subject_kind TEXT NOT NULL CHECK (subject_kind <> ''),
    subject_id   TEXT NOT NULL DEFAULT '',
    before_data  JSON,
    after_data   JSON,
    address      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_records_subject ON audit_records (subject_kind, subject_id, seq);
CREATE INDEX audit_records_actor ON audit_records (actor, seq);
CREATE INDEX audit_records_at ON audit_records (at);

-- +goose Down
DROP TABLE audit_records;
