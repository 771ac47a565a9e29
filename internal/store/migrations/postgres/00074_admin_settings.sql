-- +goose Up
-- Administered settings documents (internal/admin), one row per document:
-- 'tickets' is the ticket desk's groups, categories, dispatch rules, SLA
-- targets, escalation chain and notification templates, which win over
-- the same keys of the settings file (docs/administration.md).
CREATE TABLE admin_settings (
    id         TEXT PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 64),
    body       TEXT NOT NULL, -- JSON
    version    BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE admin_settings;
