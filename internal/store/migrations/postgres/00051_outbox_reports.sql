-- +goose Up
-- The outbox also carries messages about no ticket (the KPI day report to
-- the managers): ticket_id may be NULL.
ALTER TABLE ticket_outbox ALTER COLUMN ticket_id DROP NOT NULL;

-- +goose Down
DELETE FROM ticket_outbox WHERE ticket_id IS NULL;
ALTER TABLE ticket_outbox ALTER COLUMN ticket_id SET NOT NULL;
