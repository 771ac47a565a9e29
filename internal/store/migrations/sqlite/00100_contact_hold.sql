-- +goose Up
-- Hold in the contact record (EF01, EF03: handle time = talk + hold + ACW):
-- the number of holds and their total length over all the contact's agents.
ALTER TABLE contacts ADD COLUMN holds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN hold_ms BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE contacts DROP COLUMN hold_ms;
ALTER TABLE contacts DROP COLUMN holds;
