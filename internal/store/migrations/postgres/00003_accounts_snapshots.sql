-- +goose Up
-- Self-service data of a customer's account, as the IVR reads it: balance,
-- current bill, loyalty points and the service password (a hash).
CREATE TABLE customer_accounts (
    account               TEXT PRIMARY KEY REFERENCES customers (account) ON DELETE CASCADE,
    balance_fen           BIGINT NOT NULL DEFAULT 0,
    bill_fen              BIGINT NOT NULL DEFAULT 0 CHECK (bill_fen >= 0),
    bill_due              TIMESTAMPTZ,
    points                BIGINT NOT NULL DEFAULT 0 CHECK (points >= 0),
    service_password_hash TEXT NOT NULL DEFAULT '',
    updated_at            TIMESTAMPTZ NOT NULL
);

-- Named snapshots of in-memory state that must survive a restart (the ACD's
-- queues and agent states). One row per name, replaced on each save.
CREATE TABLE snapshots (
    name     TEXT PRIMARY KEY CHECK (char_length(name) BETWEEN 1 AND 128),
    data     JSONB NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE snapshots;
DROP TABLE customer_accounts;
