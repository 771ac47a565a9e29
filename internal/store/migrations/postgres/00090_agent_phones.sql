-- +goose Up
-- Agents' phones (ivr/phone, issue 12): which kind rings (a SIP phone or
-- the desk's browser softphone; '' = the node's default) and the SIP
-- digest credentials of the agent's SIP phone. Only HA1 =
-- MD5(user:realm:password) is kept (RFC 2617 3.2.2.2): the plain password
-- is never stored, and HA1 only answers challenges of that realm.
CREATE TABLE agent_phones (
    agent_id   TEXT PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL DEFAULT '' CHECK (kind IN ('', 'sip', 'browser')),
    sip_user   TEXT UNIQUE CHECK (sip_user IS NULL OR length(sip_user) BETWEEN 1 AND 64),
    sip_realm  TEXT NOT NULL DEFAULT '',
    sip_ha1    TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL
);

-- Recordings of bridged calls: a stereo WAV (caller left, agent right) in
-- the data directory, linked to its contact.
CREATE TABLE call_recordings (
    id          TEXT PRIMARY KEY,
    contact_id  TEXT NOT NULL CHECK (length(contact_id) BETWEEN 1 AND 128),
    agent_id    TEXT NOT NULL,
    path        TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    duration_ms BIGINT NOT NULL DEFAULT 0 CHECK (duration_ms >= 0)
);
CREATE INDEX call_recordings_contact ON call_recordings (contact_id);
CREATE INDEX call_recordings_agent ON call_recordings (agent_id, started_at);

-- +goose Down
DROP TABLE call_recordings;
DROP TABLE agent_phones;
